// A seeded mutation driver per parser (issue: bad input never crashes, hangs or gives a confident
// non-finite number). Each target takes a committed input (the examples, catalog configs, the
// measured data, the trace excerpts), applies seeded mutations (hostile numbers, byte edits,
// truncation, duplicated lines) and requires of every mutant: either an InputError (the one-line,
// exit-2 error) or a result whose numbers are finite. The sanitizer build (make sanitize, in CI) runs
// the same cases under ASan/UBSan. Deterministic: fixed seeds, a fixed number of mutants.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <sstream>

#include "clustertwin/cluster/fleet.hpp"
#include "clustertwin/cluster/job_sources.hpp"
#include "clustertwin/cluster/tenants.hpp"
#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/config/train_request.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/model/hf_config.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "clustertwin/validate/training_cases.hpp"

namespace fs = std::filesystem;
using namespace ct;

namespace {

constexpr int kMutants = 120;  // per target and seed input; the whole file runs in seconds

std::string slurp(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path, std::ios::binary).rdbuf();
  return s.str();
}

std::string first_lines(const std::string& text, int n) {
  std::size_t pos = 0;
  for (int i = 0; i < n && pos != std::string::npos; ++i) pos = text.find('\n', pos + 1);
  return pos == std::string::npos ? text : text.substr(0, pos + 1);
}

// One seeded mutation: a hostile number in place of a number, a byte changed or removed, a cut, or a
// line repeated.
std::string mutate(const std::string& text, std::mt19937& rng) {
  static const char* hostile[] = {"0", "-1", "nan", "inf", "-inf", "1e308", "99999999999", "2147483648", "4294967296",
                                  "1e-300", "-0", "", "0x10", "1.5", "18446744073709551616"};
  std::string t = text;
  if (t.empty()) return t;
  std::uniform_int_distribution<std::size_t> at(0, t.size() - 1);
  switch (rng() % 5) {
    case 0: case 1: {  // a number token replaced by a hostile one
      static const std::regex number(R"(-?\d+(\.\d+)?([eE][-+]?\d+)?)");
      std::vector<std::pair<std::size_t, std::size_t>> spans;
      for (auto it = std::sregex_iterator(t.begin(), t.end(), number); it != std::sregex_iterator(); ++it)
        spans.emplace_back(it->position(), it->length());
      if (spans.empty()) break;
      const auto [pos, len] = spans[rng() % spans.size()];
      t.replace(pos, len, hostile[rng() % std::size(hostile)]);
      break;
    }
    case 2: t[at(rng)] = static_cast<char>(rng() % 256); break;
    case 3: t.resize(at(rng)); break;
    case 4: {
      const std::size_t start = t.rfind('\n', at(rng));
      const std::size_t from = start == std::string::npos ? 0 : start + 1, end = t.find('\n', from);
      t.insert(from, t.substr(from, end == std::string::npos ? std::string::npos : end + 1 - from));
      break;
    }
  }
  return t;
}

// Runs `target` on kMutants mutants of `seed_text`, written to a file named `name`.
void fuzz(const std::string& name, const std::string& seed_text, unsigned seed,
          const std::function<void(const std::string& path, const std::string& text)>& target) {
  const fs::path dir = fs::temp_directory_path() / ("clustertwin-fuzz-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  std::mt19937 rng(seed);
  for (int i = 0; i < kMutants; ++i) {
    std::string text = seed_text;
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) text = mutate(text, rng);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    try {
      target(path, text);
    } catch (const InputError&) {
      // the expected outcome for bad input
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << " mutant " << i << " (seed " << seed << "): " << typeid(e).name() << ": " << e.what()
                    << "\n--- input ---\n" << text.substr(0, 2000);
    }
  }
  fs::remove_all(dir);
}

const Catalogs& catalogs() {
  static const Catalogs cat = Catalogs::load(data_dir());
  return cat;
}

bool finite_nonnegative(double x) { return std::isfinite(x) && x >= 0; }

}  // namespace

TEST(FuzzParsers, TrainingScenarioYaml) {
  for (const char* example : {"examples/llmjp3-172b-h100.yaml", "examples/llama3.1-405b-gb200-vs-h100.yaml"}) {
    const std::string seed = slurp(std::string(CLUSTERTWIN_SOURCE_DIR) + "/" + example);
    fuzz("scenario.yaml", seed, 1, [](const std::string& path, const std::string&) {
      for (const TrainRequest& r : load_compare_requests(path)) {
        const TrainResult res = simulate_training_step(make_scenario(r, catalogs(), path), catalogs().calibration,
                                                       {.keep_timeline = false});
        if (!res.feasible) continue;
        EXPECT_TRUE(std::isfinite(res.step_time_s) && res.step_time_s > 0) << path;
        EXPECT_TRUE(finite_nonnegative(res.tokens_per_s_per_gpu) && finite_nonnegative(res.energy_per_token_j));
      }
    });
  }
}

TEST(FuzzParsers, HuggingFaceConfigJson) {
  for (const char* id : {"llama3-8b", "deepseek-v3", "nemotron-3-super-120b-a12b", "gpt-oss-120b", "llama4-scout-17b-16e"}) {
    const std::string seed = slurp(data_dir() + "/models/" + id + ".json");
    fuzz("config.json", seed, 2, [](const std::string& path, const std::string& text) {
      const ModelSpec m = model_from_hf_json_text(text, path);
      EXPECT_TRUE(std::isfinite(total_params(m)) && total_params(m) > 0) << path;
    });
  }
}

TEST(FuzzParsers, TenantsSitesAndFleets) {
  const std::string tenants = slurp(std::string(CLUSTERTWIN_SOURCE_DIR) + "/examples/tenants-jp.yaml");
  fuzz("tenants.yaml", tenants, 3, [](const std::string& path, const std::string&) { cluster::load_tenants(path); });
  const std::string site = slurp(data_dir() + "/sites/example-jp.yaml");
  fuzz("site.yaml", site, 4, [](const std::string& path, const std::string&) {
    const Site s = load_site(path);
    EXPECT_TRUE(std::isfinite(s.pue) && s.pue >= 1) << path;
  });
  const std::string fleet = slurp(std::string(CLUSTERTWIN_SOURCE_DIR) + "/examples/fleet-jp.yaml");
  fuzz("fleet.yaml", fleet, 5, [](const std::string& path, const std::string&) {
    cluster::load_fleet(path, catalogs().hardware, data_dir() + "/sites");
  });
}

TEST(FuzzParsers, TraceCsv) {
  const std::string pods = first_lines(slurp(data_dir() + "/traces/alibaba-gpu-v2023/openb_pod_list_default.csv"), 200);
  fuzz("pods.csv", pods, 6, [](const std::string& path, const std::string& text) {
    for (const auto& job : cluster::parse_openb_pods(text, path, 0).jobs) {
      EXPECT_GE(job.gpus, 0);
      EXPECT_TRUE(std::isfinite(job.submit_s) && std::isfinite(job.duration_s)) << path;
    }
  });
}

TEST(FuzzParsers, MeasuredTrainingCsv) {
  const std::string cases = first_lines(slurp(data_dir() + "/measured/measured_training.csv"), 30);
  const TrainingValidator validator(catalogs());
  fuzz("cases.csv", cases, 7, [&](const std::string& path, const std::string&) {
    const std::string out = path + ".out.csv";
    validator.run(path, out);
    const CsvTable t = read_csv_file(out);
    const int pred = t.column("predicted_value");
    for (const auto& row : t.rows)
      if (!row[pred].empty()) {
        EXPECT_TRUE(std::isfinite(std::stod(row[pred]))) << row[pred];
      }
  });
}
