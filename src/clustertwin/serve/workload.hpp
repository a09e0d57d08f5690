#pragma once
// Request streams for the serving simulator: Poisson and bursty (gamma) arrivals, everything at
// once (MLPerf Offline, trtllm-bench at unlimited rate), or a CSV trace. Random streams are
// deterministic for a seed on every platform (our own inverse-CDF / Marsaglia-Tsang samplers on
// std::mt19937_64, whose output the standard fixes; std:: distributions are implementation-defined).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ct::serve {

struct Request {
  double arrival_s = 0;
  int input_tokens = 0;
  int output_tokens = 0;
};

// Request lengths: (input, output) token pairs that successive requests take in turn, e.g. a
// benchmark dataset's sample; one pair is fixed lengths.
struct LengthMix {
  std::vector<std::pair<int, int>> pairs;

  static LengthMix fixed(int input_tokens, int output_tokens) { return {{{input_tokens, output_tokens}}}; }
  const std::pair<int, int>& of_request(std::size_t i) const { return pairs[i % pairs.size()]; }
  double mean_input() const;
  double mean_output() const;
  std::string key() const;  // tells mixes apart (caches)
};

enum class ArrivalKind { Poisson, Gamma, AllAtOnce, Trace };

struct WorkloadSpec {
  ArrivalKind kind = ArrivalKind::Poisson;
  double rate_per_s = 0;       // mean arrival rate (Poisson, Gamma)
  double burstiness_cv = 1;    // coefficient of variation of inter-arrival gaps (Gamma; 1 = Poisson)
  int input_tokens = 0;        // fixed lengths (every kind but Trace)
  int output_tokens = 0;
  long long count = 0;         // requests; 0 = as many as `duration_s` holds
  double duration_s = 0;       // arrivals stop here (Poisson, Gamma) when count is 0
  std::string trace_path;      // Trace
  std::uint64_t seed = 1;
};

// Parses "poisson:rate=20,input=2048,output=256[,count=N][,seed=S]",
// "gamma:rate=20,cv=4,input=..,output=..", "offline:count=N,input=..,output=.." (alias "fixed:",
// trtllm-bench style), "trace:path.csv". `source` names the origin in errors.
// `default_rate_per_s` applies when the text gives no rate (serve-plan takes it from --load).
WorkloadSpec parse_workload(const std::string& text, const std::string& source, double default_rate_per_s = 0);

// The requests, sorted by arrival. Throws InputError when the spec cannot produce any.
std::vector<Request> generate_requests(const WorkloadSpec& spec);

// `count` Poisson arrivals at `rate_per_s`, lengths from `lengths` in turn (the capacity searches' load).
std::vector<Request> poisson_requests(double rate_per_s, const LengthMix& lengths, long long count, std::uint64_t seed);
// `count` requests all at t = 0 (a saturated, MLPerf Offline style run).
std::vector<Request> offline_requests(const LengthMix& lengths, long long count);

// A length mix from a CSV with columns input_tokens, output_tokens (one row per request); outputs
// scaled so that their mean is `output_mean` when it is > 0 (a dataset's reference answers are not
// what the served model generates). Errors name the file and line.
LengthMix read_length_mix(const std::string& path, double output_mean = 0);

// CSV with a header naming timestamp, input_tokens, output_tokens (seconds; other columns ignored).
// A malformed line throws InputError naming the file, the line number and the field.
std::vector<Request> read_trace_csv(const std::string& path);
std::vector<Request> parse_trace_csv(const std::string& text, const std::string& source);

// Seeded samplers (exposed for tests).
class Sampler {
 public:
  explicit Sampler(std::uint64_t seed) : rng_(seed) {}
  double uniform01();                 // in (0, 1)
  double exponential(double mean);
  double standard_normal();           // Box-Muller
  double gamma(double shape, double scale);  // Marsaglia & Tsang (2000)

 private:
  std::mt19937_64 rng_;
};

}  // namespace ct::serve
