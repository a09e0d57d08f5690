// The trace readers on small files written in each published format (tests/data/): the jobs,
// their recorded delays and run times, what is skipped, and malformed lines named by number.
#include <gtest/gtest.h>

#include <algorithm>

#include "clustertwin/cluster/trace_readers.hpp"
#include "clustertwin/core/error.hpp"

using namespace ct;
using namespace ct::cluster;

namespace {

const std::string kData = std::string(CLUSTERTWIN_SOURCE_DIR) + "/tests/data/";

const Job& job_named(const Workload& w, const std::string& name) {
  for (const Job& j : w.jobs)
    if (j.name == name) return j;
  throw std::runtime_error("no job " + name);
}

bool has_warning(const Workload& w, const std::string& part) {
  return std::any_of(w.warnings.begin(), w.warnings.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

std::string all_warnings(const Workload& w) {
  std::string s;
  for (const std::string& x : w.warnings) s += x + "\n";
  return s;
}

}  // namespace

TEST(ClusterTraceTime, ParsesDatesWithAndWithoutOffsets) {
  double t = 0;
  ASSERT_TRUE(parse_trace_time_s("1970-01-02 00:00:01", t));
  EXPECT_EQ(t, 86401);
  ASSERT_TRUE(parse_trace_time_s("1970-01-02 08:00:01+08:00", t));
  EXPECT_EQ(t, 86401);
  ASSERT_TRUE(parse_trace_time_s("1970-01-01 23:00:00-01:00", t));
  EXPECT_EQ(t, 86400);
  EXPECT_FALSE(parse_trace_time_s("2023-02-30 00:00:00", t));
  EXPECT_FALSE(parse_trace_time_s("2023-03-01 00:32:10+0800", t));
  EXPECT_FALSE(parse_trace_time_s("yesterday", t));
}

TEST(ClusterTraces, PhillyJobLog) {
  const Workload w = read_trace("philly", kData + "philly/cluster_job_log", 0);
  ASSERT_EQ(w.jobs.size(), 3u) << all_warnings(w);
  const Job& a = job_named(w, "application_1506638472019_14199");
  EXPECT_EQ(a.gpus, 8);  // the most any attempt held
  EXPECT_EQ(a.recorded_queue_delay_s, 30);
  EXPECT_EQ(a.duration_s, 2 * 86400 + 5 * 3600 + 41 * 60 + 3);  // first start to last end
  EXPECT_EQ(job_named(w, "application_1506638472019_00003").gpus, 4);  // two servers x 2 GPUs
  EXPECT_EQ(job_named(w, "application_1506638472019_00007").recorded_queue_delay_s, 5);
  // No attempt (00002) and still running (00004) are skipped; the two broken jobs named by line.
  EXPECT_EQ(w.skipped, 4);
  EXPECT_TRUE(has_warning(w, "cluster_job_log: line 51: submitted_time: not a time")) << all_warnings(w);
  EXPECT_TRUE(has_warning(w, "cluster_job_log: line 59: not valid JSON")) << all_warnings(w);
}

TEST(ClusterTraces, PhillyCutShortFileKeepsTheCompleteJobs) {
  const std::string text = "[{\"jobid\": \"a\", \"submitted_time\": \"2017-10-07 01:00:00\", \"attempts\": [{\"start_time\": "
                           "\"2017-10-07 01:00:10\", \"end_time\": \"2017-10-07 02:00:10\", \"detail\": [{\"ip\": \"m1\", \"gpus\": "
                           "[\"gpu0\"]}]}]},\n{\"jobid\": \"b\", \"attempts\": [";
  const Workload w = parse_philly_jobs(text, "cut.json", 0);
  ASSERT_EQ(w.jobs.size(), 1u);
  EXPECT_TRUE(has_warning(w, "cut.json: line 2: job object never closed")) << all_warnings(w);
}

TEST(ClusterTraces, HeliosClusterLog) {
  const Workload w = read_trace("helios", kData + "helios/cluster_log.csv", 0);
  ASSERT_EQ(w.jobs.size(), 3u) << all_warnings(w);
  EXPECT_EQ(job_named(w, "1425511").duration_s, 36848);  // matches the trace's duration column
  EXPECT_EQ(job_named(w, "1425512").gpus, 4);
  EXPECT_EQ(job_named(w, "1425514").recorded_queue_delay_s, 600);  // matches its queue column
  EXPECT_TRUE(has_warning(w, "cluster_log.csv: line 6: gpu_num: not a whole number")) << all_warnings(w);
  EXPECT_TRUE(has_warning(w, "cluster_log.csv: line 8: has 6 fields, the header has 12")) << all_warnings(w);
  EXPECT_TRUE(has_warning(w, "cluster_log.csv: line 9: start_time: before submit_time")) << all_warnings(w);
  EXPECT_EQ(w.skipped, 5);  // CPU job, never-started job and the three malformed lines
}

TEST(ClusterTraces, AcmeSerenAndKalos) {
  const Workload seren = read_trace("acme", kData + "acme/trace_seren.csv", 0);
  ASSERT_EQ(seren.jobs.size(), 3u) << all_warnings(seren);
  EXPECT_EQ(job_named(seren, "5778432").recorded_queue_delay_s, 32);  // the trace's queue column
  EXPECT_EQ(job_named(seren, "5778469").duration_s, 2693);            // the trace's duration column
  EXPECT_EQ(job_named(seren, "5778470").gpus, 256);
  EXPECT_TRUE(has_warning(seren, "trace_seren.csv: line 6: start_time: not a time")) << all_warnings(seren);
  const Workload kalos = read_trace("acme", kData + "acme/trace_kalos.csv", 0);
  ASSERT_EQ(kalos.jobs.size(), 2u) << all_warnings(kalos);
  EXPECT_EQ(job_named(kalos, "dlc1t2ypl09b8qtp").duration_s, 70);
  EXPECT_EQ(job_named(kalos, "dlc1t2ypl09b8qtp").recorded_queue_delay_s, 12);
  EXPECT_EQ(job_named(kalos, "dlctk696s0jbvitv").gpus, 64);
}

TEST(ClusterTraces, Pai2020JobAndTaskTablesWithoutHeaders) {
  const Workload w = read_trace("pai", kData + "pai", 0);
  ASSERT_EQ(w.jobs.size(), 3u) << all_warnings(w);
  const Job& whole = job_named(w, "4b3f04b66a525d2df903eb16");
  EXPECT_EQ(whole.recorded_queue_delay_s, 21);  // earliest task start - job start_time
  EXPECT_EQ(whole.duration_s, 516);
  EXPECT_EQ(whole.gpu_milli, 1000);
  const Job& half = job_named(w, "4f057009a5d481acec67b088");
  EXPECT_EQ(half.gpus, 1);
  EXPECT_EQ(half.gpu_milli, 500);  // plan_gpu 50 %
  const Job& multi = job_named(w, "7e0c1a2b3c4d5e6f70819202");
  EXPECT_EQ(multi.gpus, 8);  // 4 workers x 200 %; the ps asks for none
  EXPECT_EQ(multi.duration_s, 3480);
  EXPECT_TRUE(has_warning(w, "pai_task_table.csv: line 8: inst_num: not a number")) << all_warnings(w);
  EXPECT_TRUE(has_warning(w, "pai_job_table.csv: line 6: start_time (the submission): not a number")) << all_warnings(w);
  EXPECT_TRUE(has_warning(w, "2 jobs skipped: no GPU task")) << all_warnings(w);
}

TEST(ClusterTraces, UnknownFormatAndMissingFileAreClearErrors) {
  try {
    read_trace("slurm-sacct", kData + "helios/cluster_log.csv", 0);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--jobs-format: unknown format 'slurm-sacct' (openb, philly, helios, acme, pai)"),
              std::string::npos);
  }
  EXPECT_THROW(read_trace("helios", kData + "nope.csv", 0), InputError);
  EXPECT_THROW(parse_slurm_log_jobs("a,b\n1,2\n", "x.csv", 0), InputError);  // header lacks the needed columns
}
