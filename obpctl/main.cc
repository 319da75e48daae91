// obpctl: the operators' CLI for a fleet of proxyd nodes (SPEC §5). The
// command line lives in app.cc; this only hands it the process's streams.
#include <grpc/grpc.h>

#include <iostream>

#include "obpctl/app.h"

int main(int argc, char** argv) {
  // gRPC tears itself down on one of its own threads, asynchronously, when its
  // last object goes there (a closing TLS channel, say); the process could then
  // exit with that half done, which LeakSanitizer once reported as leaked
  // OpenSSL state. Holding a reference for the whole run and dropping it with
  // grpc_shutdown_blocking makes the teardown finish before exit.
  grpc_init();
  int rc = obp::ctl::RunObpctl(argc, argv, obp::ctl::Io{std::cout, std::cerr});
  grpc_shutdown_blocking();
  return rc;
}
