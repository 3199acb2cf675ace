// Modules own parameters and sub-modules under names, as in PyTorch: a parameter "weight" of the
// child registered as "0" is "0.weight" in named_parameters() and state_dict().
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/state_dict.h"
#include "core/tensor.h"

namespace hebb::nn {

class Module {
public:
    virtual ~Module() = default;

    virtual Tensor forward(const Tensor& x) = 0;
    Tensor operator()(const Tensor& x) { return forward(x); }

    std::vector<Tensor> parameters() const;
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
        return children_;
    }
    void zero_grad();

    void train(bool on = true);  // for this module and all below it
    void eval() { train(false); }
    bool is_training() const { return training_; }

    StateDict state_dict() const;  // copies of every parameter, by dotted name
    // Copies values in by name. The error lists missing keys (strict only), unexpected keys
    // (strict only) and keys whose shapes differ (always): the first 10 of each, then "... and N more".
    void load_state_dict(const StateDict& state, bool strict = true);

    virtual std::string name() const = 0;                    // "Linear"
    virtual std::string extra_repr() const { return {}; }  // "in_features=2, ..."

protected:
    // `shape` is the parameter's shape on disk, PyTorch's (core/state_dict.h), when it is not the
    // matrix's own (rows, cols): (n) for a 1 x n bias, (out, C, k, k) for a conv weight. The handle
    // returned shares the parameter's node: keep it as a member (weight = register_parameter(...)).
    [[nodiscard]] Tensor register_parameter(std::string name, Tensor value, Shape shape = {});
    template <class M>
    std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
        children_.emplace_back(std::move(name), module);
        return module;
    }

private:
    struct Parameter {
        std::string name;
        Tensor value;
        Shape shape;
    };
    void collect(const std::string& prefix, std::vector<std::pair<std::string, const Parameter*>>& out) const;

    std::vector<Parameter> params_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

// PyTorch's printed form: Sequential(\n  (0): Linear(in_features=784, ...)\n ...)
std::ostream& operator<<(std::ostream& out, const Module& m);

}  // namespace hebb::nn
