#include "clustertwin/serve/workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numbers>
#include <sstream>
#include <tuple>

#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/number_check.hpp"

namespace ct::serve {

// ---- samplers --------------------------------------------------------------------------------

double Sampler::uniform01() {
  // 53 random bits, shifted off zero so that log() is finite.
  return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53;
}

double Sampler::exponential(double mean) { return -mean * std::log(uniform01()); }

double Sampler::standard_normal() {
  const double u1 = uniform01(), u2 = uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Sampler::gamma(double shape, double scale) {
  if (shape < 1.0) {
    // Boost a shape below one: G(a) = G(a + 1) U^(1/a).
    return gamma(shape + 1.0, scale) * std::pow(uniform01(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0, v = 0;
    do {
      x = standard_normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = uniform01();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v * scale;
  }
}

// ---- the workload spec -----------------------------------------------------------------------

namespace {

// Every request is simulated and kept in memory; a request's tokens stay below any context window
// (2^24) so that token totals and KV sizes cannot overflow.
constexpr double kMaxRequests = 1e7;
constexpr double kMaxRequestTokens = 1 << 24;

double parse_number(const std::string& v, const std::string& source, const std::string& field, const NumberRule& rule) {
  const std::optional<double> x = parse_number_text(v);
  if (!x) throw InputError(source, field, "not a number: '" + v + "'");
  return check_number(*x, rule, source, field);
}

long long parse_count(const std::string& v, const std::string& source, const std::string& field, double min,
                      double max) {
  long long x = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec == std::errc::result_out_of_range) throw InputError(source, field, fmt::format("must be at most {:g}", max));
  if (ec != std::errc() || end != v.data() + v.size()) throw InputError(source, field, "not an integer: '" + v + "'");
  return check_count(static_cast<double>(x), {min, max, true}, source, field);
}

int parse_tokens(const std::string& v, const std::string& source, const std::string& field) {
  return static_cast<int>(parse_count(v, source, field, 1, kMaxRequestTokens));
}

std::map<std::string, std::string> key_values(const std::string& text, const std::string& source) {
  std::map<std::string, std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw InputError(source, "workload", "expected key=value, got '" + item + "'");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

}  // namespace

WorkloadSpec parse_workload(const std::string& text, const std::string& source, double default_rate_per_s) {
  const auto colon = text.find(':');
  if (colon == std::string::npos)
    throw InputError(source, "workload", "expected KIND:..., e.g. poisson:rate=20,input=2048,output=256");
  const std::string kind = text.substr(0, colon), rest = text.substr(colon + 1);
  WorkloadSpec w;
  if (kind == "trace") {
    if (rest.empty()) throw InputError(source, "workload", "trace: needs a path");
    w.kind = ArrivalKind::Trace;
    w.trace_path = rest;
    return w;
  }
  if (kind == "poisson") w.kind = ArrivalKind::Poisson;
  else if (kind == "gamma") w.kind = ArrivalKind::Gamma;
  else if (kind == "offline" || kind == "fixed") w.kind = ArrivalKind::AllAtOnce;
  else throw InputError(source, "workload", "unknown kind '" + kind + "' (poisson, gamma, offline, fixed, trace)");
  w.rate_per_s = default_rate_per_s;
  for (const auto& [key, value] : key_values(rest, source)) {
    const std::string field = "workload." + key;
    if (key == "rate") w.rate_per_s = parse_number(value, source, field, {0, kMaxRequests, false, true});
    else if (key == "cv") w.burstiness_cv = parse_number(value, source, field, {0, 1e3, false, true});
    else if (key == "input") w.input_tokens = parse_tokens(value, source, field);
    else if (key == "output") w.output_tokens = parse_tokens(value, source, field);
    else if (key == "count") w.count = parse_count(value, source, field, 1, kMaxRequests);
    else if (key == "seed") w.seed = static_cast<std::uint64_t>(parse_count(value, source, field, 0, 9e18));
    else throw InputError(source, field, "unknown key (rate, cv, input, output, count, seed)");
  }
  if (w.input_tokens <= 0) throw InputError(source, "workload.input", "missing");
  if (w.output_tokens <= 0) throw InputError(source, "workload.output", "missing");
  if (w.kind != ArrivalKind::AllAtOnce && w.rate_per_s <= 0) throw InputError(source, "workload.rate", "must be > 0");
  if (w.kind == ArrivalKind::Gamma && w.burstiness_cv <= 0) throw InputError(source, "workload.cv", "must be > 0");
  if (w.kind == ArrivalKind::AllAtOnce && w.count <= 0) throw InputError(source, "workload.count", "missing");
  return w;
}

double LengthMix::mean_input() const {
  double sum = 0;
  for (const auto& [in, out] : pairs) sum += in;
  return sum / static_cast<double>(pairs.size());
}

double LengthMix::mean_output() const {
  double sum = 0;
  for (const auto& [in, out] : pairs) sum += out;
  return sum / static_cast<double>(pairs.size());
}

std::string LengthMix::key() const {
  if (pairs.size() == 1) return fmt::format("{}/{}", pairs[0].first, pairs[0].second);
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the pairs
  for (const auto& [in, out] : pairs)
    for (int v : {in, out}) h = (h ^ static_cast<std::uint32_t>(v)) * 1099511628211ull;
  return fmt::format("mix{}:{:x}", pairs.size(), h);
}

namespace {
// Request i takes the mix's i-th pair (cycling).
std::vector<Request> with_lengths(std::vector<Request> reqs, const LengthMix& lengths) {
  for (std::size_t i = 0; i < reqs.size(); ++i) std::tie(reqs[i].input_tokens, reqs[i].output_tokens) = lengths.of_request(i);
  return reqs;
}
}  // namespace

std::vector<Request> poisson_requests(double rate_per_s, const LengthMix& lengths, long long count, std::uint64_t seed) {
  WorkloadSpec w;
  w.kind = ArrivalKind::Poisson;
  w.rate_per_s = rate_per_s;
  w.input_tokens = lengths.pairs.front().first;
  w.output_tokens = lengths.pairs.front().second;
  w.count = count;
  w.seed = seed;
  return with_lengths(generate_requests(w), lengths);
}

std::vector<Request> offline_requests(const LengthMix& lengths, long long count) {
  return with_lengths(std::vector<Request>(static_cast<std::size_t>(std::max(1LL, count))), lengths);
}

LengthMix read_length_mix(const std::string& path, double output_mean) {
  const CsvTable t = parse_csv(read_text_file(path), path);
  const int in = t.column("input_tokens"), outc = t.column("output_tokens");
  if (in < 0 || outc < 0) throw InputError(path, "header", "needs columns input_tokens, output_tokens");
  LengthMix m;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string where = fmt::format("line {}", t.row_lines[r]);
    m.pairs.emplace_back(parse_tokens(t.rows[r][in], path, where + ": input_tokens"),
                         parse_tokens(t.rows[r][outc], path, where + ": output_tokens"));
  }
  if (m.pairs.empty()) throw InputError(path, "rows", "no request lengths");
  if (output_mean > 0) {
    const double scale = output_mean / m.mean_output();
    for (auto& [i, o] : m.pairs) o = std::max(1, static_cast<int>(std::lround(o * scale)));
  }
  return m;
}

std::vector<Request> generate_requests(const WorkloadSpec& w) {
  if (w.kind == ArrivalKind::Trace) return read_trace_csv(w.trace_path);
  std::vector<Request> out;
  if (w.kind == ArrivalKind::AllAtOnce) {
    out.assign(static_cast<std::size_t>(w.count), Request{0.0, w.input_tokens, w.output_tokens});
    return out;
  }
  if (w.count <= 0 && w.duration_s <= 0)
    throw InputError("workload", "duration", "give a duration or a request count for timed arrivals");
  if (w.count <= 0 && w.rate_per_s * w.duration_s > kMaxRequests)
    throw InputError("workload", "duration", fmt::format("rate x duration is more than {:g} requests", kMaxRequests));
  Sampler rng(w.seed);
  const double mean_gap_s = 1.0 / w.rate_per_s;
  // Gamma gaps with mean 1/rate and CV c: shape 1/c^2, scale c^2/rate (c = 1 is Poisson).
  const double shape = 1.0 / (w.burstiness_cv * w.burstiness_cv);
  double t = 0;
  for (;;) {
    t += w.kind == ArrivalKind::Poisson ? rng.exponential(mean_gap_s) : rng.gamma(shape, mean_gap_s / shape);
    if (w.count > 0 ? static_cast<long long>(out.size()) >= w.count : t > w.duration_s) break;
    out.push_back({t, w.input_tokens, w.output_tokens});
  }
  if (out.empty()) throw InputError("workload", "duration", "no request arrives within the duration");
  return out;
}

// ---- traces ----------------------------------------------------------------------------------

std::vector<Request> parse_trace_csv(const std::string& text, const std::string& source) {
  const CsvTable t = parse_csv(text, source);
  const int ts = t.column("timestamp"), in = t.column("input_tokens"), outc = t.column("output_tokens");
  if (ts < 0 || in < 0 || outc < 0)
    throw InputError(source, "header", "needs columns timestamp, input_tokens, output_tokens");
  std::vector<Request> out;
  out.reserve(t.rows.size());
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const std::string where = fmt::format("line {}", t.row_lines[i]);
    const auto& row = t.rows[i];
    Request r;
    r.arrival_s = parse_number(row[ts], source, where + ": timestamp", kNonNegativeReal);
    r.input_tokens = parse_tokens(row[in], source, where + ": input_tokens");
    r.output_tokens = parse_tokens(row[outc], source, where + ": output_tokens");
    out.push_back(r);
  }
  if (out.empty()) throw InputError(source, "rows", "the trace has no requests");
  std::stable_sort(out.begin(), out.end(), [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; });
  return out;
}

std::vector<Request> read_trace_csv(const std::string& path) { return parse_trace_csv(read_text_file(path), path); }

}  // namespace ct::serve
