#pragma once
// Errors that reach the user: one line naming the file, the field and the reason.
#include <stdexcept>
#include <string>

namespace ct {

class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, const std::string& field, const std::string& reason)
      : std::runtime_error(format(file, field, reason)), file_(file), field_(field), reason_(reason) {}

  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  static std::string format(const std::string& file, const std::string& field, const std::string& reason) {
    std::string out = file.empty() ? std::string("<input>") : file;
    if (!field.empty()) out += ": " + field;
    return out + ": " + reason;
  }
  std::string file_, field_, reason_;
};

}  // namespace ct
