// hebb inspect: what a checkpoint holds: architecture, parameters, weight statistics, metadata.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "apps/commands.h"
#include "hebb.h"

namespace hebb::app {

Command add_inspect(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("inspect", "Describe a checkpoint");
    cmd->add_option("checkpoint", *path, "Checkpoint (.safetensors)")->required()->check(CLI::ExistingFile);
    return [path] {
        const training::Checkpoint loaded = training::load_checkpoint(*path);
        std::printf("%s\narch %s, activation %s; takes %s, gives %lld\n\n", path->c_str(), loaded.spec.arch.c_str(),
                    loaded.spec.activation.c_str(), loaded.input.values().c_str(),
                    static_cast<long long>(loaded.output.size()));
        std::cout << *loaded.model << "\n\n";
        long total = 0;
        std::printf("%-12s %-12s %10s %10s %10s %10s %10s %12s\n", "parameter", "shape", "mean", "std", "min",
                    "max", "max |w|", "<1e-3 max|w|");
        for (const auto& [name, w, shape] : loaded.model->state_dict()) {
            total += static_cast<long>(w.size());
            const double mean = w.mean();
            const double std = std::sqrt((w.array() - static_cast<float>(mean)).square().mean());
            const float largest = w.cwiseAbs().maxCoeff();
            const double small = (w.array().abs() < 1e-3f * largest).cast<double>().mean();
            std::printf("%-12s %-12s %10.4f %10.4f %10.4f %10.4f %10.4f %11.2f%%\n", name.c_str(), shape_str(shape).c_str(),
                        mean, std, w.minCoeff(), w.maxCoeff(), largest, 100 * small);
        }
        // Sparsity over all dense weights together (biases aside), against the largest of them.
        const float largest = nn::largest_dense_weight(*loaded.model);
        long weights = 0, small = 0;
        for (const nn::Linear* layer : nn::linear_layers(*loaded.model)) {
            weights += static_cast<long>(layer->weight.value().size());
            small += (layer->weight.value().array().abs() < 1e-3f * largest).count();
        }
        std::printf("\n%ld parameters; %ld dense weights, %.2f%% of them below 1e-3 of the largest |w| (%.4g): what "
                    "hebb prune --rel-threshold 1e-3 zeroes\n",
                    total, weights, 100.0 * static_cast<double>(small) / static_cast<double>(weights), largest);
        if (const auto& run = loaded.run) {
            std::printf("\ntraining run: epoch %d", run->epoch);
            if (run->best_val_acc >= 0.0) std::printf(", best validation accuracy %.4f", run->best_val_acc);
            if (const auto& opt = run->optimizer) {
                long long steps = 0;  // of the parameter updated most often
                size_t buffers = 0;
                for (const StateDict& p : opt->params)
                    for (const NamedArray& a : p)
                        if (a.name == "step") steps = std::max(steps, static_cast<long long>(a.value(0, 0)));
                        else ++buffers;
                std::printf(", optimizer state (step %lld, %zu buffers)", steps, buffers);
            }
            std::printf("\n");
        }
        if (!loaded.notes.empty()) std::printf("\nnotes\n");
        for (const auto& [key, value] : loaded.notes) std::printf("  %s: %s\n", key.c_str(), value.c_str());
        return 0;
    };
}

}  // namespace hebb::app
