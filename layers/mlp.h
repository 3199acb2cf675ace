// Multi-layer perceptrons described by a few strings, and their checkpoints.
//
// A checkpoint is a safetensors file whose __metadata__ holds "format": "hebb",
// "format_version": "1", "arch" ("784-256-128-10"), "activation" ("relu") and, when dropout is
// used, "dropout" ("0.5"). The model is Sequential(Linear, act, [Dropout,] Linear, ..., Linear) with
// PyTorch's key names (0.weight, 0.bias, 2.weight, ...), so a file written from the same PyTorch
// Sequential with these metadata keys loads as it is, and the other way round. Arrays named
// "optim.*" (an optimizer's state) are not the model's: they are handed back to the caller.
#pragma once

#include <string>
#include <vector>

#include "core/random.h"
#include "core/safetensors.h"
#include "layers/layers.h"

namespace hebb::nn {

struct MlpSpec {
    std::vector<Eigen::Index> sizes;  // input, hidden..., output
    std::string activation = "relu";
    float dropout = 0.0f;  // after each hidden activation, when > 0

    std::string arch() const;  // "784-256-128-10"
    Metadata metadata() const;
    static MlpSpec from_metadata(const Metadata& metadata, const std::string& source);
};

std::vector<Eigen::Index> parse_arch(const std::string& arch);  // "784-256-10" -> {784, 256, 10}

std::shared_ptr<Sequential> mlp(const MlpSpec& spec, Generator& gen = default_generator());

// The model's state_dict plus `extra` arrays, with the spec's metadata plus `extra_metadata`.
void save_mlp(const std::string& path, const MlpSpec& spec, const Module& model,
              const StateDict& extra = {}, const Metadata& extra_metadata = {});

struct LoadedMlp {
    MlpSpec spec;
    std::shared_ptr<Sequential> model;
    StateDict extra;  // the "optim.*" arrays
    Metadata metadata;
};
// Rebuilds the model from the metadata alone and loads its weights strictly.
LoadedMlp load_mlp(const std::string& path);

}  // namespace hebb::nn
