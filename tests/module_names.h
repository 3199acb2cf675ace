// What tests read off a module: its parameters' dotted names and its PyTorch-like printed form.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "layers/module.h"

inline std::vector<std::string> names(const hebb::nn::Module& m) {
    std::vector<std::string> out;
    for (const auto& [name, t] : m.named_parameters()) out.push_back(name);
    return out;
}

inline std::string printed(const hebb::nn::Module& m) {
    std::ostringstream out;
    out << m;
    return out.str();
}
