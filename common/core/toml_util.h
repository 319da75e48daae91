// Helpers shared by the TOML readers (fleet file here, proxyd's config in proxyd/config):
// read a file, parse it without letting toml++ exceptions escape, and word errors as
// "<source>:<line>:<column>: <key path>: <what>".
//
// Thread rule: pure functions.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp {

// Whole file as text. NotFound / FailedPrecondition "<path>: cannot read <what>: <reason>".
absl::StatusOr<std::string> ReadTextFile(const std::string& path, absl::string_view what);

// toml::parse with its parse_error turned into InvalidArgument "<source>:<l>:<c>: <what>".
absl::StatusOr<toml::table> ParseTomlText(absl::string_view text, absl::string_view source);

// "<source>:<line>:<column>", or just "<source>" when toml++ knows no position.
std::string TomlWhere(absl::string_view source, const toml::source_position& pos);

// InvalidArgument "<source>:<line>:<column>: <key_path>: <what>".
absl::Status TomlError(absl::string_view source, const toml::source_position& pos,
                       absl::string_view key_path, absl::string_view what);

// "a string", "an integer", "a table", ... for "expected X, got Y" messages.
std::string TomlTypeName(const toml::node& node);

}  // namespace obp
