#pragma once
#include <cstdlib>
#include <string>

namespace ct {
// Where the built-in catalogs live: $CLUSTERTWIN_DATA, else the source tree's data/.
inline std::string data_dir() {
  if (const char* env = std::getenv("CLUSTERTWIN_DATA"); env && *env) return env;
  return CLUSTERTWIN_DATA_DIR;
}
}  // namespace ct
