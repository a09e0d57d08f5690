#pragma once
// What the catalog knows, as rows: models, GPUs, systems, software profiles and sites, each row a
// JSON object with the same fields in text, JSON and CSV (`clustertwin list`).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clustertwin/config/catalogs.hpp"

namespace ct {

// The kinds `list` knows, in the order it shows them.
const std::vector<std::string>& catalog_kinds();
// Rows of one kind; `site_files` are the site YAML files to read for "sites". Throws InputError
// for an unknown kind.
nlohmann::ordered_json catalog_rows(const Catalogs& cat, const std::string& kind, const std::vector<std::string>& site_files);
std::string catalog_text(const std::string& kind, const nlohmann::ordered_json& rows);
std::string catalog_csv(const nlohmann::ordered_json& rows);

}  // namespace ct
