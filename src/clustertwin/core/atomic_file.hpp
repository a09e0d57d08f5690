#pragma once
// Writes a whole file or nothing, and never touches what the user did not ask for:
// - a regular file (or a new one) is written to a temporary file beside it, flushed to disk and
//   renamed into place, so an error never leaves a half-written output behind;
// - a symbolic link keeps being a link: its target is replaced, the same way;
// - a character device or pipe (/dev/null, /dev/stdout, a FIFO) is written straight through,
//   never replaced;
// - anything else (a directory, a socket, a block device) is refused.
// Every failure (no space left, a failed rename) is an InputError naming the path.
#include <string>
#include <vector>

namespace ct {

void write_file_atomically(const std::string& path, const std::string& content);

// The whole file as text; InputError naming the path if it cannot be opened.
std::string read_text_file(const std::string& path);

// Refuses (InputError naming `field`) an output path that is the same file as one of the inputs
// (std::filesystem::equivalent), e.g. `validate --cases X --out X`, which would overwrite the input
// with the results.
void check_output_is_not_an_input(const std::string& output, const std::vector<std::string>& inputs,
                                  const std::string& field);

}  // namespace ct
