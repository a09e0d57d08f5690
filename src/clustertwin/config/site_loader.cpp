#include "clustertwin/config/site_loader.hpp"

#include <cctype>
#include <map>
#include <string_view>

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

// ISO 3166-1 alpha-2 codes, as data residency compares them ("JP"); "other" stays the catch-all
// for a site whose country does not matter.
constexpr const char* kIsoAlpha2 =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO "
    "FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE "
    "JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO "
    "MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW "
    "PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM "
    "TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

// Country names people write in site files, lower case, to their code.
const std::map<std::string, std::string>& country_names() {
  static const std::map<std::string, std::string> names = {
      {"japan", "JP"}, {"nippon", "JP"}, {"united states", "US"}, {"usa", "US"}, {"united kingdom", "GB"},
      {"uk", "GB"}, {"germany", "DE"}, {"france", "FR"}, {"netherlands", "NL"}, {"ireland", "IE"},
      {"sweden", "SE"}, {"finland", "FI"}, {"norway", "NO"}, {"switzerland", "CH"}, {"italy", "IT"},
      {"spain", "ES"}, {"canada", "CA"}, {"australia", "AU"}, {"singapore", "SG"}, {"india", "IN"},
      {"south korea", "KR"}, {"korea", "KR"}, {"taiwan", "TW"}, {"china", "CN"}, {"hong kong", "HK"},
      {"brazil", "BR"}, {"israel", "IL"}, {"united arab emirates", "AE"}, {"uae", "AE"}, {"saudi arabia", "SA"}};
  return names;
}

// "jp", "Japan" and " JP " all mean JP: a site silently outside Japan would reject every
// jp_restricted job.
std::string normalise_jurisdiction(const std::string& text, const std::string& file) {
  const auto first = text.find_first_not_of(" \t"), last = text.find_last_not_of(" \t");
  const std::string trimmed = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  std::string upper = trimmed, lower = trimmed;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "other") return "other";
  if (upper.size() == 2 && std::string_view(kIsoAlpha2).find(upper) != std::string_view::npos) return upper;
  if (const auto it = country_names().find(lower); it != country_names().end()) return it->second;
  throw InputError(file, "jurisdiction", "'" + text + "' is not an ISO 3166 alpha-2 country code (JP, US, ...) or 'other'");
}

}  // namespace

SiteBasics load_site_basics(const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) throw InputError(path, "", "a site must be a YAML mapping");
  SiteBasics s;
  s.id = yaml_string(n, "id", path, "");
  s.name = yaml_string_or(n, "name", s.id);
  s.jurisdiction = normalise_jurisdiction(yaml_string(n, "jurisdiction", path, ""), path);
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
  const YAML::Node n = load_yaml_mapping(path);
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
  const YAML::Node n = load_yaml_mapping(path);
  Reliability r;
  r.failures_per_gpu_hour = yaml_number(n, "failures_per_gpu_hour", path, "");
  r.restart_s = yaml_number(n, "restart_min", path, "") * 60.0;
  r.checkpoint_bytes_per_param = yaml_number(n, "checkpoint_bytes_per_param", path, "");
  return r;
}

}  // namespace ct
