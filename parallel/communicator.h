// The processes of one job, for data-parallel training and distributed experiments. Started by
// mpirun (Open MPI), a hebb built with MPI joins MPI_COMM_WORLD on the first call here; started any
// other way, or built without MPI, it is rank 0 of 1 and every collective leaves its input as it is.
// Collectives must be called by every rank in the same order, as MPI's own.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace hebb::parallel {

bool built_with_mpi();  // the meson option mpi
int rank();              // 0 .. size() - 1
int size();              // the processes in the job

// Begins summing `values` (a gradient bucket) over the ranks, in place on every rank; wait_all()
// finishes every sum begun, so buckets are summed while the next is packed. `values` must stay
// alive and untouched until then.
void start_all_reduce_sum(std::span<float> values);
void wait_all();

// Every rank's `text`, in rank order, on every rank.
std::vector<std::string> all_gather(const std::string& text);

// Ends every process of the job with `code` (MPI_Abort); in a job of one, exits.
[[noreturn]] void abort(int code);

}  // namespace hebb::parallel
