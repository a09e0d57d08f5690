#include "clustertwin/core/atomic_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "clustertwin/core/error.hpp"

namespace ct {

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path, "", "cannot write file");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError(path, "", "write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw InputError(path, "", "cannot rename into place: " + ec.message());
  }
}

}  // namespace ct
