#include "clustertwin/calibrate/fit_spec.hpp"

#include <fmt/format.h>

#include <regex>

#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct {
namespace {

std::string regex_escape(const std::string& s) { return std::regex_replace(s, std::regex(R"([.^$|()\[\]{}*+?\\-])"), R"(\$&)"); }

// [begin, end) of the `  - key: id` block.
std::pair<std::size_t, std::size_t> block(const std::string& text, const FitParameter& p, const std::string& id,
                                          const std::string& path) {
  const std::string head = fmt::format("  - {}: {}\n", p.block_key, id);
  const std::size_t begin = text.find(head);
  if (begin == std::string::npos) throw InputError(path, p.name, fmt::format("no block '{}: {}'", p.block_key, id));
  const std::size_t next = text.find(fmt::format("\n  - {}: ", p.block_key), begin + 1);
  return {begin, next == std::string::npos ? text.size() : next};
}

std::regex field_line(const std::string& field, int indent) {
  return std::regex(fmt::format("(^|\n)({}{}: )([-0-9.eE+]+)(?=\n|$)", std::string(indent, ' '), regex_escape(field)));
}

std::regex inline_pair(const std::string& name) {
  return std::regex(fmt::format(R"(({}: \{{fwd: )([0-9.eE+-]+)(, bwd: )([0-9.eE+-]+)(\}}))", regex_escape(name)));
}

double number(const std::string& s, const std::string& path, const std::string& what) {
  try {
    return std::stod(s);
  } catch (...) {
    throw InputError(path, what, "'" + s + "' is not a number");
  }
}

// `text` with the number of the first match of `line` (group 3 of field_line) set to `value`; false if none.
bool set_first(std::string& text, const std::regex& line, double value) {
  std::smatch m;
  if (!std::regex_search(text, m, line)) return false;
  text.replace(static_cast<std::size_t>(m.position(3)), static_cast<std::size_t>(m.length(3)), fmt::format("{:.4g}", value));
  return true;
}

}  // namespace

FitSpec load_fit_spec(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  FitSpec spec;
  spec.rounds = static_cast<int>(yaml_number(root, "rounds", path, ""));
  spec.first_step = yaml_number(root, "first_step", path, "");
  spec.max_moves = static_cast<int>(yaml_number(root, "max_moves", path, ""));
  spec.min_rows = static_cast<int>(yaml_number(root, "min_rows", path, ""));
  if (spec.rounds < 1 || spec.rounds > 20) throw InputError(path, "rounds", "must be 1-20");
  if (!(spec.first_step > 0 && spec.first_step < 1)) throw InputError(path, "first_step", "must lie between 0 and 1");
  if (spec.max_moves < 1 || spec.max_moves > 50) throw InputError(path, "max_moves", "must be 1-50");
  if (spec.min_rows < 1) throw InputError(path, "min_rows", "must be at least 1");
  const YAML::Node metrics = root["objective_metrics"];
  if (!metrics || !metrics.IsSequence() || metrics.size() == 0)
    throw InputError(path, "objective_metrics", "must be a non-empty list");
  for (const auto& m : metrics) spec.objective_metrics.push_back(m.as<std::string>());
  const YAML::Node params = root["parameters"];
  if (!params || !params.IsSequence()) throw InputError(path, "parameters", "must be a list");
  for (std::size_t i = 0; i < params.size(); ++i) {
    const YAML::Node n = params[i];
    const std::string at = fmt::format("parameters[{}]", i);
    if (!n.IsMap()) throw InputError(path, at, "must be a mapping");
    FitParameter p;
    p.name = yaml_string(n, "name", path, at);
    p.file = yaml_string(n, "file", path, at);
    p.prior = yaml_number(n, "prior", path, at + "." + p.name);
    const YAML::Node b = n["bounds"];
    if (!b || !b.IsSequence() || b.size() != 2) throw InputError(path, at + ".bounds", "must be [low, high]");
    p.lo = b[0].as<double>(), p.hi = b[1].as<double>();
    if (!(p.lo >= 0 && p.lo < p.hi)) throw InputError(path, at + ".bounds", "must satisfy 0 <= low < high");
    if (!(p.prior >= p.lo && p.prior <= p.hi)) throw InputError(path, at + ".prior", "must lie within the bounds");
    if (n["inline_scale"]) {
      p.kind = FitParameter::Kind::InlineScale;
      p.field = yaml_string(n, "inline_scale", path, at);
    } else if (n["block"]) {
      p.kind = FitParameter::Kind::BlockField;
      p.field = yaml_string(n, "field", path, at);
      p.block_key = yaml_string(n["block"], "key", path, at + ".block");
      const YAML::Node ids = n["block"]["ids"];
      if (!ids || !ids.IsSequence() || ids.size() == 0) throw InputError(path, at + ".block.ids", "must be a non-empty list");
      for (const auto& id : ids) p.ids.push_back(id.as<std::string>());
    } else {
      p.field = yaml_string(n, "field", path, at);
    }
    spec.parameters.push_back(std::move(p));
  }
  return spec;
}

double read_parameter(const FitParameter& p, const std::string& dir) {
  const std::string path = dir + "/" + p.file, text = read_text_file(path);
  std::smatch m;
  switch (p.kind) {
    case FitParameter::Kind::InlineScale:
      if (!std::regex_search(text, m, inline_pair(p.field))) throw InputError(path, p.name, "no '" + p.field + ": {fwd: .., bwd: ..}'");
      return number(m[2], path, p.name);
    case FitParameter::Kind::BlockField: {
      const auto [begin, end] = block(text, p, p.ids.front(), path);
      const std::string body = text.substr(begin, end - begin);
      if (!std::regex_search(body, m, field_line(p.field, 4))) throw InputError(path, p.name, "no field '" + p.field + "'");
      return number(m[3], path, p.name);
    }
    case FitParameter::Kind::TopField:
      if (!std::regex_search(text, m, field_line(p.field, 2))) throw InputError(path, p.name, "no field '" + p.field + "'");
      return number(m[3], path, p.name);
  }
  return 0;
}

void write_parameter(const FitParameter& p, const std::string& dir, double value) {
  const std::string path = dir + "/" + p.file;
  std::string text = read_text_file(path);
  switch (p.kind) {
    case FitParameter::Kind::InlineScale: {
      const double scale = value / read_parameter(p, dir);
      std::string out;
      const std::regex pair = inline_pair(p.field);
      auto it = std::sregex_iterator(text.begin(), text.end(), pair);
      std::size_t last = 0;
      for (; it != std::sregex_iterator(); ++it) {
        const std::smatch& m = *it;
        out += text.substr(last, static_cast<std::size_t>(m.position(0)) - last);
        out += fmt::format("{}{:.3g}{}{:.3g}{}", m[1].str(), number(m[2], path, p.name) * scale, m[3].str(),
                           number(m[4], path, p.name) * scale, m[5].str());
        last = static_cast<std::size_t>(m.position(0) + m.length(0));
      }
      text = out + text.substr(last);
      break;
    }
    case FitParameter::Kind::BlockField:
      for (const std::string& id : p.ids) {
        const auto [begin, end] = block(text, p, id, path);
        std::string body = text.substr(begin, end - begin);
        if (!set_first(body, field_line(p.field, 4), value))
          throw InputError(path, p.name, "no field '" + p.field + "' in block " + id);
        text = text.substr(0, begin) + body + text.substr(end);
      }
      break;
    case FitParameter::Kind::TopField:
      if (!set_first(text, field_line(p.field, 2), value)) throw InputError(path, p.name, "no field '" + p.field + "'");
      break;
  }
  write_file_atomically(path, text);
}

}  // namespace ct
