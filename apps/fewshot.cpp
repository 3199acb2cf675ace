#include "apps/commands.h"

namespace hebb::app {

Command add_fewshot(CLI::App& app) {
    app.add_subcommand("fewshot", "(not yet written)");
    return [] { return 1; };
}

}  // namespace hebb::app
