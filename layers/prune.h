// Pruning: a sparse MLP, or the dense layers of a conv net, become smaller dense ones that compute
// the same function.
//
// Every weight with |w| < threshold is zeroed (biases are kept). Then a hidden neuron left with no
// incoming weight outputs the constant act(b_j): that constant is folded into the next layer's
// bias (b_next += W_next[:, j] * act(b_j)) and the neuron removed; a hidden neuron left with no
// outgoing weight is removed outright. Removing a neuron can strip another of its last weight, so
// this repeats until nothing changes. Inputs and outputs are never removed. The result is exactly
// the thresholded network (up to float rounding of the folded sums), in eval mode: in training,
// dropout would have dropped the folded constants too.
#pragma once

#include <memory>
#include <vector>

#include "layers/mlp.h"
#include "layers/model_spec.h"

namespace hebb::nn {

struct PruneStats {
    long weights_total = 0;   // dense weights of the model before (sum of in * out)
    // The layers before the first Linear (a conv net's convs), kept as they are: their weights and
    // biases, and their FLOPs per sample (2 per multiply-add); 0 for an MLP.
    long fixed_params = 0, fixed_flops = 0;
    long nonzero_before = 0;  // weights != 0 before thresholding
    long kept = 0;            // weights with |w| >= threshold and w != 0, after thresholding
    long nonzero_after = 0;   // weights != 0 in the pruned model (kept, minus those of removed neurons)
    long params_before = 0, params_after = 0;  // weights + biases of the dense layers
    long flops_before = 0, flops_after = 0;    // per sample: 2 * sum of in * out (the dense layers)
    std::vector<Eigen::Index> neurons_before, neurons_after;  // per dense layer, input and output included
};

struct PrunedMlp {
    MlpSpec spec;  // the smaller architecture, same activation and dropout
    std::shared_ptr<Sequential> model;
    PruneStats stats;
};

// `model` must be what mlp(spec) builds: Linear, act, [Dropout,] Linear, ..., Linear, with the
// spec's sizes and activation; otherwise this throws, naming what differs. threshold >= 0; at 0
// only weights that are exactly 0 count as absent. The source model is left untouched; the
// result is in the source's train/eval mode.
PrunedMlp prune_mlp(const MlpSpec& spec, const Sequential& model, float threshold);

struct PrunedModel {
    ModelSpec spec;  // the smaller model
    std::shared_ptr<Sequential> model;
    PruneStats stats;
};

// prune_mlp for a model of any spec: an MLP as above; a conv net keeps its layers before the first
// Linear as they are (the flattened conv features are the dense part's inputs, never removed) and
// prunes the Linear layers after them, which must follow mlp()'s layout (Linear, act, [Dropout,]
// Linear, ..., Linear). The spec names the smaller model: its linear sizes change, nothing else.
PrunedModel prune(const ModelSpec& spec, const Sequential& model, float threshold);

// Structured pruning: keeps round(fraction * n) (at least 1) of the n neurons of every hidden layer of
// the dense part (the outputs of every Linear but the last: never the raw input, a conv net's
// flattened features or its conv channels, nor the logits), those whose outgoing weights have the
// largest L2 norm, ||W_next[:, j]||_2 with W_next the next Linear's (out x in) weight; on ties the
// lower index is kept. The scores all come from the source's weights. On a copy, the outgoing
// columns of the other neurons are zeroed, and prune(spec, copy, 0) removes them (and any neuron
// that this leaves without weights): the result computes what the source does with those columns
// zeroed. fraction is in (0, 1]; 1 is prune(spec, model, 0). In the stats, nonzero_before counts
// the source's weights, kept those left after zeroing.
PrunedModel prune_neurons(const ModelSpec& spec, const Sequential& model, double fraction);

// The threshold that keeps the largest `fraction` (in [0, 1]) of all dense weights by |w|:
// round(fraction * N) of them, more when several share the cut-off magnitude. 0 for fraction 1;
// just above the largest |w| for a fraction that keeps none.
float threshold_for_fraction(const Sequential& model, double fraction);

// The largest |w| over all dense weights (biases aside): what relative thresholds are fractions of.
float largest_dense_weight(const Sequential& model);

// Weights + biases and FLOPs per sample (2 * sum of in * out) of the dense MLP with these sizes.
long dense_parameters(const std::vector<Eigen::Index>& sizes);
long dense_flops(const std::vector<Eigen::Index>& sizes);

}  // namespace hebb::nn
