// The subcommands of the hebb command: each adds its options to the parser and returns the
// function that runs it once the command line is parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hebb::app {

using Command = std::function<int()>;

Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_inspect(CLI::App& app);
Command add_assemblies(CLI::App& app);
Command add_prune(CLI::App& app);
Command add_fewshot(CLI::App& app);
Command add_bench(CLI::App& app);

}  // namespace hebb::app
