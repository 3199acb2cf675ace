// A checkpoint: one safetensors file holding a model (an MLP or a conv net), everything needed to
// rebuild it, and, for a training run, where the run stands. This module alone knows the file's layout:
//   arrays    the model's state_dict under PyTorch's keys and shapes (0.weight, 0.bias, 2.weight,
//             ...; a conv weight 4-D), so a file written from the same PyTorch Sequential with these
//             metadata keys loads as it is, and the other way round; with a run,
//             "optim.state.<parameter>.<buffer>" (the optimizer's state: "step", the parameter's
//             own step count, and its buffers); a file from before per-parameter counts holds one
//             "optim.step" instead, read as the step of every parameter with state
//   metadata  "format": "hebb", "format_version": "1", "arch" (the model spec as given:
//             "784-256-128-10", "lenet5", "1x28x28:conv6k5-..."), "activation", "dropout" (when
//             used); with a run, "epoch", "best_val_acc" and "rng" (the generator) in the file;
//             every other key is a note: hebb train writes "data" (its --data) and "inputs" (how
//             features were made from the file: "byte/255" or "as read"), hebb prune "pruned_from"
//             and the threshold.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/random.h"
#include "core/state_dict.h"
#include "layers/model_spec.h"
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
    nn::ModelSpec spec;
    std::shared_ptr<nn::Sequential> model;
    ImageShape input, output;  // one sample's shapes going in and out (N x 1 x 1 for N features)
    std::optional<RunState> run;
    Metadata notes;  // further metadata, such as where a pruned model came from
};

// Written through a temporary file and a rename: a crash leaves the old file or the new one.
void save_checkpoint(const std::string& path, const nn::ModelSpec& spec, const nn::Module& model,
                     const std::optional<RunState>& run = {}, const Metadata& notes = {});

// Rebuilds the model from the metadata alone and loads its weights strictly; throws an Error naming
// the file and what is wrong: any metadata field out of range (an unknown activation, a malformed
// arch, dropout outside [0, 1), epoch outside [0, max_epochs], best_val_acc neither -1 nor in
// [0, 1], an rng that is no generator state), or a NaN or infinity in any array, weights and
// optimizer state alike (naming the array, the count and the first one's position). A model needing
// more weights than the file holds is refused before it is allocated, so a lying arch cannot make
// hebb allocate more than the file holds.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace hebb::training
