// JsonString: a string as a quoted JSON string literal. Shared by obpctl's JSON
// output and proxyd's audit log, which both write JSON by hand (a line or two,
// not worth a JSON library).
#pragma once

#include <string>
#include <string_view>

namespace obp {

std::string JsonString(std::string_view s);

}  // namespace obp
