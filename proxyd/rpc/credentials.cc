#include "proxyd/rpc/credentials.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/core/toml_util.h"

namespace obp::rpc {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Bio MemBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
}

// The certificate and key must be PEM and belong together.
absl::Status CheckKeyPair(const config::TlsConfig& tls, const std::string& cert_pem,
                          const std::string& key_pem) {
  Bio cb = MemBio(cert_pem);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) {
    return absl::InvalidArgumentError(
        absl::StrCat(tls.cert_file, ": grpc_tls.cert_file: not a PEM certificate"));
  }
  Bio kb = MemBio(key_pem);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) {
    return absl::InvalidArgumentError(
        absl::StrCat(tls.key_file, ": grpc_tls.key_file: not an unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("grpc_tls: key_file ", tls.key_file,
                                                   " does not match cert_file ", tls.cert_file));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::TlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  auto cert = ReadTextFile(tls.cert_file, "grpc_tls.cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadTextFile(tls.key_file, "grpc_tls.key_file");
  if (!key.ok()) return key.status();
  if (absl::Status s = CheckKeyPair(tls, *cert, *key); !s.ok()) return s;
  // Without require_client_cert, no client certificate is asked for at all: a
  // half-checked optional one would look like security without being it.
  grpc::SslServerCredentialsOptions opts(
      tls.require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                              : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!tls.ca_file.empty()) {
    auto ca = ReadTextFile(tls.ca_file, "grpc_tls.ca_file");
    if (!ca.ok()) return ca.status();
    opts.pem_root_certs = *ca;
  }
  opts.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(opts);
}

}  // namespace obp::rpc
