#include "clustertwin/core/csv.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include "clustertwin/core/error.hpp"

namespace ct {

int CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

std::string CsvRowView::str(const char* column) const {
  const int c = t_.column(column);
  if (c < 0) throw InputError("cases", column, "column missing");
  std::string v = t_.rows[row_][c];
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
  return v;
}

CsvTable parse_csv(const std::string& text, const std::string& source) {
  CsvTable t;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false, field_quoted = false, row_has_content = false;
  int line = 1, row_start = 1;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_quoted = false;
  };
  auto end_row = [&] {
    end_field();
    if (t.header.empty()) {
      t.header = std::move(row);
    } else {
      if (row.size() != t.header.size())
        throw InputError(source, "line " + std::to_string(row_start),
                         "has " + std::to_string(row.size()) + " fields, the header has " + std::to_string(t.header.size()));
      t.rows.push_back(std::move(row));
      t.row_lines.push_back(row_start);
    }
    row.clear();
    row_has_content = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty()) throw InputError(source, "line " + std::to_string(line), "quote inside an unquoted field");
        in_quotes = field_quoted = row_has_content = true;
        break;
      case ',': end_field(); row_has_content = true; break;
      case '\r': break;
      case '\n':
        if (row_has_content || !field.empty()) end_row();
        ++line;
        row_start = line;
        break;
      default: field += c; row_has_content = true; break;
    }
  }
  if (in_quotes) throw InputError(source, "line " + std::to_string(row_start), "unterminated quoted field");
  if (row_has_content || !field.empty()) end_row();
  if (t.header.empty()) throw InputError(source, "", "empty CSV file");
  (void)field_quoted;
  return t;
}

CsvTable read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

std::string csv_escape(const std::string& f) {
  if (f.find_first_of(",\"\n\r") == std::string::npos) return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_escape(fields[i]);
  }
  return out + "\n";
}

}  // namespace ct
