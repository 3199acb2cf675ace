#include "layers/module.h"

#include <ostream>
#include <sstream>
#include <unordered_map>

namespace hebb::nn {

Tensor Module::register_parameter(std::string name, Tensor value, Shape shape) {
    if (shape.empty()) shape = matrix_shape(value.value());
    HEBB_CHECK(holds(value.value(), shape), "register_parameter: ", name, " ", value.shape(), " cannot be held as ",
               shape_str(shape));
    value.requires_grad_(true);
    params_.push_back({std::move(name), std::move(value), std::move(shape)});
    return params_.back().value;
}

void Module::collect(const std::string& prefix,
                     std::vector<std::pair<std::string, const Parameter*>>& out) const {
    for (const Parameter& p : params_) out.emplace_back(prefix + p.name, &p);
    for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
    std::vector<std::pair<std::string, const Parameter*>> all;
    collect("", all);
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& [name, p] : all) out.emplace_back(name, p->value);
    return out;
}

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> out;
    for (auto& [name, t] : named_parameters()) out.push_back(t);
    return out;
}

void Module::zero_grad() {
    for (Tensor& t : parameters()) t.zero_grad();
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
}

StateDict Module::state_dict() const {
    std::vector<std::pair<std::string, const Parameter*>> all;
    collect("", all);
    StateDict out;
    for (const auto& [name, p] : all) out.push_back({name, p->value.value(), p->shape});
    return out;
}

namespace {
// " a b c ... and 7 more": the first 10 entries, each cut to 100 characters. A checkpoint can hold any
// number of keys of any length, and the error message must stay readable.
std::string listing(const std::vector<std::string>& entries) {
    constexpr size_t max_entries = 10, max_length = 100;
    std::string out;
    for (size_t i = 0; i < entries.size() && i < max_entries; ++i)
        out += " " + (entries[i].size() > max_length ? entries[i].substr(0, max_length) + "..." : entries[i]);
    if (entries.size() > max_entries) out += " ... and " + std::to_string(entries.size() - max_entries) + " more";
    return out;
}
}  // namespace

void Module::load_state_dict(const StateDict& state, bool strict) {
    std::unordered_map<std::string, const NamedArray*> given;
    for (const NamedArray& a : state) given[a.name] = &a;
    std::vector<std::pair<std::string, const Parameter*>> all;
    collect("", all);

    std::vector<std::string> missing, unexpected, mismatched;
    std::vector<std::pair<Tensor, const Matrix*>> loads;
    for (const auto& [name, p] : all) {
        auto it = given.find(name);
        if (it == given.end()) {
            missing.push_back(name);
            continue;
        }
        const NamedArray& want = *it->second;
        if (!holds(want.value, want.shape))
            mismatched.push_back(name + " " + shape_str(want.value) + " held as " + shape_str(want.shape));
        else if (want.shape != p->shape)
            mismatched.push_back(name + " " + shape_str(want.shape) + " for " + shape_str(p->shape));
        loads.emplace_back(p->value, &want.value);
        given.erase(it);
    }
    for (const NamedArray& a : state)
        if (given.count(a.name)) unexpected.push_back(a.name);

    std::string problems;
    if (strict && !missing.empty()) problems += "\n  missing keys:" + listing(missing);
    if (strict && !unexpected.empty()) problems += "\n  unexpected keys:" + listing(unexpected);
    if (!mismatched.empty()) problems += "\n  mis-shaped keys:" + listing(mismatched);
    HEBB_CHECK(problems.empty(), "load_state_dict: cannot load into ", name(), ":", problems);
    for (auto& [param, value] : loads) param.value() = *value;
}

namespace {
void print(std::ostream& out, const Module& m, const std::string& indent) {
    out << m.name() << "(" << m.extra_repr();
    if (m.children().empty()) {
        out << ")";
        return;
    }
    out << "\n";
    for (const auto& [name, child] : m.children()) {
        out << indent << "  (" << name << "): ";
        print(out, *child, indent + "  ");
        out << "\n";
    }
    out << indent << ")";
}
}  // namespace

std::ostream& operator<<(std::ostream& out, const Module& m) {
    print(out, m, "");
    return out;
}

}  // namespace hebb::nn
