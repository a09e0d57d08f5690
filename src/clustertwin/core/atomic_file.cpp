#include "clustertwin/core/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "clustertwin/core/error.hpp"

namespace ct {

namespace fs = std::filesystem;

namespace {

std::string last_error() { return std::strerror(errno); }

// Closes the descriptor and removes the temporary file unless the write was committed.
struct PendingFile {
  int fd = -1;
  std::string tmp;
  ~PendingFile() {
    if (fd >= 0) ::close(fd);
    if (!tmp.empty()) ::unlink(tmp.c_str());
  }
};

// Every byte or an InputError: write() may write less than asked, or fail with ENOSPC.
void write_all(int fd, const std::string& content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw InputError(path, "", "write failed: " + last_error());
    done += static_cast<std::size_t>(n);
  }
}

// The file a path finally names, symbolic links followed (relative ones against their folder), so
// that the rename replaces the link's target and the link itself survives.
fs::path resolve_links(const std::string& path) {
  fs::path p = path;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) throw InputError(path, "", "cannot read the symbolic link: " + ec.message());
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  throw InputError(path, "", "too many levels of symbolic links");
}

// Devices, pipes and anything under /dev or /proc (/dev/stdout is a link into /proc) belong to the
// system: written in place, never replaced by a rename.
bool write_through(const std::string& path, const fs::file_status& st) {
  if (st.type() == fs::file_type::character || st.type() == fs::file_type::fifo) return true;
  return fs::exists(st) && (path.starts_with("/dev/") || path.starts_with("/proc/"));
}

const char* type_name(fs::file_type t) {
  switch (t) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::block: return "a block device";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
  }
}

void write_in_place(const std::string& path, const std::string& content) {
  // O_NONBLOCK: a FIFO nobody reads fails (ENXIO) instead of blocking forever; cleared for writing.
  PendingFile f;
  f.fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
  if (f.fd < 0) throw InputError(path, "", "cannot write: " + last_error());
  ::fcntl(f.fd, F_SETFL, ::fcntl(f.fd, F_GETFL) & ~O_NONBLOCK);
  write_all(f.fd, content, path);
  const int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0) throw InputError(path, "", "write failed: " + last_error());
}

void replace_atomically(const std::string& path, const fs::path& target, const std::string& content) {
  PendingFile f;
  // X.tmp, or another free name: O_EXCL never reuses a file of the same name that someone else owns.
  for (int attempt = 0; f.fd < 0; ++attempt) {
    f.tmp = target.string();
    f.tmp += ".tmp";
    if (attempt > 0) f.tmp += fmt::format(".{}.{}", ::getpid(), attempt);
    f.fd = ::open(f.tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f.fd < 0 && (errno != EEXIST || attempt >= 100)) {
      f.tmp.clear();
      throw InputError(path, "", "cannot write file: " + last_error());
    }
  }
  struct stat old {};
  if (::stat(target.c_str(), &old) == 0) ::fchmod(f.fd, old.st_mode & 07777);  // keep the replaced file's mode
  write_all(f.fd, content, path);
  if (::fsync(f.fd) != 0) throw InputError(path, "", "write failed: " + last_error());
  const int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0) throw InputError(path, "", "write failed: " + last_error());
  if (::rename(f.tmp.c_str(), target.c_str()) != 0) throw InputError(path, "", "cannot rename into place: " + last_error());
  f.tmp.clear();  // committed
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  if (path.empty()) throw InputError("<output>", "", "empty output path");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // links followed by the kernel (/proc/self/fd too)
  if (write_through(path, st)) return write_in_place(path, content);
  if (fs::exists(st) && st.type() != fs::file_type::regular)
    throw InputError(path, "", std::string(type_name(st.type())) + ", not a file: refusing to replace it");
  replace_atomically(path, resolve_links(path), content);
}

void check_output_is_not_an_input(const std::string& output, const std::vector<std::string>& inputs,
                                  const std::string& field) {
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (!in.empty() && fs::equivalent(output, in, ec) && !ec)
      throw InputError(output, field, "is also an input (" + in + "); refusing to overwrite it with results");
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ct
