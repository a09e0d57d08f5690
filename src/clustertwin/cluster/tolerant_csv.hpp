#pragma once
// Reads a one-record-per-line CSV (the trace formats: no quoted newlines) and keeps going past a
// malformed line: the line is skipped and reported with its number in `warnings`. A header
// problem (missing file, empty file) is still an InputError: nothing can be read without it.
// `header_if_missing`: for traces published without a header line (Alibaba PAI-2020 keeps its
// headers in separate .header files); when the first line differs from it, it is data.
#include <string>

#include "clustertwin/core/atomic_file.hpp"
#include <vector>

#include "clustertwin/core/csv.hpp"

namespace ct::cluster {

CsvTable read_csv_lines_tolerant(const std::string& path, std::vector<std::string>& warnings,
                                 const std::vector<std::string>& header_if_missing = {});
CsvTable parse_csv_lines_tolerant(const std::string& text, const std::string& source,
                                  std::vector<std::string>& warnings,
                                  const std::vector<std::string>& header_if_missing = {});
// Field parsers that return false instead of throwing: malformed trace lines are expected.
bool parse_int64(const std::string& s, long long& out);  // a whole decimal number
bool parse_double(const std::string& s, double& out);    // a finite decimal number

using ct::read_text_file;  // core/atomic_file.hpp

}  // namespace ct::cluster
