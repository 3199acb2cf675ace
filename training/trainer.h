// The training loop, written once: `hebb train`, `hebb fewshot`, `hebb bench` and the tests all
// step through it.
#pragma once

#include <functional>

#include "datasets/loader.h"
#include "layers/module.h"
#include "optim/optimizer.h"
#include "regularizers/regularizer.h"
#include "training/data_parallel.h"

namespace hebb::training {

struct StepResult {
    float loss = 0.0f;      // the batch's mean cross-entropy
    float reg_loss = 0.0f;  // the regularizer's term (0 without one)
    long correct = 0;       // rows whose largest logit is at the label
};

// One step on a batch: zero_grad, forward, loss = cross-entropy + reg(model), backward, optimizer
// step. A loss that is not finite throws before the step can spoil the weights; a gradient that
// is not finite throws from the optimizer's own pass (see Optimizer::step). With `ranks`, the batch
// is this rank's part of a global batch (DataLoader::set_shard): its loss is weighted by its share
// of the rows, and the gradients and the result are the global batch's, summed over the ranks.
StepResult train_step(nn::Module& model, const data::Batch& batch, optim::Optimizer& opt,
                      const reg::Regularizer* reg = nullptr, DataParallel* ranks = nullptr);

// Means over one epoch's samples so far: task loss, regularizer term, training accuracy.
struct EpochStats {
    double loss = 0.0, reg_loss = 0.0, accuracy = 0.0;
    long samples = 0, steps = 0;
};

// One pass over the loader in training mode, a train_step per batch; `after_step` sees the running
// means. An error names the epoch and step.
EpochStats train_epoch(nn::Module& model, data::DataLoader& loader, optim::Optimizer& opt,
                       const reg::Regularizer* reg, int epoch,
                       const std::function<void(const EpochStats&)>& after_step = {}, DataParallel* ranks = nullptr);

}  // namespace hebb::training
