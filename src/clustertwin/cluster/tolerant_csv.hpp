#pragma once
// Reads a one-record-per-line CSV (the trace formats: no quoted newlines) and keeps going past a
// malformed line: the line is skipped and reported with its number in `warnings`. A header
// problem (missing file, empty file) is still an InputError: nothing can be read without it.
#include <string>
#include <vector>

#include "clustertwin/core/csv.hpp"

namespace ct::cluster {

CsvTable read_csv_lines_tolerant(const std::string& path, std::vector<std::string>& warnings);
CsvTable parse_csv_lines_tolerant(const std::string& text, const std::string& source,
                                  std::vector<std::string>& warnings);

}  // namespace ct::cluster
