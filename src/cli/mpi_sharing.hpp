#pragma once
// `plan --mpi`: the planner's work spread over the ranks of MPI_COMM_WORLD (Open MPI).
#include "clustertwin/plan/planner.hpp"

namespace ct::cli {

// Initialises MPI for its lifetime. Throws InputError when clustertwin was built without MPI.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  // Ranks own items round-robin; results are shared with an all-reduce (sum) of the records,
  // in which every value has exactly one non-zero contributor, so the sum is exact.
  WorkSharing sharing() const;
  int rank() const { return rank_; }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace ct::cli
