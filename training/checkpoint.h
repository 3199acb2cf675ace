// A checkpoint: one safetensors file holding an MLP, everything needed to rebuild it, and, for a
// training run, where the run stands. This module alone knows the file's layout:
//   arrays    the model's state_dict under PyTorch's keys (0.weight, 0.bias, 2.weight, ...), so a
//             file written from the same PyTorch Sequential with these metadata keys loads as it
//             is, and the other way round; with a run, "optim.step" and
//             "optim.state.<parameter>.<buffer>" (the optimizer's state)
//   metadata  "format": "hebb", "format_version": "1", "arch" ("784-256-128-10"), "activation",
//             "dropout" (when used); with a run, "epoch", "best_val_acc" and "rng" (the generator)
//             in the file.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/random.h"
#include "core/state_dict.h"
#include "layers/mlp.h"
#include "optim/optimizer.h"

namespace hebb::training {

// The most epochs a run may have: hebb train's --epochs and a checkpoint's epoch are checked against it.
inline constexpr int max_epochs = 1'000'000;

// Where a training run stands after an epoch: enough to continue it bit for bit.
struct RunState {
    int epoch = 0;                // epochs done
    double best_val_acc = -1.0;   // the best validation accuracy so far; -1 without validation
    std::string generator;        // Generator::state() after the epoch (dropout masks draw from it)
    std::optional<optim::OptimizerState> optimizer;  // none in a best-validation snapshot
};

struct Checkpoint {
    nn::MlpSpec spec;
    std::shared_ptr<nn::Sequential> model;
    std::optional<RunState> run;
    Metadata notes;  // further metadata, such as where a pruned model came from
};

// Written through a temporary file and a rename: a crash leaves the old file or the new one.
void save_checkpoint(const std::string& path, const nn::MlpSpec& spec, const nn::Module& model,
                     const std::optional<RunState>& run = {}, const Metadata& notes = {});

// Rebuilds the model from the metadata alone and loads its weights strictly; throws an Error naming
// the file and what is wrong: any metadata field out of range (an unknown activation, a malformed
// arch, dropout outside [0, 1), epoch outside [0, max_epochs], best_val_acc neither -1 nor in
// [0, 1], an rng that is no generator state), or a NaN or infinity in any array, weights and
// optimizer state alike (naming the array, the count and the first one's position). The arch must account for exactly the weights the file holds before
// a model of that size is built, so a lying arch cannot make hebb allocate more than the file holds.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace hebb::training
