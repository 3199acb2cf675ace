// hebb inspect: what a checkpoint holds: architecture, parameters, weight statistics, metadata.
#include <cstdio>
#include <iostream>

#include "apps/commands.h"
#include "core/hebb.h"

namespace hebb::app {

Command add_inspect(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("inspect", "Describe a checkpoint");
    cmd->add_option("checkpoint", *path, "Checkpoint (.safetensors)")->required()->check(CLI::ExistingFile);
    return [path] {
        const nn::LoadedMlp loaded = nn::load_mlp(*path);
        std::printf("%s\narch %s, activation %s\n\n", path->c_str(), loaded.spec.arch().c_str(),
                    loaded.spec.activation.c_str());
        std::cout << *loaded.model << "\n\n";
        long total = 0;
        std::printf("%-12s %-12s %10s %10s %10s %10s %10s %12s\n", "parameter", "shape", "mean", "std", "min",
                    "max", "max |w|", "|w|<1e-3max");
        for (const auto& [name, t] : loaded.model->named_parameters()) {
            const Matrix& w = t.value();
            total += static_cast<long>(w.size());
            const double mean = w.mean();
            const double std = std::sqrt((w.array() - static_cast<float>(mean)).square().mean());
            const float largest = w.cwiseAbs().maxCoeff();
            const double small = (w.array().abs() < 1e-3f * largest).cast<double>().mean();
            std::printf("%-12s %-12s %10.4f %10.4f %10.4f %10.4f %10.4f %11.2f%%\n", name.c_str(), t.shape().c_str(),
                        mean, std, w.minCoeff(), w.maxCoeff(), largest, 100 * small);
        }
        // Sparsity over all dense weights together (biases aside), against the largest of them.
        float largest = 0.0f;
        long weights = 0, small = 0;
        for (const nn::Linear* layer : nn::linear_layers(*loaded.model)) {
            largest = std::max(largest, layer->weight.value().cwiseAbs().maxCoeff());
            weights += static_cast<long>(layer->weight.value().size());
        }
        for (const nn::Linear* layer : nn::linear_layers(*loaded.model))
            small += (layer->weight.value().array().abs() < 1e-3f * largest).count();
        std::printf("\n%ld parameters; %ld dense weights, %.2f%% of them below 1e-3 of the largest |w| (%.4g)\n\nmetadata\n",
                    total, weights, 100.0 * static_cast<double>(small) / static_cast<double>(weights), largest);
        for (const auto& [key, value] : loaded.metadata)
            std::printf("  %s: %s\n", key.c_str(), key == "rng" ? "(generator state)" : value.c_str());
        if (!loaded.extra.empty()) std::printf("\n%zu optimizer arrays (optim.*)\n", loaded.extra.size());
        return 0;
    };
}

}  // namespace hebb::app
