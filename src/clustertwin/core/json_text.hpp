#pragma once
// JSON text for outputs. Bytes that are not UTF-8 (a label, tenant or job name from a user's file)
// become U+FFFD instead of an exception (an internal error after the work was done).
#include <nlohmann/json.hpp>
#include <string>

namespace ct {

inline std::string json_text(const nlohmann::json& j, int indent = 2) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ct
