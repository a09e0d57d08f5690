#include "clustertwin/cluster/trace_readers.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "clustertwin/cluster/job_sources.hpp"
#include "clustertwin/cluster/tolerant_csv.hpp"
#include "clustertwin/core/error.hpp"

namespace ct::cluster {

namespace {

bool parse_digits(const std::string& s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Seconds east of UTC of a "+HH:MM" / "-HH:MM" / "Z" / "" suffix, or false.
bool parse_utc_offset_s(const std::string& suffix, int& offset_s) {
  offset_s = 0;
  if (suffix.empty() || suffix == "Z") return true;
  int hh = 0, mm = 0;
  if (suffix.size() != 6 || (suffix[0] != '+' && suffix[0] != '-') || suffix[3] != ':' || !parse_digits(suffix, 1, 2, hh) ||
      !parse_digits(suffix, 4, 2, mm))
    return false;
  offset_s = (suffix[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  return true;
}

}  // namespace

bool parse_trace_time_s(const std::string& text, double& seconds) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, offset_s = 0;
  const bool shape_ok = text.size() >= 19 && text[4] == '-' && text[7] == '-' && (text[10] == ' ' || text[10] == 'T') &&
                        text[13] == ':' && text[16] == ':';
  if (!shape_ok || !parse_digits(text, 0, 4, y) || !parse_digits(text, 5, 2, mo) || !parse_digits(text, 8, 2, d) ||
      !parse_digits(text, 11, 2, h) || !parse_digits(text, 14, 2, mi) || !parse_digits(text, 17, 2, s) ||
      !parse_utc_offset_s(text.substr(19), offset_s))
    return false;
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return false;
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  seconds = static_cast<double>(days) * 86400.0 + h * 3600 + mi * 60 + s - offset_s;
  return true;
}

// ------------------------------------------------------------------------------------ Philly

namespace {

struct JsonObjectText {
  int line = 0;  // where the object starts
  std::string text;
};

// Splits a JSON list of objects (or one object per line) into the top-level objects, with the
// line each starts on, so that one broken job is skipped with its line number and the rest read.
std::vector<JsonObjectText> top_level_objects(const std::string& text, const std::string& source, std::vector<std::string>& warnings) {
  std::vector<JsonObjectText> out;
  int line = 1, depth = 0;
  bool in_string = false, escaped = false;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' && depth++ == 0) begin = i, out.push_back({line, ""});
    else if (c == '}' && depth > 0 && --depth == 0) out.back().text = text.substr(begin, i + 1 - begin);
  }
  if (depth > 0) {
    warnings.push_back(source + ": line " + std::to_string(out.back().line) + ": job object never closed (file cut short?), skipped");
    out.pop_back();
  }
  return out;
}

std::string json_string_or_empty(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int philly_attempt_gpus(const nlohmann::json& attempt) {
  int gpus = 0;
  const auto detail = attempt.find("detail");
  if (detail == attempt.end() || !detail->is_array()) return 0;
  for (const auto& d : *detail)
    if (d.is_object() && d.contains("gpus") && d["gpus"].is_array()) gpus += static_cast<int>(d["gpus"].size());
  return gpus;
}

RecordKind philly_job(const nlohmann::json& j, RecordedJob& r, std::string& why) {
  if (!j.is_object()) return why = "not a JSON object", RecordKind::malformed;
  r.name = json_string_or_empty(j, "jobid");
  r.owner = json_string_or_empty(j, "vc");
  if (r.owner.empty()) r.owner = json_string_or_empty(j, "user");
  if (r.name.empty()) return why = "jobid: missing", RecordKind::malformed;
  if (!parse_trace_time_s(json_string_or_empty(j, "submitted_time"), r.submit_s))
    return why = "submitted_time: not a time YYYY-MM-DD HH:MM:SS", RecordKind::malformed;
  const auto attempts = j.find("attempts");
  if (attempts == j.end() || !attempts->is_array()) return why = "attempts: missing list", RecordKind::malformed;
  if (attempts->empty()) return RecordKind::skipped;  // never scheduled
  // The README: a start or end may be missing (logging error, or still running at the snapshot).
  if (!parse_trace_time_s(json_string_or_empty(attempts->front(), "start_time"), r.start_s) ||
      !parse_trace_time_s(json_string_or_empty(attempts->back(), "end_time"), r.end_s))
    return RecordKind::skipped;
  r.gpus = 0;
  for (const auto& a : *attempts) r.gpus = std::max(r.gpus, philly_attempt_gpus(a));
  return r.gpus > 0 ? RecordKind::job : RecordKind::skipped;
}

}  // namespace

Workload parse_philly_jobs(const std::string& text, const std::string& source, int tenant) {
  TraceCollector out(source, tenant, {"submitted_time", "attempts[0].start_time", "attempts[-1].end_time"});
  std::vector<std::string> split_warnings;
  for (const JsonObjectText& o : top_level_objects(text, source, split_warnings)) {
    const nlohmann::json j = nlohmann::json::parse(o.text, nullptr, false);
    RecordedJob r;
    std::string why;
    const RecordKind kind = j.is_discarded() ? (why = "not valid JSON", RecordKind::malformed) : philly_job(j, r, why);
    out.take(kind, r, o.line, why);
  }
  for (const std::string& w : split_warnings) out.add_warning(w);
  return out.finish("no attempt with a start and an end, or no GPUs");
}

// ------------------------------------------------------------------------------ Helios, Acme

namespace {

struct SlurmLogColumns {
  int job_id, gpu_num, submit, start, end;
  int vc, user;  // optional: -1 when absent
};

SlurmLogColumns slurm_log_columns(const CsvTable& t, const std::string& source) {
  const SlurmLogColumns c{t.column("job_id"), t.column("gpu_num"), t.column("submit_time"), t.column("start_time"),
                          t.column("end_time"), t.column("vc"), t.column("user")};
  for (int col : {c.job_id, c.gpu_num, c.submit, c.start, c.end})
    if (col < 0) throw InputError(source, "header", "needs columns job_id, gpu_num, submit_time, start_time, end_time");
  return c;
}

RecordKind slurm_log_row(const std::vector<std::string>& row, const SlurmLogColumns& c, RecordedJob& r, std::string& why) {
  long long gpus = 0;
  if (!parse_int64(row[c.gpu_num], gpus) || gpus < 0) return why = "gpu_num: not a whole number >= 0", RecordKind::malformed;
  if (gpus == 0) return RecordKind::skipped;  // CPU job
  if (!parse_trace_time_s(row[c.submit], r.submit_s)) return why = "submit_time: not a time YYYY-MM-DD HH:MM:SS[+HH:MM]", RecordKind::malformed;
  if (row[c.start].empty() || row[c.end].empty()) return RecordKind::skipped;  // cancelled before it ran
  if (!parse_trace_time_s(row[c.start], r.start_s)) return why = "start_time: not a time YYYY-MM-DD HH:MM:SS[+HH:MM]", RecordKind::malformed;
  if (!parse_trace_time_s(row[c.end], r.end_s)) return why = "end_time: not a time YYYY-MM-DD HH:MM:SS[+HH:MM]", RecordKind::malformed;
  r.name = row[c.job_id];
  r.owner = c.vc >= 0 && !row[c.vc].empty() ? row[c.vc] : c.user >= 0 ? row[c.user] : "";
  r.gpus = static_cast<int>(gpus);
  return RecordKind::job;
}

}  // namespace

Workload parse_slurm_log_jobs(const std::string& text, const std::string& source, int tenant) {
  TraceCollector out(source, tenant, {"submit_time", "start_time", "end_time"});
  std::vector<std::string> csv_warnings;
  const CsvTable t = parse_csv_lines_tolerant(text, source, csv_warnings);
  const SlurmLogColumns c = slurm_log_columns(t, source);
  for (const std::string& w : csv_warnings) out.add_warning(w);
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    RecordedJob r;
    std::string why;
    out.take(slurm_log_row(t.rows[i], c, r, why), r, t.row_lines[i], why);
  }
  return out.finish("CPU-only (gpu_num 0) or never started (no start_time/end_time)");
}

// ---------------------------------------------------------------------------------- PAI-2020

namespace {

const std::vector<std::string> kPaiJobHeader = {"job_name", "inst_id", "user", "status", "start_time", "end_time"};
const std::vector<std::string> kPaiTaskHeader = {"job_name", "task_name", "inst_num", "status",   "start_time",
                                                 "end_time", "plan_cpu",  "plan_mem", "plan_gpu", "gpu_type"};

struct PaiTaskTotals {
  double gpu_percent = 0;  // sum of inst_num x plan_gpu
  double first_start_s = INFINITY, last_end_s = -INFINITY;
};

// Adds one task row to its job's totals; false with `why` on a malformed row. Tasks that asked
// for no GPU, or never launched (no start/end), add nothing.
bool add_pai_task(const std::vector<std::string>& row, std::map<std::string, PaiTaskTotals>& jobs, std::string& why) {
  double inst = 0, plan_gpu = 0, start = 0, end = 0;
  const std::string& plan_gpu_text = row[8];
  if (!parse_double(row[2], inst) || inst < 0) return why = "inst_num: not a number >= 0", false;
  if (!plan_gpu_text.empty() && (!parse_double(plan_gpu_text, plan_gpu) || plan_gpu < 0))
    return why = "plan_gpu: not a number >= 0 (percent of one GPU)", false;
  if (plan_gpu == 0 || row[4].empty() || row[5].empty()) return true;
  if (!parse_double(row[4], start)) return why = "start_time: not a number of seconds", false;
  if (!parse_double(row[5], end)) return why = "end_time: not a number of seconds", false;
  PaiTaskTotals& t = jobs[row[0]];
  t.gpu_percent += inst * plan_gpu;
  t.first_start_s = std::min(t.first_start_s, start);
  t.last_end_s = std::max(t.last_end_s, end);
  return true;
}

// GPU demand in percent of one GPU -> (GPUs, milli-GPU each).
std::pair<int, int> pai_gpu_request(double gpu_percent) {
  if (gpu_percent <= 100) return {1, std::max(1, static_cast<int>(std::lround(gpu_percent * kWholeGpuMilli / 100)))};
  return {static_cast<int>(std::ceil(gpu_percent / 100 - 1e-9)), kWholeGpuMilli};
}

}  // namespace

Workload parse_pai_jobs(const std::string& job_table_text, const std::string& job_source, const std::string& task_table_text,
                        const std::string& task_source, int tenant) {
  TraceCollector out(job_source, tenant, {"start_time (the submission)", "earliest task start_time", "latest task end_time"});
  std::vector<std::string> csv_warnings;
  const CsvTable tasks = parse_csv_lines_tolerant(task_table_text, task_source, csv_warnings, kPaiTaskHeader);
  std::map<std::string, PaiTaskTotals> totals;
  for (std::size_t i = 0; i < tasks.rows.size(); ++i) {
    std::string why;
    if (!add_pai_task(tasks.rows[i], totals, why))
      csv_warnings.push_back(task_source + ": line " + std::to_string(tasks.row_lines[i]) + ": " + why + ", skipped");
  }
  const CsvTable jobs = parse_csv_lines_tolerant(job_table_text, job_source, csv_warnings, kPaiJobHeader);
  for (const std::string& w : csv_warnings) out.add_warning(w);
  for (std::size_t i = 0; i < jobs.rows.size(); ++i) {
    const std::vector<std::string>& row = jobs.rows[i];
    const auto t = totals.find(row[0]);
    if (t == totals.end()) {
      out.skip();  // no GPU task that ran
      continue;
    }
    RecordedJob r;
    if (!parse_double(row[4], r.submit_s)) {
      out.malformed(jobs.row_lines[i], "start_time (the submission): not a number of seconds");
      continue;
    }
    r.name = row[0];
    r.owner = row[2];  // user (PAI-2020 has no virtual clusters)
    r.start_s = t->second.first_start_s;
    r.end_s = t->second.last_end_s;
    std::tie(r.gpus, r.gpu_milli) = pai_gpu_request(t->second.gpu_percent);
    out.add(r, jobs.row_lines[i]);
  }
  return out.finish("no GPU task that started and ended");
}

// ------------------------------------------------------------------------------------ dispatch

Workload read_trace(const std::string& format, const std::string& path, int tenant) {
  if (format == "openb") return read_openb_pods(path, tenant);
  if (format == "philly") return parse_philly_jobs(read_text_file(path), path, tenant);
  if (format == "helios" || format == "acme") return parse_slurm_log_jobs(read_text_file(path), path, tenant);
  if (format == "pai") {
    namespace fs = std::filesystem;
    const fs::path job_table = fs::is_directory(path) ? fs::path(path) / "pai_job_table.csv" : fs::path(path);
    const fs::path task_table = job_table.parent_path() / "pai_task_table.csv";
    return parse_pai_jobs(read_text_file(job_table.string()), job_table.string(), read_text_file(task_table.string()),
                          task_table.string(), tenant);
  }
  throw InputError("command line", "--jobs-format", "unknown format '" + format + "' (" + kTraceFormats + ")");
}

}  // namespace ct::cluster
