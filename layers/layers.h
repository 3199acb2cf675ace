// The layers: Linear, Sequential, activations and Dropout, with PyTorch's names and defaults.
#pragma once

#include <initializer_list>

#include "core/random.h"
#include "layers/module.h"

namespace hebb::nn {

// A (rows x cols) parameter uniform in [-bound, bound): PyTorch's default initialisation of Linear
// and Conv2d, with bound = 1/sqrt(fan_in).
Tensor uniform_parameter(Eigen::Index rows, Eigen::Index cols, float bound, Generator& gen);

// y = x W^T + b with x (B x in), weight (out x in), bias (1 x out). Initialised as PyTorch does:
// weight and bias uniform in +-1/sqrt(in).
class Linear : public Module {
public:
    Linear(Eigen::Index in_features, Eigen::Index out_features, bool bias = true,
           Generator& gen = default_generator());
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "Linear"; }
    std::string extra_repr() const override;

    // The input of the last forward pass, still on the tape (B x in): a regularizer reads the
    // activations that entered this layer here, and its gradient flows back through them.
    const Tensor& input() const { return input_; }
    // relu(forward(x)) as one op (linear_relu): Sequential runs a Linear and the ReLU after it so.
    Tensor forward_relu(const Tensor& x);

    Tensor weight;
    Tensor bias;  // undefined when built with bias = false

private:
    Tensor input_;
};

class Sequential : public Module {
public:
    Sequential() = default;
    Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
    void push_back(std::shared_ptr<Module> module);  // named "0", "1", ... in order
    Tensor forward(const Tensor& x) override;
    size_t size() const { return children().size(); }
    Module& operator[](size_t i) const { return *children().at(i).second; }
    std::string name() const override { return "Sequential"; }
};

class ReLU : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "ReLU"; }
};

class LeakyReLU : public Module {
public:
    explicit LeakyReLU(float negative_slope = 0.01f) : negative_slope_(negative_slope) {}
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "LeakyReLU"; }
    std::string extra_repr() const override;

private:
    float negative_slope_;
};

class Tanh : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "Tanh"; }
};

class Sigmoid : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "Sigmoid"; }
};

class GELU : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "GELU"; }
    std::string extra_repr() const override { return "approximate='none'"; }
};

// In training, zeroes each entry with probability p and scales the rest by 1 / (1 - p);
// in eval mode it passes its input through.
class Dropout : public Module {
public:
    explicit Dropout(float p = 0.5f, Generator& gen = default_generator());
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "Dropout"; }
    std::string extra_repr() const override;
    // Data parallelism (set_dropout_shard): the input is rows [first, first + rows) of a global
    // batch of `total` rows. The masks of the whole batch are drawn, and the input's rows kept, so
    // every rank masks its samples as one process would; total 0: the input is the whole batch.
    void set_shard(Eigen::Index first, Eigen::Index total) { first_ = first, total_ = total; }

private:
    float p_;
    Generator* gen_;
    Eigen::Index first_ = 0, total_ = 0;
};

// Dropout::set_shard on every Dropout inside `model`.
void set_dropout_shard(Module& model, Eigen::Index first, Eigen::Index total);

// Every Linear layer inside `model` (itself included), in forward order.
std::vector<const Linear*> linear_layers(const Module& model);
// The same, appended to `out` (whose storage a caller can keep from one step to the next).
void append_linear_layers(const Module& model, std::vector<const Linear*>& out);

// The Linear layers a spec selects in `model`, by index from 0 in forward order. One grammar for
// every caller (BEAN's layers, --bean-layers, hebb assemblies --layers):
//   "hidden"  every Linear whose input is not the raw data: all but the first when the model begins
//             with a Linear (an MLP), all of them when it begins otherwise (a conv net's fc layers)
//   "all"     every Linear
//   "0,2"     a comma list of decimal indices (no spaces or signs), each below count; an index
//             named twice is refused (it is a typo more often than a wish)
// Returns the indices ascending. Throws, naming the spec, on any other form; naming the count too
// when an index is out of range or the spec selects no layer (as "hidden" with one Linear layer).
std::vector<size_t> select_linear_layers(const std::string& spec, const Module& model);
// Throws as select_linear_layers does when the spec is malformed, whatever the model: a setting
// can be checked before the model exists.
void check_linear_layer_spec(const std::string& spec);

// A float as a printed module shows it, in 6 significant digits: 0.5, 0.01.
std::string format_float(float v);

// An activation module by its lowercase name: relu, leaky_relu, tanh, sigmoid or gelu.
std::shared_ptr<Module> make_activation(const std::string& name);

}  // namespace hebb::nn
