#include "clustertwin/cluster/tolerant_csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "clustertwin/core/error.hpp"

namespace ct::cluster {

CsvTable parse_csv_lines_tolerant(const std::string& text, const std::string& source,
                                  std::vector<std::string>& warnings,
                                  const std::vector<std::string>& header_if_missing) {
  CsvTable t;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<std::string> fields;
    try {
      // One line parsed alone: its "header" is the line's fields (quotes and escapes per RFC 4180).
      fields = parse_csv(line, source).header;
    } catch (const InputError& e) {
      if (t.header.empty()) throw;
      warnings.push_back(source + ": line " + std::to_string(line_no) + ": " + e.reason() + ", line skipped");
      continue;
    }
    if (t.header.empty()) {
      const bool is_header = header_if_missing.empty() || fields == header_if_missing;
      t.header = is_header ? std::move(fields) : header_if_missing;
      if (is_header) continue;
    }
    if (fields.size() != t.header.size()) {
      warnings.push_back(source + ": line " + std::to_string(line_no) + ": has " + std::to_string(fields.size()) +
                         " fields, the header has " + std::to_string(t.header.size()) + ", line skipped");
      continue;
    }
    t.rows.push_back(std::move(fields));
    t.row_lines.push_back(line_no);
  }
  if (t.header.empty()) throw InputError(source, "", "empty CSV file");
  return t;
}

bool parse_int64(const std::string& s, long long& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && !s.empty();
}

bool parse_double(const std::string& s, double& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && !s.empty() && std::isfinite(out);
}


CsvTable read_csv_lines_tolerant(const std::string& path, std::vector<std::string>& warnings,
                                 const std::vector<std::string>& header_if_missing) {
  return parse_csv_lines_tolerant(read_text_file(path), path, warnings, header_if_missing);
}

}  // namespace ct::cluster
