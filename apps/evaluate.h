// What the hebb command reports about a model on a dataset.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/hebb.h"

namespace hebb::app {

struct Evaluation {
    double loss = 0.0;      // mean cross-entropy
    double accuracy = 0.0;  // fraction in [0, 1]
    std::vector<double> per_class;          // accuracy of each true class
    std::vector<std::vector<long>> confusion;  // [true][predicted] counts
    long n = 0;
};

// In eval mode, without a graph, in batches of `batch_size`.
Evaluation evaluate(nn::Module& model, const data::TensorDataset& d, Eigen::Index batch_size = 1000);

// Means over one epoch's samples so far: task loss, regularizer term, training accuracy.
struct EpochStats {
    double loss = 0.0, reg_loss = 0.0, accuracy = 0.0;
    long samples = 0, steps = 0;
};

// One pass over the loader in training mode: for each batch, loss = cross-entropy + reg(model),
// backward, step. `after_step` sees the running means. A non-finite loss throws, naming the epoch
// and step, before the step can spoil the weights.
EpochStats train_epoch(nn::Module& model, data::DataLoader& loader, optim::Optimizer& opt,
                       const reg::Regularizer* reg, int epoch,
                       const std::function<void(const EpochStats&)>& after_step = {});

// Number of rows whose largest logit is at the label.
long count_correct(const Matrix& logits, std::span<const int> labels);

// Markdown: per-class accuracy and the confusion matrix, classes named when names are known.
std::string evaluation_markdown(const Evaluation& e, const std::vector<std::string>& class_names);

}  // namespace hebb::app
