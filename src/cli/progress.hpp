#pragma once
// A one-line progress bar on stderr when it is a terminal; nothing in pipes or scripts.
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

namespace ct::cli {

inline std::function<void(int, int)> progress_bar(bool wanted, const char* what) {
  if (!wanted || !isatty(STDERR_FILENO)) return {};
  return [what](int done, int total) {
    const int width = 40, filled = total > 0 ? width * done / total : width;
    std::fprintf(stderr, "\r  [%s%s] %d/%d %s", std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 done, total, what);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
}

}  // namespace ct::cli
