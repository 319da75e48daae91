#include "common/core/toml_util.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace obp {

absl::StatusOr<std::string> ReadTextFile(const std::string& path, absl::string_view what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot read ", what, ": is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    auto msg = absl::StrCat(path, ": cannot read ", what, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::FailedPreconditionError(msg);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": cannot read ", what));
  }
  return std::move(text).str();
}

absl::StatusOr<toml::table> ParseTomlText(absl::string_view text, absl::string_view source) {
  // toml++ copies the source name into every node's region, so a std::string is fine here.
  std::string source_name(source);
  try {
    return toml::parse(std::string_view(text.data(), text.size()), std::move(source_name));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(TomlWhere(source, e.source().begin), ": ", std::string(e.description())));
  }
}

std::string TomlWhere(absl::string_view source, const toml::source_position& pos) {
  if (!pos) return std::string(source);
  return absl::StrCat(source, ":", pos.line, ":", pos.column);
}

absl::Status TomlError(absl::string_view source, const toml::source_position& pos,
                       absl::string_view key_path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(TomlWhere(source, pos), ": ", key_path, ": ", what));
}

std::string TomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

}  // namespace obp
