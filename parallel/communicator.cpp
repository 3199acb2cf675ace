#include "parallel/communicator.h"

#include <climits>
#include <cstdlib>

#include "core/tensor.h"

#ifdef HEBB_MPI
#include <csignal>
// MPI's C interface only: its deprecated C++ bindings do not compile without warnings.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace hebb::parallel {

#ifdef HEBB_MPI

namespace {

// mpirun's processes find these in their environment (Open MPI's name, and PMIx's that other
// launchers set); a process started any other way stays out of MPI, which would otherwise start
// as a singleton and look for a runtime daemon.
bool launched_by_mpirun() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK"})
        if (std::getenv(name)) return true;
    return false;
}

struct World {
    int rank = 0, size = 1;
    std::vector<MPI_Request> pending;
    World() {
        if (!launched_by_mpirun()) return;
        // The threads MPI starts keep SIGINT and SIGTERM blocked, so these reach hebb's own threads
        // (hebb train then stops after the step in progress) rather than end the process in MPI's.
        sigset_t stop, old;
        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop, &old);
        // Only the thread that called MPI_Init calls MPI; OpenMP's threads never do.
        int provided = 0;
        MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        std::atexit([] {
            int finalized = 0;
            MPI_Finalized(&finalized);
            if (!finalized) MPI_Finalize();
        });
    }
};

World& world() {
    static World w;
    return w;
}

int count(size_t n) {
    HEBB_CHECK(n <= INT_MAX, "MPI: ", n, " values exceed one message");
    return static_cast<int>(n);
}

}  // namespace

bool built_with_mpi() { return true; }
int rank() { return world().rank; }
int size() { return world().size; }

void start_all_reduce_sum(std::span<float> values) {
    if (size() == 1) return;
    MPI_Request& r = world().pending.emplace_back();
    MPI_Iallreduce(MPI_IN_PLACE, values.data(), count(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r);
}

void wait_all() {
    std::vector<MPI_Request>& pending = world().pending;
    MPI_Waitall(count(pending.size()), pending.data(), MPI_STATUSES_IGNORE);
    pending.clear();
}

std::vector<std::string> all_gather(const std::string& text) {
    if (size() == 1) return {text};
    std::vector<int> lengths(static_cast<size_t>(size()));
    const int length = count(text.size());
    MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
    std::vector<int> offsets(lengths.size());
    size_t total = 0;
    for (size_t r = 0; r < lengths.size(); ++r) {
        offsets[r] = count(total);
        total += static_cast<size_t>(lengths[r]);
    }
    std::string all(total, '\0');
    MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                   MPI_COMM_WORLD);
    std::vector<std::string> texts;
    for (size_t r = 0; r < lengths.size(); ++r)
        texts.push_back(all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(lengths[r])));
    return texts;
}

void abort(int code) {
    if (size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
}

#else

bool built_with_mpi() { return false; }
int rank() { return 0; }
int size() { return 1; }
void start_all_reduce_sum(std::span<float>) {}
void wait_all() {}
std::vector<std::string> all_gather(const std::string& text) { return {text}; }
void abort(int code) { std::exit(code); }

#endif

}  // namespace hebb::parallel
