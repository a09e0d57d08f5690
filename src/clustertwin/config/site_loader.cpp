#include "clustertwin/config/site_loader.hpp"

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct {
namespace {

std::map<std::string, double> price_table(const YAML::Node& n, const char* key, double scale, const std::string& file) {
  std::map<std::string, double> out;
  const YAML::Node t = n[key];
  if (!t) return out;
  if (!t.IsMap()) throw InputError(file, key, "must map GPU ids to prices");
  for (const auto& kv : t) {
    const std::string gpu = kv.first.as<std::string>();
    const double v = yaml_number(t, gpu, file, key);
    if (v < 0) throw InputError(file, std::string(key) + "." + gpu, "must not be negative");
    out[gpu] = v * scale;
  }
  return out;
}

}  // namespace

SiteBasics load_site_basics(const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) throw InputError(path, "", "a site must be a YAML mapping");
  SiteBasics s;
  s.id = yaml_string(n, "id", path, "");
  s.name = yaml_string_or(n, "name", s.id);
  s.jurisdiction = yaml_string(n, "jurisdiction", path, "");
  s.region = yaml_string_or(n, "region", "");
  s.pue = yaml_number(n, "pue", path, "");
  s.electricity_price_per_kwh = yaml_number(n, "electricity_jpy_per_kwh", path, "");
  s.grid_co2_kg_per_kwh = yaml_number(n, "grid_co2_kg_per_kwh", path, "");
  if (s.pue < 1.0) throw InputError(path, "pue", "must be >= 1 (facility energy / IT energy)");
  if (s.electricity_price_per_kwh < 0) throw InputError(path, "electricity_jpy_per_kwh", "must be >= 0");
  if (s.grid_co2_kg_per_kwh < 0) throw InputError(path, "grid_co2_kg_per_kwh", "must be >= 0");
  const YAML::Node sources = n["sources"];
  for (const char* key : {"pue", "electricity_jpy_per_kwh", "grid_co2_kg_per_kwh"})
    if (!sources || !sources[key]) throw InputError(path, std::string("sources.") + key, "every figure must cite its source");
  return s;
}

Site load_site(const std::string& path) {
  const YAML::Node n = load_yaml_file(path);
  Site s;
  static_cast<SiteBasics&>(s) = load_site_basics(n, path);
  s.currency = yaml_string_or(n, "currency", "JPY");
  s.lifetime_years = yaml_number_or(n, "lifetime_years", 5.0, path, "");
  if (s.lifetime_years <= 0) throw InputError(path, "lifetime_years", "must be positive");
  const double usd = yaml_number_or(n, "usd_jpy", 0.0, path, "");
  const std::string model = yaml_string_or(n, "cost_model", "owned");
  if (model != "owned" && model != "rental") throw InputError(path, "cost_model", "must be owned or rental");
  if (model == "rental") s.rental_per_gpu_hour = price_table(n, "rental_usd_per_gpu_hour", usd, path);
  s.capex_per_gpu = price_table(n, "capex_usd_per_gpu", usd, path);
  if ((!s.rental_per_gpu_hour.empty() || !s.capex_per_gpu.empty()) && usd <= 0)
    throw InputError(path, "usd_jpy", "needed to convert the USD prices");
  return s;
}

Reliability load_reliability(const std::string& path) {
  const YAML::Node n = load_yaml_file(path);
  Reliability r;
  r.failures_per_gpu_hour = yaml_number(n, "failures_per_gpu_hour", path, "");
  r.restart_s = yaml_number(n, "restart_min", path, "") * 60.0;
  r.checkpoint_bytes_per_param = yaml_number(n, "checkpoint_bytes_per_param", path, "");
  return r;
}

}  // namespace ct
