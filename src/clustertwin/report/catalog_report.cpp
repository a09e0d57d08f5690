#include "clustertwin/report/catalog_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/model/params.hpp"

namespace ct {
namespace {

using Row = nlohmann::ordered_json;

Row model_row(const std::string& id, const ModelSpec& m, const std::string& note = "") {
  return {{"id", id},
          {"name", m.name},
          {"parameters_b", total_params(m) / 1e9},
          {"active_parameters_b", active_params(m) / 1e9},
          {"layers", m.layers},
          {"hidden", m.hidden},
          {"experts", m.moe.enabled() ? m.moe.num_experts : 0},
          {"top_k", m.moe.enabled() ? m.moe.top_k : 0},
          {"mamba", m.mamba.heads > 0},
          {"note", note}};
}

// A catalog model the twin cannot load yet is listed with the reason, not a failure of the listing.
Row model_row_or_reason(const Catalogs& cat, const std::string& id) {
  try {
    return model_row(id, cat.model(id));
  } catch (const InputError& e) {
    ModelSpec none;
    none.name = id;
    return model_row(id, none, "not supported: " + e.reason());
  }
}

Row gpu_row(const GpuSpec& g) {
  return {{"id", g.id},
          {"name", g.name},
          {"generation", g.arch},
          {"hbm_gb", g.hbm_bytes / units::kGB},
          {"hbm_tb_per_s", g.hbm_bytes_per_s / 1e12},
          {"bf16_tflops", g.peak(PeakFormat::BF16) / 1e12},
          {"fp8_tflops", g.peak(PeakFormat::FP8) / 1e12},
          {"fp4_tflops", g.peak(PeakFormat::FP4) / 1e12},
          {"tdp_w", g.tdp_w}};
}

Row system_row(const SystemSpec& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"gpu", s.gpu.id},
          {"gpus_per_node", s.gpus_per_node},
          {"nvlink_domain_gpus", s.nvlink_domain_gpus},
          {"scale_out_gbit_per_s_per_gpu", s.scale_out_bytes_per_s_per_gpu() * 8 / 1e9},
          {"fabric", s.fabric.id}};
}

Row profile_row(const SoftwareProfile& p) {
  return {{"name", p.name},
          {"base", p.base},
          {"stack_versions", p.stack_versions},
          {"attention", to_string(p.attention)},
          {"tp_comm_overlap", p.tp_comm_overlap},
          {"host_kernel_us", p.host_kernel_s * 1e6}};
}

Row site_row(const std::string& file) {
  const Site s = load_site(file);
  return {{"id", s.id},
          {"name", s.name},
          {"file", std::filesystem::path(file).filename().string()},
          {"jurisdiction", s.jurisdiction},
          {"pue", s.pue},
          {"electricity_price_per_kwh", s.electricity_price_per_kwh},
          {"currency", s.currency},
          {"grid_co2_kg_per_kwh", s.grid_co2_kg_per_kwh}};
}

std::string cell(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) {
      if (!s.empty()) s.push_back(' ');
      s.append(cell(x));
    }
    return s;
  }
  return v.dump();
}

}  // namespace

const std::vector<std::string>& catalog_kinds() {
  static const std::vector<std::string> kinds{"models", "gpus", "systems", "profiles", "sites"};
  return kinds;
}

nlohmann::ordered_json catalog_rows(const Catalogs& cat, const std::string& kind, const std::vector<std::string>& site_files) {
  Row rows = Row::array();
  if (kind == "models")
    for (const std::string& id : cat.model_ids()) rows.push_back(model_row_or_reason(cat, id));
  else if (kind == "gpus")
    for (const std::string& id : cat.hardware.gpu_ids()) rows.push_back(gpu_row(cat.hardware.gpu(id)));
  else if (kind == "systems")
    for (const std::string& id : cat.hardware.system_ids()) rows.push_back(system_row(cat.hardware.system(id)));
  else if (kind == "profiles")
    for (const auto& [name, p] : cat.profiles) rows.push_back(profile_row(p));
  else if (kind == "sites")
    for (const std::string& f : site_files) rows.push_back(site_row(f));
  else {
    std::string known;
    for (const std::string& k : catalog_kinds()) known.append(known.empty() ? "" : ", ").append(k);
    throw InputError("command line", "kind", "unknown '" + kind + "' (" + known + ")");
  }
  return rows;
}

std::string catalog_text(const std::string& kind, const nlohmann::ordered_json& rows) {
  std::string o = fmt::format("clustertwin list {}: {} entries\n", kind, rows.size());
  if (rows.empty()) return o;
  std::vector<std::string> keys;
  for (const auto& [k, v] : rows.front().items()) keys.push_back(k);
  std::vector<std::size_t> width(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    width[i] = keys[i].size();
    for (const auto& r : rows) width[i] = std::max(width[i], cell(r[keys[i]]).size());
  }
  auto line = [&](auto value_of) {
    std::string l = " ";
    for (std::size_t i = 0; i < keys.size(); ++i) l += fmt::format(" {:<{}}", value_of(i), width[i]);
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  o += line([&](std::size_t i) { return keys[i]; });
  for (const auto& r : rows) o += line([&](std::size_t i) { return cell(r[keys[i]]); });
  return o;
}

std::string catalog_csv(const nlohmann::ordered_json& rows) {
  if (rows.empty()) return "";
  std::vector<std::string> keys;
  for (const auto& [k, v] : rows.front().items()) keys.push_back(k);
  std::string out = csv_line(keys);
  for (const auto& r : rows) {
    std::vector<std::string> f;
    for (const std::string& k : keys) f.push_back(cell(r[k]));
    out += csv_line(f);
  }
  return out;
}

}  // namespace ct
