// The hebb command: train, evaluate and inspect MLPs and conv nets.
#include <chrono>
#include <climits>
#include <cstdio>
#include <malloc.h>
#include <map>
#include <string>
#include <thread>

#include "apps/commands.h"
#include "parallel/communicator.h"
#include "version.h"

namespace {

// Ends the command with `code`. In an MPI job a failure on any rank ends every rank (MPI_Abort), so
// none waits for it in a collective; rank 0's messages are the job's, another rank's name it.
int finish(int code, const std::string& message = {}) {
    const int rank = hebb::parallel::rank();
    if (!message.empty())
        std::fprintf(stderr, "error: %s%s\n", rank > 0 ? ("rank " + std::to_string(rank) + ": ").c_str() : "",
                     message.c_str());
    if (code != 0 && hebb::parallel::size() > 1) {
        // A rank with nothing to say (a refusal that rank 0 reports, a stop that rank 0 answers) leaves
        // ending the job to rank 0, whose message its own abort would cut; after 5 s it ends it itself.
        if (rank > 0 && message.empty()) std::this_thread::sleep_for(std::chrono::seconds(5));
        hebb::parallel::abort(code);
    }
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    // Freed blocks stay in the process rather than going back to the kernel: fresh pages are
    // expensive in virtual machines, and the product library takes its packing buffers from malloc
    // on every call. Blocks up to 32 MiB come from the heap, and up to 2 GiB of its free top stays.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    // In an MPI job rank 0 alone prints results; errors and warnings still come from every rank.
    if (hebb::parallel::rank() > 0 && !std::freopen("/dev/null", "w", stdout)) return finish(1, "cannot silence stdout");
    CLI::App app{"hebb: train, evaluate and inspect MLPs and conv nets, with BEAN assembly regularization"};
    app.require_subcommand(1);
    // "hebb 0.1.0 (6cdacfe), products on oneDNN, -march=native, data-parallel under mpirun (Open MPI)"
    const std::string commit = HEBB_VERSION;
    app.set_version_flag("--version", "hebb " HEBB_PROJECT_VERSION +
                                          (commit == HEBB_PROJECT_VERSION ? std::string() : " (" + commit + ")") +
                                          ", products on " HEBB_PRODUCTS ", " HEBB_MARCH ", " HEBB_PARALLEL);
    const std::map<std::string, hebb::app::Command> commands{
        {"train", hebb::app::add_train(app)},
        {"eval", hebb::app::add_eval(app)},
        {"inspect", hebb::app::add_inspect(app)},
        {"assemblies", hebb::app::add_assemblies(app)},
        {"prune", hebb::app::add_prune(app)},
        {"fewshot", hebb::app::add_fewshot(app)},
        {"bench", hebb::app::add_bench(app)},
    };
    // One form for every error: "error: <what, and what to do>" on stderr; exit 2 for a bad command
    // line, 1 for a failure while running.
    const auto see_help = [&] {
        const auto chosen = app.get_subcommands();
        return "; see hebb " + (chosen.empty() ? std::string() : chosen.front()->get_name() + " ") + "--help";
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help, --help-all and --version are not errors: CLI11 prints them and they exit 0.
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        return finish(2, e.what() + see_help());
    }
    try {
        const std::string name = app.get_subcommands().front()->get_name();
        hebb::app::check_on_all_ranks(hebb::parallel::size() == 1 || name == "train" || name == "fewshot" || name == "bench",
                                      "hebb ", name, " runs in one process: start it without mpirun (train, fewshot and "
                                      "bench run under it)");
        return finish(commands.at(name)());
    } catch (const hebb::app::UsageError& e) {
        return finish(2, e.reported_by_rank_0 ? "" : e.what() + see_help());
    } catch (const std::exception& e) {
        return finish(1, e.what());
    }
}
