// The hebb command: train, evaluate and inspect MLPs and conv nets.
#include <climits>
#include <cstdio>
#include <malloc.h>
#include <map>
#include <string>

#include "apps/commands.h"
#include "version.h"

int main(int argc, char** argv) {
    // Freed blocks stay in the process rather than going back to the kernel: fresh pages are
    // expensive in virtual machines, and the product library takes its packing buffers from malloc
    // on every call. Blocks up to 32 MiB come from the heap, and up to 2 GiB of its free top stays.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    CLI::App app{"hebb: train, evaluate and inspect MLPs and conv nets, with BEAN assembly regularization"};
    app.require_subcommand(1);
    // "hebb 0.1.0 (6cdacfe), products on oneDNN sgemm, -march=native"
    const std::string commit = HEBB_VERSION;
    app.set_version_flag("--version", "hebb " HEBB_PROJECT_VERSION +
                                          (commit == HEBB_PROJECT_VERSION ? std::string() : " (" + commit + ")") +
                                          ", products on " HEBB_PRODUCTS ", " HEBB_MARCH);
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
        std::fprintf(stderr, "error: %s%s\n", e.what(), see_help().c_str());
        return 2;
    }
    try {
        return commands.at(app.get_subcommands().front()->get_name())();
    } catch (const hebb::app::UsageError& e) {
        std::fprintf(stderr, "error: %s%s\n", e.what(), see_help().c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
