// Which build a binary is: the project version and the git commit it was
// built from, for `proxyd --version`, `obpctl version` and GetNodeInfo.
// The commit comes from a header the build regenerates (cmake/build_commit.cmake);
// only build_info.cc includes it, so a new commit recompiles one file and
// relinks, nothing more.
//
// Thread rule: constants; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace obp {

// The project version from CMakeLists.txt, e.g. "0.1.0".
std::string_view BuildVersion();

// The git commit the sources were at when built: 12 hex digits (more if git
// needs them to be unique), "unknown" when the source tree was not a git
// checkout, or whatever -DOBP_BUILD_COMMIT=... named.
std::string_view BuildCommit();

// "0.1.0 (commit 0123456789ab)".
std::string VersionText();

}  // namespace obp
