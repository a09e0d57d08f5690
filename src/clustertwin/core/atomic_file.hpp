#pragma once
// Writes a whole file or nothing: the content goes to a temporary file renamed into place, so
// an error never leaves a half-written output behind.
#include <string>

namespace ct {

void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace ct
