#include "clustertwin/cluster/job_sources.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "clustertwin/cluster/random.hpp"
#include "clustertwin/cluster/tolerant_csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct::cluster {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct OpenbColumns {
  int name, num_gpu, gpu_milli, gpu_spec, creation, deletion, scheduled;
};

OpenbColumns openb_columns(const CsvTable& t, const std::string& source) {
  OpenbColumns c{t.column("name"), t.column("num_gpu"), t.column("gpu_milli"), t.column("gpu_spec"),
                 t.column("creation_time"), t.column("deletion_time"), t.column("scheduled_time")};
  for (int col : {c.name, c.num_gpu, c.gpu_milli, c.gpu_spec, c.creation, c.deletion, c.scheduled})
    if (col < 0)
      throw InputError(source, "header",
                       "needs columns name, num_gpu, gpu_milli, gpu_spec, creation_time, deletion_time, scheduled_time");
  return c;
}

}  // namespace

void TraceCollector::add(const RecordedJob& r, int line) {
  if (r.start_s < r.submit_s) return malformed(line, names_.start + ": before " + names_.submit);
  if (r.end_s < r.start_s) return malformed(line, names_.end + ": before " + names_.start);
  Job job;
  job.name = r.name;
  job.owner = r.owner;
  job.tenant = tenant_;
  job.submit_s = r.submit_s;
  job.gpus = r.gpus;
  job.gpu_milli = r.gpu_milli;
  job.gpu_types = r.gpu_types;
  job.duration_s = r.end_s - r.start_s;
  job.recorded_queue_delay_s = r.start_s - r.submit_s;
  w_.jobs.push_back(std::move(job));
}

void TraceCollector::malformed(int line, const std::string& why) {
  w_.warnings.push_back(source_ + ": line " + std::to_string(line) + ": " + why + ", skipped");
  ++w_.skipped;
}

void TraceCollector::take(RecordKind kind, const RecordedJob& r, int line, const std::string& why) {
  switch (kind) {
    case RecordKind::job: add(r, line); break;
    case RecordKind::skipped: skip(); break;
    case RecordKind::malformed: malformed(line, why); break;
  }
}

Workload TraceCollector::finish(const std::string& what_skipped_means) {
  w_.skipped += skipped_;
  if (skipped_ > 0) w_.warnings.push_back(source_ + ": " + std::to_string(skipped_) + " " + names_.records + " skipped: " + what_skipped_means);
  // Ties keep file order: the replay must not depend on the sort's stability.
  std::stable_sort(w_.jobs.begin(), w_.jobs.end(), [](const Job& a, const Job& b) { return a.submit_s < b.submit_s; });
  return std::move(w_);
}

namespace {

// Fills `job` from one pod row; on a malformed row, `why` names the field and the reason.
RecordKind openb_row_to_record(const std::vector<std::string>& row, const OpenbColumns& c, RecordedJob& job, std::string& why) {
  long long num_gpu = 0, milli = 0, created = 0, deleted = 0, scheduled = 0;
  if (!parse_int64(row[c.num_gpu], num_gpu) || num_gpu < 0) return why = "num_gpu: not a whole number >= 0", RecordKind::malformed;
  if (num_gpu == 0) return RecordKind::skipped;  // CPU-only pod: not a GPU scheduling question
  if (!parse_int64(row[c.gpu_milli], milli) || milli <= 0 || milli > kWholeGpuMilli)
    return why = "gpu_milli: not a whole number in 1..1000", RecordKind::malformed;
  if (!parse_int64(row[c.creation], created)) return why = "creation_time: not a whole number", RecordKind::malformed;
  if (row[c.scheduled].empty()) return RecordKind::skipped;  // never ran: no run time to replay
  if (!parse_int64(row[c.scheduled], scheduled)) return why = "scheduled_time: not a whole number", RecordKind::malformed;
  if (!parse_int64(row[c.deletion], deleted)) return why = "deletion_time: not a whole number", RecordKind::malformed;
  job.name = row[c.name];
  job.submit_s = static_cast<double>(created);
  job.start_s = static_cast<double>(scheduled);
  job.end_s = static_cast<double>(deleted);
  job.gpus = static_cast<int>(num_gpu);
  // gpu_milli is the share of one GPU when a pod asks for one; multi-GPU pods take whole GPUs.
  job.gpu_milli = num_gpu == 1 ? static_cast<int>(milli) : kWholeGpuMilli;
  job.gpu_types = split(row[c.gpu_spec], '|');
  return RecordKind::job;
}

}  // namespace

Workload parse_openb_pods(const std::string& text, const std::string& source, int tenant) {
  TraceCollector out(source, tenant, {"creation_time", "scheduled_time", "deletion_time", "pods"});
  std::vector<std::string> csv_warnings;
  const CsvTable t = parse_csv_lines_tolerant(text, source, csv_warnings);
  const OpenbColumns c = openb_columns(t, source);
  for (const std::string& w : csv_warnings) out.add_warning(w);
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    RecordedJob job;
    std::string why;
    out.take(openb_row_to_record(t.rows[r], c, job, why), job, t.row_lines[r], why);
  }
  return out.finish("CPU-only (num_gpu 0) or never scheduled (no scheduled_time)");
}

Workload read_openb_pods(const std::string& path, int tenant) { return parse_openb_pods(read_text_file(path), path, tenant); }

std::vector<JobKind> load_job_kinds(const std::string& path) {
  const YAML::Node y = load_yaml_mapping(path);
  const YAML::Node kinds = y["kinds"];
  if (!kinds || !kinds.IsSequence() || kinds.size() == 0) throw InputError(path, "kinds", "missing or empty");
  std::vector<JobKind> out;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const std::string w = "kinds[" + std::to_string(i) + "]";
    const YAML::Node k = kinds[i];
    JobKind j;
    j.id = yaml_string(k, "id", path, w);
    j.share = yaml_number(k, "share", path, w);
    if (!k["gpus"] || !k["gpus"].IsSequence() || k["gpus"].size() == 0) throw InputError(path, w + ".gpus", "missing list");
    for (const auto& g : k["gpus"]) j.gpu_choices.push_back(g.as<int>());
    j.duration_median_s = yaml_number(k, "duration_median_s", path, w);
    j.duration_sigma = yaml_number(k, "duration_sigma", path, w);
    j.duration_min_s = yaml_number(k, "duration_min_s", path, w);
    j.duration_max_s = yaml_number(k, "duration_max_s", path, w);
    j.checkpoint_interval_s = yaml_number(k, "checkpoint_interval_s", path, w);
    j.single_domain_required = yaml_bool_or(k, "single_domain_required", false, path, w);
    if (const YAML::Node t = k["training"]) {
      j.trains = true;
      j.training.model = yaml_string(t, "model", path, w + ".training");
      j.training.tokens = yaml_number(t, "tokens", path, w + ".training");
      j.training.seq_len = yaml_positive_int(t, "seq_len", path, w + ".training");
      j.training.global_batch = yaml_positive_int(t, "global_batch", path, w + ".training");
      if (!(j.training.tokens > 0)) throw InputError(path, w + ".training.tokens", "must be > 0");
    }
    if (j.share < 0 || j.duration_median_s <= 0 || j.duration_min_s > j.duration_max_s)
      throw InputError(path, w, "share >= 0, duration_median_s > 0 and duration_min_s <= duration_max_s required");
    out.push_back(j);
  }
  return out;
}

bool is_generator_spec(const std::string& jobs_arg) { return jobs_arg.rfind("generate:", 0) == 0; }

GeneratorSpec parse_generator_spec(const std::string& spec) {
  const std::string field = "--jobs";
  if (!is_generator_spec(spec)) throw InputError("command line", field, "a generator spec starts with 'generate:'");
  const std::vector<std::string> parts = split(spec.substr(9), ',');
  if (parts.empty()) throw InputError("command line", field, "generate: needs a mix name (llm-mix)");
  GeneratorSpec g;
  g.mix = parts[0];
  if (g.mix != "llm-mix") throw InputError("command line", field, "unknown mix '" + g.mix + "' (llm-mix)");
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    const std::string key = parts[i].substr(0, eq), value = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
    long long n = 0;
    if (key == "jobs" && parse_int64(value, n) && n > 0) g.jobs = static_cast<int>(n);
    else if (key == "seed" && parse_int64(value, n) && n >= 0) g.seed = static_cast<std::uint64_t>(n);
    else if (key == "durations" && (value == "simulated" || value == "lognormal")) g.simulated_durations = value == "simulated";
    else if (key == "load") {
      try {
        g.offered_load = std::stod(value);
      } catch (const std::exception&) {
        g.offered_load = -1;
      }
      if (!(g.offered_load > 0)) throw InputError("command line", field, "load: must be a number > 0");
    } else {
      throw InputError("command line", field, "bad generator option '" + parts[i] + "' (jobs=N, seed=S, load=L, durations=lognormal|simulated)");
    }
  }
  return g;
}

namespace {

double draw_duration_s(std::mt19937_64& rng, const JobKind& k) {
  const double d = k.duration_median_s * std::exp(k.duration_sigma * standard_normal(rng));
  return std::clamp(std::round(d), k.duration_min_s, k.duration_max_s);
}

int draw_gpus(std::mt19937_64& rng, const JobKind& k, int max_job_gpus) {
  std::vector<double> w;
  for (int g : k.gpu_choices) w.push_back(g <= max_job_gpus ? 1.0 : 0.0);
  const int i = weighted_index(rng, w);
  return std::min(k.gpu_choices[i], max_job_gpus);
}

bool pool_can_hold(const PoolOffer& p, const Job& j) {
  return p.gpus >= j.gpus && (p.in_japan || j.data_class != DataClass::jp_restricted);
}

// GPU-seconds the jobs generated so far offer each pool, to pin training jobs so that every pool
// is offered the same share of its GPUs.
struct PoolTally {
  std::vector<double> gpu_s;
  // An unpinned job may run on any pool that can hold it: counted on those in proportion to
  // their GPUs (what the scheduler's spreading gives on average).
  void spread(const std::vector<PoolOffer>& pools, const Job& j) {
    double gpus = 0;
    for (const PoolOffer& p : pools)
      if (pool_can_hold(p, j)) gpus += p.gpus;
    if (gpus <= 0) return;
    const double offered = j.run_time_s() * j.gpu_share();
    for (std::size_t p = 0; p < pools.size(); ++p)
      if (pool_can_hold(pools[p], j)) gpu_s[p] += offered * pools[p].gpus / gpus;
  }
};

// Pins a training job to a system and takes its run from the step simulator. The pool is the one
// that, with this job, would be offered the smallest share of its GPUs so far (uninterrupted run
// time with checkpoint writes x GPUs), among the pools that can hold the job (JP ones only for
// jp_restricted). So every pool is offered the same load, whatever the residency mix (a faster
// system runs more jobs, since each takes fewer GPU-seconds there). Where the failure rate is 0
// there is no Young/Daly interval and the kind's interval stays. No pool holds it: left unpinned
// (returns false), the scheduler rejects it with the reason.
bool apply_simulated_run(const JobKind& k, const DurationSource& src, PoolTally& tally, Job& j) {
  const std::string where = src.source + ": kind " + k.id;
  int best = -1;
  double best_share = 0, best_gpu_s = 0;
  for (std::size_t p = 0; p < src.pools.size(); ++p) {
    const PoolOffer& pool = src.pools[p];
    if (!pool_can_hold(pool, j)) continue;
    const SimulatedRun& r = src.cache->get(k.training, pool.system, j.gpus, where);
    Job trial;  // the run's fields only (no name to copy)
    trial.gpus = j.gpus, trial.gpu_milli = j.gpu_milli, trial.checkpoint_interval_s = j.checkpoint_interval_s;
    trial.duration_s = r.compute_s;
    trial.checkpoint_write_s = r.checkpoint_write_s;
    if (r.checkpoint_interval_s > 0) trial.checkpoint_interval_s = r.checkpoint_interval_s;
    const double gpu_s = trial.run_time_s() * trial.gpu_share();
    const double share = (tally.gpu_s[p] + gpu_s) / pool.gpus;
    if (best < 0 || share < best_share) best = static_cast<int>(p), best_share = share, best_gpu_s = gpu_s;
  }
  if (best < 0) return false;
  j.system = src.pools[best].system;
  const SimulatedRun& r = src.cache->get(k.training, j.system, j.gpus, where);
  j.duration_s = r.compute_s;
  j.checkpoint_write_s = r.checkpoint_write_s;
  if (r.checkpoint_interval_s > 0) j.checkpoint_interval_s = r.checkpoint_interval_s;
  tally.gpu_s[best] += best_gpu_s;
  return true;
}

}  // namespace

Workload generate_jobs(const GeneratorSpec& spec, const std::vector<JobKind>& kinds, const Tenants& tenants,
                       int fleet_gpus, int max_job_gpus, const DurationSource* simulated) {
  if (spec.simulated_durations && (simulated == nullptr || simulated->cache == nullptr))
    throw InputError("generator", "durations", "simulated durations need the step-time cache");
  if (fleet_gpus <= 0 || max_job_gpus <= 0) throw InputError("generator", "fleet", "has no GPUs");
  std::mt19937_64 rng(spec.seed);
  std::vector<double> kind_w, tenant_w;
  for (const JobKind& k : kinds) kind_w.push_back(k.share);
  for (const Tenant& t : tenants.list) tenant_w.push_back(t.submit_share);
  if (std::all_of(tenant_w.begin(), tenant_w.end(), [](double x) { return x <= 0; }))
    std::fill(tenant_w.begin(), tenant_w.end(), 1.0);
  Workload w;
  w.jobs.reserve(spec.jobs);
  double total_gpu_s = 0;
  PoolTally tally;
  if (spec.simulated_durations) tally.gpu_s.assign(simulated->pools.size(), 0.0);
  for (int i = 0; i < spec.jobs; ++i) {
    const JobKind& k = kinds[weighted_index(rng, kind_w)];
    Job j;
    j.name = k.id + "-" + std::to_string(i);
    j.tenant = weighted_index(rng, tenant_w);
    j.gpus = draw_gpus(rng, k, max_job_gpus);
    j.duration_s = draw_duration_s(rng, k);
    j.checkpoint_interval_s = k.checkpoint_interval_s;
    j.single_domain_required = k.single_domain_required;
    j.data_class = kAllDataClasses[weighted_index(rng, tenants.list[j.tenant].data_class_share)];
    if (spec.simulated_durations && !(k.trains && apply_simulated_run(k, *simulated, tally, j))) tally.spread(simulated->pools, j);
    // Offered = what an uninterrupted run holds: compute plus checkpoint writes (failure losses
    // depend on the schedule and are not offered).
    total_gpu_s += j.run_time_s() * j.gpu_share();
    w.jobs.push_back(std::move(j));
  }
  // Arrival rate chosen after the sizes (simulated durations included) so that the offered load
  // is exact for this sample on average over the Poisson arrivals.
  const double mean_gpu_s = total_gpu_s / spec.jobs;
  const double rate_per_s = spec.offered_load * fleet_gpus / mean_gpu_s;
  double t = 0;
  for (Job& j : w.jobs) {
    t += exponential(rng, rate_per_s);
    j.submit_s = std::round(t);
  }
  return w;
}

}  // namespace ct::cluster
