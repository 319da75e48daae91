#include "common/core/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace obp {
namespace {

bool IsDigits(absl::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A DNS name or dotted IPv4: letters, digits, '-', '_', '.'.
bool IsNameHost(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// An IPv6 literal (with an optional %zone): hex digits, ':', '.', and after '%' a zone name.
bool IsV6Host(absl::string_view s) {
  size_t pct = s.find('%');
  absl::string_view addr = s.substr(0, pct);
  if (addr.find(':') == absl::string_view::npos) return false;
  for (char c : addr) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
  }
  return pct == absl::string_view::npos || IsNameHost(s.substr(pct + 1));
}

}  // namespace

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("expected \"HOST:PORT\", got \"", text, "\""));
  };
  absl::string_view host, port;
  bool v6 = !text.empty() && text[0] == '[';
  if (v6) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || text.substr(close + 1, 1) != ":") return bad();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.find(':');
    // More than one ':' is an IPv6 literal without brackets: ambiguous, refused.
    if (colon == absl::string_view::npos || text.find(':', colon + 1) != absl::string_view::npos) {
      return bad();
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint32_t p = 0;
  if (!(v6 ? IsV6Host(host) : IsNameHost(host)) || !IsDigits(port) || !absl::SimpleAtoi(port, &p) ||
      p == 0 || p > 65535) {
    return bad();
  }
  return HostPort{std::string(host), static_cast<uint16_t>(p)};
}

}  // namespace obp
