#pragma once
// RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes.
#include <map>
#include <string>
#include <vector>

namespace ct {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> row_lines;  // 1-based line where each row starts, for error messages

  int column(const std::string& name) const;  // -1 if absent
};

// One row of a table, read by column name with surrounding spaces trimmed.
class CsvRowView {
 public:
  CsvRowView(const CsvTable& t, std::size_t row) : t_(t), row_(row) {}
  // Throws InputError naming the column if the table has no such column.
  std::string str(const char* column) const;

 private:
  const CsvTable& t_;
  std::size_t row_;
};

// Throws InputError (with the line number) on an unterminated quote or a row whose field count
// differs from the header's.
CsvTable parse_csv(const std::string& text, const std::string& source);
CsvTable read_csv_file(const std::string& path);

std::string csv_escape(const std::string& field);
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace ct
