// What a model does on a dataset: loss, accuracy, per-class accuracy, confusion matrix.
#pragma once

#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "layers/module.h"

namespace hebb::training {

struct Evaluation {
    double loss = 0.0;      // mean cross-entropy
    double accuracy = 0.0;  // fraction in [0, 1]
    std::vector<double> per_class;          // accuracy of each true class
    std::vector<std::vector<long>> confusion;  // [true][predicted] counts
    long n = 0;
};

// In eval mode, without a graph, in batches of `batch_size`.
Evaluation evaluate(nn::Module& model, const data::TensorDataset& d, Eigen::Index batch_size = 1000);

// Number of rows whose largest logit is at the label (the first largest on a tie, as argmax). logits
// (B x C), B labels.
long count_correct(const Matrix& logits, std::span<const int> labels);
// The fraction of a batch's rows whose largest logit is at the label, in [0, 1]: PyTorch's
// (logits.argmax(1) == labels).float().mean(). logits (B x C), B > 0 labels.
double accuracy(const Tensor& logits, std::span<const int> labels);

// Markdown: per-class accuracy and the confusion matrix, classes named when names are known.
std::string evaluation_markdown(const Evaluation& e, const std::vector<std::string>& class_names);

}  // namespace hebb::training
