# proxyd_core: the node (data plane, sessions, admin SQL, kills, gRPC service);
# proxyd: the binary. obp_rpc_tokens: the gRPC tokens file (pure, unit-tested alone).
add_library(obp_rpc_tokens STATIC rpc/tokens.cc)
target_link_libraries(obp_rpc_tokens PUBLIC obp_common absl::status absl::statusor absl::strings
                      tomlplusplus::tomlplusplus OpenSSL::Crypto)
# The fuzz build (OBP_FUZZ) needs only the pure libraries, not the node.
if(OBP_FUZZ)
  return()
endif()
add_library(proxyd_core STATIC
  net/io_pool.cc net/packet_conn.cc net/listener.cc
  session/session_state.cc session/server_session.cc session/control_connection.cc
  session/registry.cc session/backend_pool.cc session/client_session.cc session/client_login.cc
  session/client_query.cc session/client_forward.cc session/client_stmt.cc
  admin/admin_handler.cc admin/session_rows.cc
  kill/kill_service.cc kill/audit_log.cc kill/peer_forwarder.cc
  rpc/rpc_server.cc rpc/credentials.cc rpc/session_service.cc
  server.cc)
# A statement's path nests about ten coroutines (HandleQuery, Route, Forward, Write,
# Fill, ...); Asio recycles awaitable frames per thread but keeps only 2 by default,
# so the rest went to malloc on every statement. PUBLIC: every TU must agree.
target_compile_definitions(proxyd_core PUBLIC ASIO_NO_DEPRECATED ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16
                           PROXYD_VERSION="${PROJECT_VERSION}")
target_link_libraries(proxyd_core PUBLIC
  obp_mysql obp_sql obp_config obp_common obp_fleet_client fleet_proto obp_rpc_tokens
  gRPC::grpc++ gRPC::grpc++_reflection
  absl::status absl::statusor absl::strings absl::str_format absl::synchronization absl::time
  absl::flat_hash_map spdlog::spdlog Threads::Threads)
add_executable(proxyd main.cc)
target_link_libraries(proxyd PRIVATE proxyd_core CLI11::CLI11)
