#include "clustertwin/core/paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "clustertwin/core/error.hpp"

namespace ct {
namespace {

namespace fs = std::filesystem;

std::string& data_override() {
  static std::string dir;
  return dir;
}
std::vector<std::string>& overlay_override() {
  static std::vector<std::string> dirs;
  return dirs;
}

std::vector<std::string> overlays_from_env() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("CLUSTERTWIN_OVERLAY"); env && *env) {
    std::stringstream list(env);
    for (std::string d; std::getline(list, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
  return dirs;
}

bool is_data_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p / "hardware" / "systems.yaml", ec);
}

std::string absolute(const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::absolute(dir, ec);
  return (ec ? fs::path(dir) : p).lexically_normal().string();
}

std::string checked(const std::string& dir, const char* where) {
  const std::string abs = absolute(dir);
  if (!is_data_dir(abs)) throw InputError(where, "data", "'" + abs + "' is not a clustertwin data directory (no hardware/systems.yaml)");
  return abs;
}

std::string beside_executable() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path bin = exe.parent_path();
  for (const fs::path& p : {bin / ".." / "share" / "clustertwin" / "data", bin / "data", bin / ".." / "data"})
    if (is_data_dir(p)) return p.lexically_normal().string();
  return "";
}

}  // namespace

void set_data_dir(const std::string& dir) { data_override() = dir; }
void set_overlay_dirs(const std::vector<std::string>& dirs) { overlay_override() = dirs; }

std::string data_dir() {
  if (!data_override().empty()) return checked(data_override(), "--data");
  if (const char* env = std::getenv("CLUSTERTWIN_DATA"); env && *env) return checked(env, "CLUSTERTWIN_DATA");
  if (std::string beside = beside_executable(); !beside.empty()) return beside;
  return CLUSTERTWIN_DATA_DIR;
}

std::vector<std::string> overlay_dirs() {
  std::vector<std::string> out;
  const std::vector<std::string> given = overlay_override().empty() ? overlays_from_env() : overlay_override();
  for (const std::string& d : given) {
    const std::string abs = absolute(d);
    std::error_code ec;
    if (!fs::is_directory(abs, ec)) throw InputError("--overlay", "overlay", "'" + abs + "' is not a directory");
    out.push_back(abs);
  }
  return out;
}

}  // namespace ct
