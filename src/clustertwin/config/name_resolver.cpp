#include "clustertwin/config/name_resolver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <set>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
bool is_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; }) &&
         std::isdigit(static_cast<unsigned char>(s[0]));
}
bool has_alpha(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isalpha(c); });
}
bool contains(const std::vector<std::string>& v, const std::string& w) { return std::find(v.begin(), v.end(), w) != v.end(); }
bool near(double a, double b, double rel) { return std::abs(a - b) <= rel * std::max(a, b); }
// Digits to an int, saturating (free text may hold any number).
int to_int(const std::string& digits) { return static_cast<int>(std::min(std::strtol(digits.c_str(), nullptr, 10), 1L << 30)); }

// Words of a text: letters and digits, with a '.' kept between digits ("3.6B", "llama3.1"). In
// hardware text only inside a number: "p5.48xlarge" is p5 + 48xlarge.
std::vector<std::string> split_raw(const std::string& text, bool numbers_only = false) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool decimal = c == '.' && i > 0 && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
                         std::isdigit(static_cast<unsigned char>(text[i + 1])) && (!numbers_only || is_number(cur));
    if (std::isalnum(c) || decimal) {
      cur += static_cast<char>(c);
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> w = split_raw(lower(text));
  std::vector<std::string> out;
  for (const std::string& s : w) {  // no decimals in these vocabularies: "25.09" is two words
    std::size_t start = 0;
    for (std::size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1) out.push_back(s.substr(start, dot - start));
    out.push_back(s.substr(start));
  }
  return out;
}

// ---- Hardware tokens ------------------------------------------------------------------------

// One word of a hardware text. Case is kept: "Gb" (bits, a network rate) is not "GB" (bytes).
struct Tok {
  std::string raw, low;
  bool count = false;  // "8x", "x8": a multiplier, not a quantity
};

void push_tok(std::vector<Tok>& out, const std::string& raw, bool count = false) {
  if (!raw.empty()) out.push_back({raw, lower(raw), count});
}

// "8x400Gb", "4XH100" -> count + rest; "H100x8", "NVLx8", "aarch64x72" -> rest + count.
void split_counts(const std::string& raw, std::vector<Tok>& out) {
  static const std::regex lead(R"(^(\d+)[xX]([A-Za-z0-9].*)?$)");
  static const std::regex trail(R"(^(.*[A-Za-z].*?)[xX](\d+)$)");
  std::smatch m;
  if (std::regex_match(raw, m, lead)) {
    push_tok(out, m[1], true);
    push_tok(out, m[2]);
  } else if (std::regex_match(raw, m, trail)) {
    push_tok(out, m[1]);
    push_tok(out, m[2], true);
  } else {
    push_tok(out, raw);
  }
}

// A family glued to what follows it: "B200SXM" -> B200 + SXM, "GB200NVL72" -> GB200 + NVL72.
void split_family(const Tok& k, const NameDefaults& d, std::vector<Tok>& out) {
  for (const auto& f : d.families)
    for (const std::string& w : f.written)
      if (w.find(' ') == std::string::npos && k.low.size() > w.size() && k.low.rfind(w, 0) == 0 &&
          std::isalpha(static_cast<unsigned char>(k.low[w.size()]))) {
        push_tok(out, k.raw.substr(0, w.size()));
        push_tok(out, k.raw.substr(w.size()));
        return;
      }
  out.push_back(k);
}

std::vector<Tok> hw_tokens(const std::string& text, const NameDefaults& d) {
  std::vector<Tok> t;
  for (const std::string& raw : split_raw(text, true)) {
    if ((raw == "x" || raw == "X") && !t.empty() && is_number(t.back().low)) {
      t.back().count = true;  // "8 x 400G"
      continue;
    }
    split_counts(raw, t);
  }
  std::vector<Tok> out;
  for (const Tok& k : t) split_family(k, d, out);
  return out;
}

bool match_words(const std::vector<Tok>& t, std::size_t i, const std::vector<std::string>& w) {
  if (i + w.size() > t.size()) return false;
  for (std::size_t k = 0; k < w.size(); ++k)
    if (t[i + k].low != w[k]) return false;
  return true;
}

// Node words imply more text ("p4d" -> "A100 SXM4 40GB AWS EFA"), read after what was written.
std::vector<Tok> with_implied(std::vector<Tok> t, const NameDefaults& d) {
  const std::size_t n = t.size();
  for (const auto& nw : d.node_words) {
    const std::vector<std::string> w = split_raw(lower(nw.words));
    for (std::size_t i = 0; i < n; ++i)
      if (match_words(t, i, w)) {
        for (const Tok& k : hw_tokens(nw.implies, d)) t.push_back(k);
        break;
      }
  }
  return t;
}

// ---- What a hardware text states ------------------------------------------------------------

enum class Form { Unstated, Sxm, Pcie, Nvl };

struct Rate {
  double gbps = 0;
  bool per_gpu = false;
  int count = 0;  // "8x400Gb/s": NICs
};

struct HwText {
  const NameDefaults::Family* family = nullptr;
  Form form = Form::Unstated;
  std::optional<double> memory_gb, power_w;
  std::vector<Rate> rates;
  std::string fabric;  // fabrics.yaml technology; empty: not stated
  std::set<std::string> hints;
};

enum class Unit { None, Memory, Rate, Bandwidth, Power };

// `unit` as written; `next` the word after it ("s" of "/s").
std::pair<Unit, double> classify_unit(const std::string& unit, const std::string& next) {
  const std::string u = lower(unit);
  const bool per_s = next == "s" || next == "sec";
  if (u == "w" || u == "watt" || u == "watts") return {Unit::Power, 1};
  if (u == "gbps" || u == "gbit" || u == "gbe" || u == "gbs") return {Unit::Rate, 1};
  if (u == "tbps" || u == "tbit" || unit == "Tb") return {Unit::Rate, 1000};
  if (unit == "Gb") return {Unit::Rate, 1};
  if (u == "gb") return {per_s ? (unit == "GB" ? Unit::Bandwidth : Unit::Rate) : Unit::Memory, 1};
  if (u == "g") return {next.rfind("hbm", 0) == 0 ? Unit::Memory : Unit::Rate, 1};
  if (u == "tb") return {Unit::Bandwidth, 1};  // TB/s of HBM or NVLink, TB of host memory: neither
  return {Unit::None, 0};
}

const std::string& low_at(const std::vector<Tok>& t, std::size_t i) {
  static const std::string none;
  return i < t.size() ? t[i].low : none;
}

// A quantity at t[i] ("80GB", "40 GB", "500W", "400Gb/s/GPU"); returns the words it used (0: none).
std::size_t read_quantity(const std::vector<Tok>& t, std::size_t i, HwText& h) {
  static const std::regex glued(R"(^(\d+(?:\.\d+)?)([A-Za-z]+)$)");
  std::smatch m;
  std::string num, unit;
  std::size_t used = 1;
  if (std::regex_match(t[i].raw, m, glued)) {
    num = m[1], unit = m[2];
  } else if (is_number(t[i].low) && !t[i].count && i + 1 < t.size()) {
    num = t[i].raw, unit = t[i + 1].raw, used = 2;
  } else {
    return 0;
  }
  const auto [kind, scale] = classify_unit(unit, low_at(t, i + used));
  const double v = std::strtod(num.c_str(), nullptr) * scale;
  if (kind == Unit::None) return 0;
  if (kind == Unit::Memory && !h.memory_gb) h.memory_gb = v;
  if (kind == Unit::Power && !h.power_w) h.power_w = v;
  if (kind == Unit::Rate) {
    const std::size_t j = i + used + (low_at(t, i + used) == "s" ? 1 : 0);
    const bool per_gpu = low_at(t, j) == "gpu" || (low_at(t, j) == "per" && low_at(t, j + 1) == "gpu");
    const int count = i > 0 && t[i - 1].count ? to_int(t[i - 1].low) : 0;
    h.rates.push_back({v, per_gpu, count});
  }
  return used;
}

std::string fabric_word(const std::vector<Tok>& t, std::size_t i) {
  static const std::set<std::string> ib = {"infiniband", "ib", "ndr", "hdr", "xdr", "edr", "quantum"};
  static const std::set<std::string> roce = {"roce", "rocev2", "spectrum"};
  const std::string& w = t[i].low;
  if (ib.count(w)) return "infiniband";
  if (roce.count(w)) return "roce";
  if (w == "efa" || w == "efav2" || w == "efav3") return "efa";
  if (w == "omnipath" || w == "opa" || (w == "omni" && low_at(t, i + 1) == "path")) return "omnipath";
  return "";
}

bool read_form(const std::string& w, HwText& h) {
  static const std::regex sxm("^sxm[0-9]?$");
  if (w == "nvl") h.form = Form::Nvl;
  else if (w == "pcie") h.form = h.form == Form::Nvl ? Form::Nvl : Form::Pcie;  // "H200 NVL (PCIe)": NVL cards are PCIe
  else if (std::regex_match(w, sxm)) h.form = h.form == Form::Unstated ? Form::Sxm : h.form;
  else return false;
  return true;
}

std::size_t read_family(const std::vector<Tok>& t, std::size_t i, const NameDefaults& d, HwText& h) {
  for (const auto& f : d.families)
    for (const std::string& w : f.written) {
      const std::vector<std::string> seq = split_raw(w);
      if (!match_words(t, i, seq)) continue;
      if (!h.family) h.family = &f;
      return seq.size();
    }
  return 0;
}

bool stop_word(const std::string& w) {
  static const std::set<std::string> stop = {"nvidia", "node",  "nodes", "gpu",  "gpus", "server", "servers", "cluster",
                                             "system", "per",   "with",  "and",  "the",  "of",     "for",     "in",
                                             "on",     "x",     "s",     "trt",  "card", "cards",  "edition", "tensor",
                                             "core",   "gb",    "g",     "rdma", "superchip", "partition", "aarch64", "x86",
                                             "not",    "stated", "sku",  "unknown"};
  return w.size() < 2 || !has_alpha(w) || stop.count(w) > 0 || w.rfind("hbm", 0) == 0;
}

HwText parse_hardware(const std::string& text, const NameDefaults& d) {
  const std::vector<Tok> t = with_implied(hw_tokens(text, d), d);
  HwText h;
  for (std::size_t i = 0; i < t.size();) {
    if (std::size_t n = read_family(t, i, d, h)) {
      i += n;
    } else if (std::size_t q = read_quantity(t, i, h)) {
      i += q;
    } else if (const std::string f = fabric_word(t, i); !f.empty()) {
      if (h.fabric.empty()) h.fabric = f;
      i += t[i].low == "omni" ? 2 : 1;
    } else {
      if (!read_form(t[i].low, h) && !stop_word(t[i].low)) h.hints.insert(t[i].low);
      ++i;
    }
  }
  return h;
}

// ---- Choosing the catalog GPU and system ----------------------------------------------------

struct Candidates {
  std::vector<std::string> gpus;                                // the family's GPUs that have a system
  std::map<std::string, std::vector<std::string>> systems;      // gpu id -> its systems
};

bool in_family(const std::string& gpu_id, const std::string& family) {
  return gpu_id == family || gpu_id.rfind(family + "-", 0) == 0;
}

Candidates family_candidates(const HardwareCatalog& hw, const std::string& family) {
  Candidates c;
  for (const std::string& s : hw.system_ids()) {
    const std::string& g = hw.system(s).gpu.id;
    if (!in_family(g, family)) continue;
    if (!c.systems.count(g)) c.gpus.push_back(g);
    c.systems[g].push_back(s);
  }
  return c;
}

// NVL cards carry "nvl" in their id; other PCIe cards sit in servers whose NVLink domain is
// smaller than the node (systems.yaml, PCIe servers).
Form gpu_form(const HardwareCatalog& hw, const Candidates& c, const std::string& gpu) {
  const std::vector<std::string> id_words = split_raw(gpu);
  if (contains(id_words, "nvl")) return Form::Nvl;
  const SystemSpec& s = hw.system(c.systems.at(gpu).front());
  return s.nvlink_domain_gpus < s.gpus_per_node ? Form::Pcie : Form::Sxm;
}

std::string short_name(const std::string& name) { return name.rfind("NVIDIA ", 0) == 0 ? name.substr(7) : name; }

template <class Keep>
std::vector<std::string> filtered(const std::vector<std::string>& v, Keep keep) {
  std::vector<std::string> out;
  std::copy_if(v.begin(), v.end(), std::back_inserter(out), keep);
  return out;
}

// The stated memory's closest variants within tolerance.
std::vector<std::string> by_memory(const HardwareCatalog& hw, const std::vector<std::string>& gpus, double gb, double tol) {
  double best = tol;
  for (const auto& g : gpus) best = std::min(best, std::abs(hw.gpu(g).hbm_bytes / 1e9 - gb) / gb);
  return filtered(gpus, [&](const std::string& g) {
    const double off = std::abs(hw.gpu(g).hbm_bytes / 1e9 - gb) / gb;
    return off <= tol && off <= best + 1e-9;
  });
}

// What the family's catalog variants differ in and the text leaves out. Forms across the family (PCIe parts missing from the catalog exist too); memories within the
// chosen form (every H100 NVL has 94 GB).
std::string unstated_variant(const HardwareCatalog& hw, const Candidates& c, const HwText& h, Form chosen) {
  std::set<Form> forms;
  std::set<double> memories;
  for (const auto& g : c.gpus) {
    forms.insert(gpu_form(hw, c, g));
    if (gpu_form(hw, c, g) == chosen) memories.insert(hw.gpu(g).hbm_bytes);
  }
  const bool form = h.form == Form::Unstated && forms.size() > 1, memory = !h.memory_gb && memories.size() > 1;
  return form && memory ? "form factor and memory" : form ? "form factor" : memory ? "memory" : "";
}

std::optional<std::string> choose_gpu(const HardwareCatalog& hw, const Candidates& c, const HwText& h,
                                      const NameDefaults& d, std::vector<std::string>& assumptions) {
  std::vector<std::string> v = c.gpus;
  if (h.form != Form::Unstated) v = filtered(v, [&](const std::string& g) { return gpu_form(hw, c, g) == h.form; });
  if (h.memory_gb) v = by_memory(hw, v, *h.memory_gb, d.memory_tolerance);
  if (h.power_w) {
    const auto same = filtered(v, [&](const std::string& g) { return near(hw.gpu(g).tdp_w, *h.power_w, 0.01); });
    if (!same.empty()) v = same;
  }
  if (v.empty()) return std::nullopt;
  const std::string gpu = contains(v, h.family->default_gpu) ? h.family->default_gpu : v.front();
  const GpuSpec& spec = hw.gpu(gpu);
  if (const std::string u = unstated_variant(hw, c, h, gpu_form(hw, c, gpu)); !u.empty())
    assumptions.push_back(short_name(spec.name) + " (" + u + " not stated)");
  if (h.power_w && !near(spec.tdp_w, *h.power_w, 0.01))
    assumptions.push_back(fmt::format("{:.0f} W stated; the catalog's {} is rated {:.0f} W", *h.power_w, short_name(spec.name),
                                      spec.tdp_w));
  return gpu;
}

bool rate_matches(const Rate& r, const SystemSpec& s) {
  const double nic = s.nic_bytes_per_s * 8 / 1e9, gpu = nic * s.nics_per_gpu, node = gpu * s.gpus_per_node;
  if (r.per_gpu) return near(r.gbps, gpu, 0.02);
  if (r.count > 0) return near(r.gbps, nic, 0.02) || near(r.gbps * r.count, node, 0.02);
  return near(r.gbps, nic, 0.02) || near(r.gbps, gpu, 0.02) || near(r.gbps, node, 0.02);
}

struct Score {
  int named = 0;  // hint words found in the system's id or name
  int total = 0;  // plus fabric (+-2) and NIC rates (+-1)
};

Score score(const SystemSpec& s, const HwText& h) {
  std::set<std::string> own;
  for (const std::string& w : split_raw(lower(s.id + " " + s.name))) own.insert(w);
  Score sc;
  for (const std::string& w : h.hints) sc.named += static_cast<int>(own.count(w));
  sc.total = sc.named;
  if (!h.fabric.empty()) sc.total += s.fabric.technology == h.fabric ? 2 : -2;
  for (const Rate& r : h.rates) sc.total += rate_matches(r, s) ? 1 : -1;
  return sc;
}

// The best-scoring system; ties go to the GPU's default node (name_defaults.yaml).
std::string choose_system(const HardwareCatalog& hw, const std::string& gpu, const std::vector<std::string>& systems,
                          const HwText& h, const NameDefaults& d, std::vector<std::string>& assumptions) {
  const auto def = d.default_systems.find(gpu);
  std::string best;
  Score best_score;
  for (const std::string& id : systems) {
    const Score sc = score(hw.system(id), h);
    const bool is_default = def != d.default_systems.end() && def->second == id;
    if (best.empty() || sc.total > best_score.total || (sc.total == best_score.total && is_default)) best = id, best_score = sc;
  }
  const SystemSpec& s = hw.system(best);
  const bool fabric_named = !h.fabric.empty() && s.fabric.technology == h.fabric;
  if (best_score.named == 0 && !fabric_named)
    assumptions.push_back(s.name + (h.hints.empty() ? " (node not stated)" : " (node not in the catalog)"));
  if (!h.fabric.empty() && !fabric_named)
    assumptions.push_back(h.fabric + " stated; no " + short_name(s.gpu.name) + " system on it in the catalog (" +
                          s.fabric.technology + " used)");
  return best;
}

// ---- Model names ----------------------------------------------------------------------------

struct ModelText {
  std::string main;
  std::vector<std::string> notes;  // parenthesised
};

ModelText split_notes(const std::string& text) {
  ModelText m;
  std::string note;
  int depth = 0;
  for (char c : text) {
    if (c == '(' && depth++ == 0) continue;
    if (c == ')' && depth > 0 && --depth == 0) {
      m.notes.push_back(note), note.clear();
      continue;
    }
    (depth > 0 ? note : m.main) += c;
  }
  if (!note.empty()) m.notes.push_back(note);
  return m;
}

bool size_word(const std::string& w) {
  static const std::regex size(R"(^\d+(\.\d+)?[bmkt]$|^\d+x\d+(\.\d+)?b$)");
  return std::regex_match(w, size);
}

// A name's words without the HF organisation, a vendor prefix, checkpoint descriptors (same
// architecture) or a release version after the size ("Mixtral-8x7B-v0.1").
std::vector<std::string> model_words(std::string text) {
  static const std::set<std::string> vendors = {"meta", "nvidia"};
  static const std::set<std::string> descriptors = {"hf",       "instruct", "base",     "chat",        "lora", "fine",
                                                    "tune",     "finetune", "finetuned", "pretrain",   "pretraining",
                                                    "sft",      "bf16",     "fp8",      "fp4",         "nvfp4", "fp16"};
  static const std::regex version(R"(^v\d+(\.\d+)+$)");
  if (const auto slash = text.rfind('/'); slash != std::string::npos) text = text.substr(slash + 1);
  const std::vector<std::string> w = split_raw(lower(text));
  std::vector<std::string> out;
  bool sized = false;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (i == 0 && w.size() > 1 && vendors.count(w[i])) continue;
    if (!out.empty() && (descriptors.count(w[i]) || (sized && std::regex_match(w[i], version)))) continue;
    sized = sized || size_word(w[i]);
    out.push_back(w[i]);
  }
  return out;
}

// '.' is ignored: "llama31_405b" is Llama 3.1 405B.
std::string key_of(const std::vector<std::string>& w) {
  std::string k;
  for (const std::string& x : w) k += x;
  k.erase(std::remove(k.begin(), k.end(), '.'), k.end());
  return k;
}
std::string key_of(const std::string& name) { return key_of(model_words(name)); }

class ModelIndex {
 public:
  ModelIndex(const std::vector<std::string>& ids, const std::map<std::string, std::string>& aliases) {
    for (const std::string& id : ids) add(key_of(id), id), id_words_.emplace_back(model_words(id), id);
    const std::map<std::string, std::string> of_ids = by_key_;  // an id's own name beats an alias
    const std::set<std::string> known(ids.begin(), ids.end());
    for (const auto& [alias, id] : aliases)
      if (known.count(id) && !of_ids.count(key_of(alias))) add(key_of(alias), id);
  }
  std::optional<std::string> exact(const std::string& key) const {
    const auto it = by_key_.find(key);
    if (key.empty() || it == by_key_.end() || ambiguous_.count(key)) return std::nullopt;
    return it->second;
  }
  // The one catalog id whose words pass `keep`.
  template <class Keep>
  std::optional<std::string> unique(Keep keep) const {
    std::set<std::string> hits;
    for (const auto& [w, id] : id_words_)
      if (keep(w)) hits.insert(id);
    if (hits.size() != 1) return std::nullopt;
    return *hits.begin();
  }

 private:
  void add(const std::string& key, const std::string& id) {
    const auto [it, fresh] = by_key_.emplace(key, id);
    if (!fresh && it->second != id) ambiguous_.insert(key);
  }
  std::map<std::string, std::string> by_key_;
  std::set<std::string> ambiguous_;
  std::vector<std::pair<std::vector<std::string>, std::string>> id_words_;
};

// Without a size: the one id that is the name followed by a size ("GPT-3" -> gpt3-175b).
// With a trailing size: the one id of that family and size ("GPT 175B" -> gpt3-175b).
std::optional<std::string> by_family(const ModelIndex& index, const std::vector<std::string>& w) {
  if (w.empty()) return std::nullopt;
  const std::string key = key_of(w);
  if (std::none_of(w.begin(), w.end(), size_word))
    return index.unique([&](const std::vector<std::string>& id) {
      for (std::size_t j = 1; j < id.size(); ++j)
        if (size_word(id[j])) return key_of(std::vector<std::string>(id.begin(), id.begin() + j)) == key;
      return false;
    });
  if (w.size() < 2 || !size_word(w.back())) return std::nullopt;
  return index.unique([&](const std::vector<std::string>& id) {
    return id.size() >= 2 && id.back() == w.back() && key_of(id).rfind(key_of({w.front()}), 0) == 0;
  });
}

bool alphabetic(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isalpha(c); });
}

// A note naming a catalog namespace qualifies the name: "GPT-3 5B (NeMo)" -> nemo-gpt3-5b.
std::optional<std::string> qualified_by_note(const ModelIndex& index, const ModelText& m) {
  const std::string key = key_of(m.main);
  for (const std::string& note : m.notes)
    for (const std::string& w : split_raw(lower(note)))
      if (w.size() >= 3 && alphabetic(w) && w != "mlperf")
        if (auto id = index.exact(w + key)) return id;
  return std::nullopt;
}

// A note that is itself a name: "(MLPerf gpt3)", "(MLPerf llama2_70b_lora)".
std::optional<std::string> named_by_note(const ModelIndex& index, const ModelText& m) {
  for (const std::string& note : m.notes) {
    std::vector<std::string> w = model_words(note);
    w.erase(std::remove(w.begin(), w.end(), "mlperf"), w.end());
    if (auto id = index.exact(key_of(w))) return id;
    if (auto id = by_family(index, w)) return id;
  }
  return std::nullopt;
}

// ---- Data-parallel modes --------------------------------------------------------------------

enum class Stack { None, Megatron, DeepSpeed, PyTorch, MaxText };

Stack stack_of(const std::vector<std::string>& w) {
  static const std::set<std::string> megatron = {"megatron", "nemo", "mcore", "bridge"};
  static const std::set<std::string> jax = {"maxtext", "jax", "xla", "pax", "praxis", "t5x"};
  static const std::set<std::string> torch = {"pytorch", "torch", "torchtitan", "fsdp2", "composer", "foundry", "lightning"};
  for (const std::string& x : w) {
    if (megatron.count(x)) return Stack::Megatron;
    if (x == "deepspeed") return Stack::DeepSpeed;
    if (jax.count(x)) return Stack::MaxText;
    if (torch.count(x)) return Stack::PyTorch;
  }
  return Stack::None;
}

bool has_pair(const std::vector<std::string>& w, const std::string& a, const std::string& b) {
  for (std::size_t i = 0; i + 1 < w.size(); ++i)
    if (w[i] == a && w[i + 1] == b) return true;
  return false;
}

std::optional<int> last_integer(const std::vector<std::string>& w) {
  for (auto it = w.rbegin(); it != w.rend(); ++it)
    if (!it->empty() && std::all_of(it->begin(), it->end(), [](unsigned char c) { return std::isdigit(c); }))
      return to_int(*it);
  return std::nullopt;
}

std::optional<DpSharding> sharding_of_stage(int stage) {
  static const DpSharding by_stage[] = {DpSharding::None, DpSharding::Zero1, DpSharding::Zero2, DpSharding::Zero3};
  if (stage < 0 || stage > 3) return std::nullopt;
  return by_stage[stage];
}

// "ZeRO-3", "ZeRO stage 2", "zero3", "DeepSpeed stage 3". A ZeRO with no stage is stage 1: the
// only stage DeepSpeed combines with pipeline parallelism (the 3D-parallel runs that write "ZeRO").
std::optional<int> zero_stage(const std::vector<std::string>& w) {
  static const std::regex glued("^zero([0-9])$");
  bool zero = false;
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::smatch m;
    if (std::regex_match(w[i], m, glued)) return std::stoi(m[1]);
    const bool digit_next = i + 1 < w.size() && w[i + 1].size() == 1 && std::isdigit(static_cast<unsigned char>(w[i + 1][0]));
    if ((w[i] == "zero" || w[i] == "stage") && digit_next) return w[i + 1][0] - '0';
    zero = zero || w[i] == "zero";
  }
  return zero ? std::optional<int>(1) : std::nullopt;
}

// PyTorch FSDP ShardingStrategy names, FSDP2 / HSDP, then FSDP of the stack named.
std::optional<DpMode> fsdp_mode(const std::vector<std::string>& w, Stack stack) {
  // HYBRID_SHARD shards within a node and replicates across nodes (PyTorch FSDP docs): without a
  // written group size, one node of whatever system runs it (DpMode::shard_within_node).
  const std::optional<int> n = last_integer(w);
  if (has_pair(w, "no", "shard")) return DpMode{DpSharding::None, "pytorch-fsdp"};
  if (has_pair(w, "shard", "grad")) return DpMode{DpSharding::Zero2, "pytorch-fsdp"};
  if (has_pair(w, "hybrid", "shard") || contains(w, "hsdp"))
    return DpMode{DpSharding::Zero3, "pytorch-fsdp", n.value_or(0), !n.has_value()};
  if (has_pair(w, "full", "shard")) return DpMode{DpSharding::Zero3, "pytorch-fsdp"};
  if (contains(w, "fsdp2")) {
    if (n && *n <= 0) return std::nullopt;
    return DpMode{DpSharding::Zero3, "pytorch-fsdp", n.value_or(0)};
  }
  if (!contains(w, "fsdp")) return std::nullopt;
  if (stack == Stack::MaxText) return DpMode{DpSharding::Zero3, "maxtext-fsdp"};
  if (stack == Stack::PyTorch) return DpMode{DpSharding::Zero3, "pytorch-fsdp"};
  return DpMode{DpSharding::Zero3, "megatron-core"};  // bare "FSDP": the Megatron-Bridge tables write it so
}

std::vector<std::string> sequence(const YAML::Node& n, const std::string& file, const std::string& at) {
  if (!n || !n.IsSequence()) throw InputError(file, at, "missing list");
  std::vector<std::string> out;
  for (const auto& x : n) out.push_back(x.as<std::string>());
  return out;
}

}  // namespace

// ---- Public API -----------------------------------------------------------------------------

NameDefaults load_name_defaults(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  NameDefaults d;
  d.memory_tolerance = yaml_number(root, "memory_tolerance", path, "");
  const YAML::Node families = root["families"], systems = root["default_systems"], nodes = root["node_words"];
  if (!families || !families.IsSequence()) throw InputError(path, "families", "missing list");
  if (!systems || !systems.IsMap()) throw InputError(path, "default_systems", "missing map");
  if (!nodes || !nodes.IsSequence()) throw InputError(path, "node_words", "missing list");
  for (const auto& f : families) {
    const std::string at = "families(" + yaml_string(f, "family", path, "families") + ")";
    d.families.push_back({yaml_string(f, "family", path, at), yaml_string(f, "default_gpu", path, at),
                          sequence(f["written"], path, at + ".written")});
  }
  for (const auto& kv : systems)
    d.default_systems[kv.first.as<std::string>()] = yaml_string(kv.second, "system", path, "default_systems");
  for (const auto& n : nodes)
    d.node_words.push_back({yaml_string(n, "words", path, "node_words"), yaml_string(n, "implies", path, "node_words")});
  return d;
}

const NameDefaults& builtin_name_defaults() {
  static std::mutex mu;
  static std::map<std::string, NameDefaults> loaded;  // by path: tests switch data_dir()
  const std::lock_guard<std::mutex> lock(mu);
  const std::string path = data_dir() + "/hardware/name_defaults.yaml";
  auto it = loaded.find(path);
  if (it == loaded.end()) it = loaded.emplace(path, load_name_defaults(path)).first;
  return it->second;
}

std::optional<Resolution> resolve_system(const std::string& text, const HardwareCatalog& hw) {
  return resolve_system(text, hw, builtin_name_defaults());
}

std::optional<Resolution> resolve_system(const std::string& text, const HardwareCatalog& hw, const NameDefaults& d) {
  const HwText h = parse_hardware(text, d);
  if (!h.family) return std::nullopt;
  const Candidates c = family_candidates(hw, h.family->family);
  Resolution r;
  const auto gpu = choose_gpu(hw, c, h, d, r.assumptions);
  if (!gpu) return std::nullopt;
  r.id = choose_system(hw, *gpu, c.systems.at(*gpu), h, d, r.assumptions);
  return r;
}

std::optional<std::string> resolve_model_name(const std::string& text, const std::vector<std::string>& catalog_ids,
                                              const std::map<std::string, std::string>& aliases) {
  const ModelIndex index(catalog_ids, aliases);
  const ModelText m = split_notes(text);
  if (auto id = qualified_by_note(index, m)) return id;
  if (auto id = index.exact(key_of(m.main))) return id;
  if (auto id = by_family(index, model_words(m.main))) return id;
  return named_by_note(index, m);
}

std::optional<Precision> resolve_precision(const std::string& text) {
  const std::vector<std::string> w = words(text);
  const bool mx = contains(w, "mx"), block = contains(w, "blockwise") || contains(w, "block");
  for (std::size_t i = 0; i < w.size(); ++i) {  // the first format written is the GEMM format
    const std::string& x = w[i];
    if (x == "nvfp4" || x == "fp4") return Precision::NVFP4;
    if (x == "mxfp8") return Precision::MXFP8;
    if (x == "fp8" || x == "float8" || x == "e4m3") return mx ? Precision::MXFP8 : block ? Precision::FP8Block : Precision::FP8;
    if (x == "bf16" || x == "bfloat16") return Precision::BF16;
    if (x == "fp16" || x == "float16") return Precision::FP16;
    // llm-foundry's benchmark tables write "16-bit mixed precision" for amp_bf16.
    if (x == "16" && i + 1 < w.size() && w[i + 1] == "bit") return Precision::BF16;
  }
  return std::nullopt;
}

std::optional<Recompute> resolve_recompute(const std::string& text) {
  const std::vector<std::string> w = words(text);
  if (w.empty()) return Recompute::None;
  for (const std::string& x : w) {
    if (x == "none" || x == "no" || x == "off" || x == "disabled" || x == "false") return Recompute::None;
    if (x == "full") return Recompute::Full;
    if (x == "selective" || x == "partial") return Recompute::Selective;
  }
  // Activation / gradient checkpointing with no granularity recomputes whole layers.
  if (has_pair(w, "activation", "checkpointing") || has_pair(w, "gradient", "checkpointing")) return Recompute::Full;
  return std::nullopt;
}

std::optional<DpMode> resolve_dp_mode(const std::string& text, int year) {
  const std::vector<std::string> w = words(text);
  // Megatron stacks: the distributed optimizer (ZeRO-1); before FlashAttention (2021-22) the
  // unfused-attention profile.
  const std::string megatron = year > 0 && year <= 2022 ? "megatron-2022" : "megatron-core";
  const Stack stack = stack_of(w);
  if (w.empty()) return DpMode{DpSharding::Zero1, megatron};
  if (const auto stage = zero_stage(w)) {
    const auto sharding = sharding_of_stage(*stage);
    if (!sharding) return std::nullopt;
    return DpMode{*sharding, "deepspeed-megatron"};
  }
  if (contains(w, "ddp") || has_pair(w, "distributed", "optimizer"))
    return stack == Stack::PyTorch ? DpMode{DpSharding::None, "pytorch-fsdp"} : DpMode{DpSharding::Zero1, megatron};
  return fsdp_mode(w, stack);
}

std::string stack_release(const std::string& text) {
  static const std::regex release(R"((?:container|NeMo|Framework) (\d\d\.\d\d(?:\.\d\d)?))");
  std::smatch m;
  return std::regex_search(text, m, release) ? m[1].str() : "";
}

}  // namespace ct
