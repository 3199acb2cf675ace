// hebb eval: a checkpoint's accuracy, loss, per-class accuracy and confusion matrix on a split.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "apps/commands.h"
#include "hebb.h"

namespace hebb::app {

Command add_eval(CLI::App& app) {
    struct Options {
        std::string model, data = "fashion-mnist", split = "test";
        bool json = false;
        int threads = 1;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("eval", "Evaluate a checkpoint on a dataset split");
    cmd->add_option("--model", o->model, "Checkpoint (.safetensors)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--data", o->data, "fashion-mnist, mnist, csv:PATH, images:DIR or spirals")->capture_default_str();
    cmd->add_option("--split", o->split)->check(CLI::IsMember({"test", "train"}))->capture_default_str();
    cmd->add_flag("--json", o->json, "Print one JSON object: accuracy, loss, per_class, n");
    cmd->add_option("--threads", o->threads)->check(positive)->check(at_most(max_threads))->capture_default_str();
    return [o] {
        set_num_threads(o->threads);
        const training::Checkpoint loaded = training::load_checkpoint(o->model);
        reading_flag("--data", [&] { data::check_dataset_name(o->data); });
        data::Splits splits = data::load_dataset(o->data);
        const data::TensorDataset& d = o->split == "test" ? splits.test : splits.train;
        check_usage(fits(loaded.input, d.image), o->model, ": the model takes ", loaded.input.values(),
                    " inputs, ", o->data, " has ", d.image.values(), "; pick the --data it was trained on");
        // Before evaluate, which allocates a classes x classes confusion matrix.
        check_usage(loaded.output.size() == d.classes, o->model, ": the model gives ", loaded.output.size(),
                    " outputs, ", o->data, " has ", d.classes, " classes (labels 0..", d.classes - 1,
                    "); pick the --data it was trained on");
        const training::Evaluation e = training::evaluate(*loaded.model, d);
        if (o->json) {
            std::printf("%s\n", nlohmann::json{{"accuracy", e.accuracy}, {"loss", e.loss},
                                               {"per_class", e.per_class}, {"n", e.n}}.dump().c_str());
        } else {
            std::printf("%s on %s (%s split, %ld samples)\naccuracy %.4f  loss %.4f\n\n%s", o->model.c_str(),
                        o->data.c_str(), o->split.c_str(), e.n, e.accuracy, e.loss,
                        training::evaluation_markdown(e, d.class_names).c_str());
        }
        return 0;
    };
}

}  // namespace hebb::app
