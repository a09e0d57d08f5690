#include "cli/mpi_sharing.hpp"

#include "clustertwin/core/error.hpp"

#ifdef CLUSTERTWIN_WITH_MPI
#include <mpi.h>
#endif

namespace ct::cli {

#ifdef CLUSTERTWIN_WITH_MPI

MpiSession::MpiSession() {
  MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

WorkSharing MpiSession::sharing() const {
  WorkSharing s;
  s.rank = rank_;
  s.size = size_;
  s.gather = [](std::vector<double>& records, std::size_t) {
    MPI_Allreduce(MPI_IN_PLACE, records.data(), static_cast<int>(records.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  };
  return s;
}

#else

MpiSession::MpiSession() {
  throw InputError("command line", "mpi", "this clustertwin was built without MPI (install libopenmpi-dev and rebuild)");
}
MpiSession::~MpiSession() = default;
WorkSharing MpiSession::sharing() const { return {}; }

#endif

}  // namespace ct::cli
