#pragma once
// Readers for published GPU-cluster job traces, each in its documented format. Every job that
// ran GPU work becomes a Job of `tenant`, submitted at its recorded submit time, running for its
// recorded run time, with its recorded queueing delay kept for comparison. A malformed record is
// skipped and reported with its line number; the rest of the file is still read.
//
//   philly  Microsoft Philly, `cluster_job_log` (github.com/msr-fiddle/philly-traces README,
//           "Schema"): a JSON list of jobs {status, vc, jobid, submitted_time, user,
//           attempts: [{start_time, end_time, detail: [{ip, gpus: [...]}]}]}, times
//           "YYYY-MM-DD HH:MM:SS". Start = first attempt's start_time, end = last attempt's
//           end_time (the convention of the trace's analysis notebook), GPUs = the most any
//           attempt held. Jobs with no attempt, or a missing start/end (the README: logging
//           errors, or still running at the snapshot), are skipped.
//   helios  SenseTime Helios, `cluster_log.csv` (github.com/S-Lab-System-Group/HeliosData
//           README): job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,
//           end_time,duration,queue; times "YYYY-MM-DD HH:MM:SS".
//   acme    Shanghai AI Lab Acme (NSDI'24), `trace_seren.csv` / `trace_kalos.csv`
//           (github.com/InternLM/AcmeTrace README): job_id,user,node_num,gpu_num,cpu_num,type,
//           state,submit_time,start_time,end_time,duration,queue,gpu_time (+ Kalos-only
//           columns); times "YYYY-MM-DD HH:MM:SS+08:00". Helios and Acme are read by one
//           reader by column name; gpu_num 0 (CPU jobs) and rows without start/end are skipped.
//   pai     Alibaba PAI-2020 (github.com/alibaba/clusterdata cluster-trace-gpu-v2020 README):
//           pai_job_table.csv (job_name,inst_id,user,status,start_time,end_time; start_time is
//           the submission) joined on job_name with pai_task_table.csv (job_name,task_name,
//           inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type; plan_gpu in
//           percent of one GPU). Times are seconds. The published CSVs have no header line (it
//           is in separate .header files); a header line is accepted too. Start = earliest task
//           start, end = latest task end, GPU demand = sum of inst_num x plan_gpu: up to 100 %
//           is one (shared) GPU in milli-GPU, above it whole GPUs, rounded up. gpu_type is the
//           type *assigned*, not requested, so it does not constrain placement.
#include <string>
#include <vector>

#include "clustertwin/cluster/job.hpp"

namespace ct::cluster {

inline constexpr const char* kTraceFormats = "openb, philly, helios, acme, pai";

// Seconds since 1970-01-01 of "YYYY-MM-DD HH:MM:SS" with an optional "+HH:MM"/"-HH:MM"/"Z"
// offset (no offset: taken as UTC; only differences between times matter), or false.
bool parse_trace_time_s(const std::string& text, double& seconds);

Workload parse_philly_jobs(const std::string& text, const std::string& source, int tenant);
Workload parse_slurm_log_jobs(const std::string& text, const std::string& source, int tenant);  // helios, acme
Workload parse_pai_jobs(const std::string& job_table_text, const std::string& job_source, const std::string& task_table_text,
                        const std::string& task_source, int tenant);

// `path` for pai: pai_job_table.csv, or the folder holding it; pai_task_table.csv is read from
// the same folder. Throws InputError for an unknown format or an unreadable file.
Workload read_trace(const std::string& format, const std::string& path, int tenant);

}  // namespace ct::cluster
