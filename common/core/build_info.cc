#include "common/core/build_info.h"

#include "obp_build_commit.h"  // generated: OBP_BUILD_COMMIT

namespace obp {

std::string_view BuildVersion() { return OBP_VERSION; }

std::string_view BuildCommit() { return OBP_BUILD_COMMIT; }

std::string VersionText() {
  return std::string(BuildVersion()) + " (commit " + std::string(BuildCommit()) + ")";
}

}  // namespace obp
