#include "proxyd/session/user_var_value.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/session/session_state.h"

namespace obp::session {
namespace {

constexpr size_t kColumnsPerVar = 4;  // the value, CHARSET(), COLLATION(), HEX()

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("user variable read back: ", what));
}

bool AllOf(absl::string_view s, absl::string_view allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == absl::string_view::npos;
}

// -digits[.digits]
bool IsExactNumber(absl::string_view s, bool fraction_allowed) {
  if (absl::ConsumePrefix(&s, "-") && s.empty()) return false;
  size_t dot = s.find('.');
  if (dot == absl::string_view::npos) return AllOf(s, "0123456789");
  return fraction_allowed && AllOf(s.substr(0, dot), "0123456789") &&
         AllOf(s.substr(dot + 1), "0123456789");
}

bool IsName(absl::string_view s) {
  return AllOf(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
}

}  // namespace

std::string UserVarQuery(const std::vector<std::string>& names) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string v = UserVarRef(names[i]);
    absl::StrAppend(&sql, i ? ", " : "", v, ", CHARSET(", v, "), COLLATION(", v, "), HEX(", v, ")");
  }
  return sql;
}

absl::StatusOr<std::string> UserVarLiteral(const std::vector<mysql::ColumnDef>& columns,
                                           const mysql::Row& row, size_t i) {
  const size_t at = kColumnsPerVar * i;
  if (columns.size() != row.size() || row.size() < at + kColumnsPerVar) {
    return Bad("too few columns");
  }
  const std::optional<std::string>& value = row[at];
  if (!value) return std::string("NULL");
  switch (columns[at].type) {
    case mysql::kTypeTiny:
    case mysql::kTypeShort:
    case mysql::kTypeInt24:
    case mysql::kTypeLong:
    case mysql::kTypeLongLong:
      if (!IsExactNumber(*value, false)) return Bad("not an integer");
      return *value;
    case mysql::kTypeDecimal:
    case mysql::kTypeNewDecimal:
      if (!IsExactNumber(*value, true)) return Bad("not a decimal");
      return *value;
    case mysql::kTypeDouble: {
      // "0.30000000000000004", "1e+301", "-1.5e-07": an exponent keeps it a double.
      double ignored;
      if (!AllOf(*value, "0123456789.eE+-") || !absl::SimpleAtod(*value, &ignored)) {
        return Bad("not a double");
      }
      if (value->find_first_of("eE") != std::string::npos) return *value;
      return absl::StrCat(*value, "e0");
    }
    case mysql::kTypeVarChar:
    case mysql::kTypeVarString:
    case mysql::kTypeString:
    case mysql::kTypeTinyBlob:
    case mysql::kTypeMediumBlob:
    case mysql::kTypeLongBlob:
    case mysql::kTypeBlob: {
      // The value column comes converted to the connection's character set; HEX() has
      // the variable's own bytes.
      const std::optional<std::string>& charset = row[at + 1];
      const std::optional<std::string>& collation = row[at + 2];
      const std::optional<std::string>& hex_bytes = row[at + 3];
      if (!charset || !collation || !IsName(*charset) || !IsName(*collation)) {
        return Bad("no character set and collation");
      }
      if (!hex_bytes || hex_bytes->size() % 2 != 0 ||
          hex_bytes->find_first_not_of("0123456789ABCDEFabcdef") != std::string::npos) {
        return Bad("HEX() is not hex");
      }
      std::string hex = absl::StrCat("X'", *hex_bytes, "'");
      if (*collation == "binary") return absl::StrCat("_binary ", hex);
      return absl::StrCat("_", *charset, " ", hex, " COLLATE ", *collation);
    }
    default:
      return Bad(absl::StrCat("column type ", columns[at].type));
  }
}

}  // namespace obp::session
