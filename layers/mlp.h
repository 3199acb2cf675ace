// Multi-layer perceptrons described by a few strings: Sequential(Linear, act, [Dropout,] Linear, ...,
// Linear), with PyTorch's key names (0.weight, 0.bias, 2.weight, ...). training/checkpoint.h saves
// and loads them.
#pragma once

#include <string>
#include <vector>

#include "core/random.h"
#include "layers/layers.h"

namespace hebb::nn {

struct MlpSpec {
    std::vector<Eigen::Index> sizes;  // input, hidden..., output
    std::string activation = "relu";
    float dropout = 0.0f;  // after each hidden activation, when > 0

    std::string arch() const;  // "784-256-128-10"
    // Weights and biases, sum of (in + 1) x out over the layers; a double, so a lying arch cannot
    // overflow it.
    double parameter_count() const;
};

std::vector<Eigen::Index> parse_arch(const std::string& arch);  // "784-256-10" -> {784, 256, 10}

// Checks the weights' memory (4 bytes each) against max_memory_bytes (io/file.h) before allocating.
std::shared_ptr<Sequential> mlp(const MlpSpec& spec, Generator& gen = default_generator());

}  // namespace hebb::nn
