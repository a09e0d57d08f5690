// `clustertwin list`: what the catalog knows (models, GPUs, systems, profiles, sites).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/json_text.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/report/catalog_report.hpp"

namespace ct::cli {

namespace {

// data/sites/*.yaml, sorted, so the listing is the same on every machine.
std::vector<std::string> site_files(const std::string& data) {
  std::vector<std::string> files;
  const std::filesystem::path dir = std::filesystem::path(data) / "sites";
  if (std::filesystem::is_directory(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Runner add_list_command(CLI::App& app) {
  struct Options {
    std::string kind = "all", format = "text";
  };
  auto o = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("list", "What the catalog knows: models, gpus, systems, profiles, sites");
  std::vector<std::string> kinds = catalog_kinds();
  kinds.insert(kinds.begin(), "all");
  c->add_option("kind", o->kind, "models, gpus, systems, profiles, sites, or all (default)")->check(CLI::IsMember(kinds));
  c->add_option("--format", o->format, "text, json or csv (csv: one kind)")->check(CLI::IsMember({"text", "json", "csv"}));
  return [o] {
    const Catalogs cat = Catalogs::load(data_dir());
    const std::vector<std::string> sites = site_files(cat.data_dir);
    const std::vector<std::string> chosen = o->kind == "all" ? catalog_kinds() : std::vector<std::string>{o->kind};
    if (o->format == "csv" && chosen.size() != 1) throw InputError("command line", "format", "csv lists one kind at a time");
    nlohmann::ordered_json all;
    for (const std::string& kind : chosen) {
      const nlohmann::ordered_json rows = catalog_rows(cat, kind, sites);
      if (o->format == "json")
        all[kind] = rows;
      else if (o->format == "csv")
        std::cout << catalog_csv(rows);
      else
        std::cout << catalog_text(kind, rows) << (chosen.size() > 1 ? "\n" : "");
    }
    if (o->format == "json") std::cout << json_text(o->kind == "all" ? all : all[o->kind]) << "\n";
    return 0;
  };
}

}  // namespace ct::cli
