#include "proxyd/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace obp::net {
namespace {

absl::Status FileError(absl::string_view what, const std::string& file, const std::error_code& ec) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", file, "\": ", TlsErrorReason(ec)));
}

std::shared_ptr<asio::ssl::context> BaseContext(asio::ssl::context::method method) {
  auto ctx = std::make_shared<asio::ssl::context>(method);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // Records are written as the data plane hands them over; a partial write is
  // resumed with a buffer that may have moved (Asio keeps its own copy).
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

std::string TlsErrorReason(const std::error_code& ec) {
  ERR_clear_error();
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* why = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (why != nullptr) return why;
  }
  return ec.message();
}

absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(
    const ServerTlsFiles& files) {
  auto ctx = BaseContext(asio::ssl::context::tls_server);
  std::error_code ec;
  ERR_clear_error();
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec) return FileError("certificate", files.cert_file, ec);
  ctx->use_private_key_file(files.key_file, asio::ssl::context::pem, ec);
  // Asio carries OpenSSL's error code in the error_code itself.
  const bool mismatch = ec && ec.category() == asio::error::get_ssl_category() &&
                        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
                            X509_R_KEY_VALUES_MISMATCH;
  if (ec && !mismatch) return FileError("private key", files.key_file, ec);
  if (mismatch || SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("key_file ", files.key_file,
                                                   " does not match cert_file ", files.cert_file));
  }
  if (!files.ca_file.empty()) {
    ctx->load_verify_file(files.ca_file, ec);
    if (ec) return FileError("CA file", files.ca_file, ec);
    asio::ssl::verify_mode mode = asio::ssl::verify_peer;
    if (files.require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode);
  }
  // Session resumption with client certificates needs an id context.
  static const unsigned char kIdContext[] = "proxyd";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kIdContext, sizeof(kIdContext) - 1);
  return ctx;
}

absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(
    TlsVerify verify, const std::string& ca_file) {
  auto ctx = BaseContext(asio::ssl::context::tls_client);
  if (verify == TlsVerify::kNone) {
    ctx->set_verify_mode(asio::ssl::verify_none);
    return ctx;
  }
  std::error_code ec;
  ERR_clear_error();
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("system CAs: ", TlsErrorReason(ec)));
  } else {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return FileError("CA file", ca_file, ec);
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

}  // namespace obp::net
