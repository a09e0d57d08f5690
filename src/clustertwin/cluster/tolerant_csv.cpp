#include "clustertwin/cluster/tolerant_csv.hpp"

#include <fstream>
#include <sstream>

#include "clustertwin/core/error.hpp"

namespace ct::cluster {

CsvTable parse_csv_lines_tolerant(const std::string& text, const std::string& source,
                                  std::vector<std::string>& warnings) {
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
      t.header = std::move(fields);
      continue;
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

CsvTable read_csv_lines_tolerant(const std::string& path, std::vector<std::string>& warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_csv_lines_tolerant(ss.str(), path, warnings);
}

}  // namespace ct::cluster
