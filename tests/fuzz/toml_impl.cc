// The fuzz build's copy of toml++ (OBP_FUZZ, see the top CMakeLists.txt): compiled
// here once, from the Debian headers, with the fuzzer's instrumentation, in place of
// the uninstrumented libtomlplusplus.so; every other file sees declarations only.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
