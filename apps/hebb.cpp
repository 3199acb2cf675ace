// The hebb command: train, evaluate and inspect MLPs.
#include <cstdio>
#include <map>

#include "apps/commands.h"

int main(int argc, char** argv) {
    CLI::App app{"hebb: train, evaluate and inspect MLPs, with BEAN assembly regularization"};
    app.require_subcommand(1);
    const std::map<std::string, hebb::app::Command> commands{
        {"train", hebb::app::add_train(app)},
        {"eval", hebb::app::add_eval(app)},
        {"inspect", hebb::app::add_inspect(app)},
        {"assemblies", hebb::app::add_assemblies(app)},
        {"prune", hebb::app::add_prune(app)},
        {"fewshot", hebb::app::add_fewshot(app)},
        {"bench", hebb::app::add_bench(app)},
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        return commands.at(app.get_subcommands().front()->get_name())();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
