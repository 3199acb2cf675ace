// One string for a model, an MLP or a conv net, and the network it builds:
//
//   spec   := mlp | "lenet5" | shape ":" layers
//   mlp    := N ("-" N)+                       an MLP as nn::mlp builds it, e.g. 784-256-128-10; its
//                                              activation and dropout come from build_model's arguments
//   shape  := C "x" H "x" W                    the input images, e.g. 1x28x28 or 3x32x32
//   layers := layer ("-" layer)*
//   layer  := "conv" OUT "k" K ["s" S] ["p" P]  Conv2d(channels in, OUT, K, stride S = 1, padding P = 0)
//           | "maxpool" K ["s" S]              MaxPool2d(K, stride S = K)
//           | "avgpool" K ["s" S]              AvgPool2d(K, stride S = K)
//           | "relu" | "leaky_relu" | "tanh" | "sigmoid" | "gelu"
//           | "dropout" P                      Dropout(P), P in [0, 1), e.g. dropout0.5
//           | "flatten"                        Flatten(): C x H x W images -> C*H*W features
//           | "linear" N                       Linear(features in, N); needs features (a flatten first)
//
// Layers are joined by "-" as an MLP's sizes are, so a spec holds no comma: commands take lists of
// specs separated by commas. Numbers are decimal: channels and features 1 to 2^20; image sides, kernels and strides 1 to 2^16;
// padding 0 to 2^16. "lenet5" is the BEAN paper's reference LeNet-5, lenet5_spec below. Examples:
//   784-256-128-10
//   1x28x28:conv6k5p2-relu-maxpool2-conv16k5-relu-maxpool2-flatten-linear120-relu-linear84-relu-linear10
//   3x32x32:conv32k3p1-relu-conv32k3s2p1-relu-avgpool2-flatten-dropout0.25-linear10
// Each layer token gives one module of the Sequential, so a spec's n-th token has key n - 1 (PyTorch's
// nn.Sequential names: 0.weight, 0.bias, 3.weight, ...).
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "layers/conv.h"
#include "layers/layers.h"
#include "layers/mlp.h"

namespace hebb::nn {

inline constexpr const char* lenet5_spec =
    "1x28x28:conv6k5p2-relu-maxpool2-conv16k5-relu-maxpool2-flatten-linear120-relu-linear84-relu-linear10";

// A model as a command line or a checkpoint names it.
struct ModelSpec {
    std::string arch;                 // as given: "784-256-10", "lenet5", "1x28x28:conv6k5-..."
    std::string activation = "relu";  // an MLP's hidden activation; a conv spec names its own
    float dropout = 0.0f;             // an MLP's, after each hidden activation; a conv spec names its own
};

// An MLP's ModelSpec.
ModelSpec model_spec(const MlpSpec& mlp);

// A built network with the shapes of one sample going in and out; an MLP's input is N x 1 x 1.
struct Model {
    std::shared_ptr<Sequential> net;
    ImageShape input;
    ImageShape output;
};

// True when `spec` is meant as an MLP (sizes joined by '-', no "C x H x W:" input), well formed or
// not: build_model then reports parse_arch's error for a malformed one ("784-x-10").
bool is_mlp_spec(const std::string& spec);

// A conv spec's parts, "lenet5" expanded: "1x28x28:conv6k5-relu" -> {"1x28x28", {"conv6k5", "relu"}},
// token n - 1 being module n - 1's; and back. Throws, naming the spec, when there is no "C x H x W:".
struct ConvSpec {
    std::string input;
    std::vector<std::string> layers;
    std::string str() const;
};
ConvSpec split_conv_spec(const std::string& arch);

// The spec with dropout p after each hidden activation of its dense part: an MLP's dropout, or for
// a conv net "dropout<p>" after each activation that follows a linear layer (none in the convs).
ModelSpec with_dropout(const ModelSpec& spec, float p);

// Builds the network a spec describes. An MLP's arch gives exactly nn::mlp(MlpSpec{parse_arch(arch),
// activation, dropout}, gen). A conv spec names its own activations and dropout, so `activation` and
// `dropout` must keep their defaults with it; each image layer is told its input shape (as
// nn::set_input_shape does). Before allocating the weights, checks their memory (io/file.h's
// check_memory) and that they are at most `max_parameters` weights and biases (a checkpoint gives
// what its file holds, so a lying arch cannot make hebb allocate more). Throws hebb::Error naming the
// spec, and the token or layer with the shapes where one is malformed, out of range or does not fit
// its input.
Model build_model(const ModelSpec& spec, Generator& gen = default_generator(),
                  double max_parameters = std::numeric_limits<double>::infinity());

}  // namespace hebb::nn
