#pragma once
// Runs the clustertwin binary (CLUSTERTWIN_BINARY) with arguments, capturing exit code, stdout and
// stderr, for the tests that meet the CLI as a user does.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ct::testing {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q.append("'\\''");
    else
      q.push_back(c);
  }
  q.push_back('\'');
  return q;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Lines of text; a final line without '\n' counts too.
inline int count_lines(const std::string& s) {
  if (s.empty()) return 0;
  return static_cast<int>(std::count(s.begin(), s.end(), '\n')) + (s.back() == '\n' ? 0 : 1);
}

// `timeout 60` turns a hang into a failure (exit 124) instead of a stuck suite.
inline CliResult run_cli(const std::vector<std::string>& args, const std::filesystem::path& scratch) {
  std::string cmd = "timeout 60 ";
  cmd += shell_quote(CLUSTERTWIN_BINARY);
  for (const auto& a : args) cmd.append(" ").append(shell_quote(a));
  const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  cmd.append(" >").append(shell_quote(out.string())).append(" 2>").append(shell_quote(err.string()));
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

}  // namespace ct::testing
