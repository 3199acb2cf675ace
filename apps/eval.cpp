// hebb eval: a checkpoint's accuracy, loss, per-class accuracy and confusion matrix on a split.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "apps/commands.h"
#include "hebb.h"

namespace hebb::app {

Command add_eval(CLI::App& app) {
    struct Options {
        std::string model, data, split = "test";
        bool json = false;
        int threads = 1;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("eval", "Evaluate a checkpoint on a dataset split");
    cmd->add_option("--model", o->model, "Checkpoint (.safetensors)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--data", o->data, data_of_model_help);
    cmd->add_option("--split", o->split, "The split to evaluate")->check(CLI::IsMember({"test", "train"}))->capture_default_str();
    cmd->add_flag("--json", o->json, "Print one JSON object: accuracy, loss, per_class, n, data, split");
    cmd->add_option("--threads", o->threads, "Threads for the products and ops")->check(positive)->check(at_most(max_threads))->capture_default_str();
    return [o] {
        set_num_threads(o->threads);
        const training::Checkpoint loaded = training::load_checkpoint(o->model);
        const std::string name = data_for(loaded, o->model, o->data);
        reading_flag("--data", [&] { data::check_dataset_name(name); });
        data::Splits splits = data::load_dataset(name);
        const data::TensorDataset& d = o->split == "test" ? splits.test : splits.train;
        check_fits(loaded, o->model, d, name);  // before evaluate allocates a classes x classes matrix
        const training::Evaluation e = training::evaluate(*loaded.model, d);
        if (o->json) {
            std::printf("%s\n", nlohmann::json{{"accuracy", e.accuracy}, {"loss", e.loss},
                                               {"per_class", e.per_class}, {"n", e.n},
                                               {"data", name}, {"split", o->split}}.dump().c_str());
        } else {
            std::printf("%s on %s (%s split, %ld samples)\naccuracy %.4f  loss %.4f\n\n%s", o->model.c_str(),
                        name.c_str(), o->split.c_str(), e.n, e.accuracy, e.loss,
                        training::evaluation_markdown(e, d.class_names).c_str());
        }
        return 0;
    };
}

}  // namespace hebb::app
