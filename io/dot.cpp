#include "io/dot.h"

#include <unordered_map>

namespace hebb {

namespace {

// A two-line node label: `title` (quotes and backslashes escaped) over the value's shape.
std::string label(const std::string& title, const Matrix& value) {
    std::string out = "\"";
    for (char c : title) out += c == '"' || c == '\\' ? std::string{'\\', c} : std::string{c};
    return out + "\\n" + shape_str(value) + "\"";
}

}  // namespace

std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& names) {
    std::unordered_map<const Node*, std::string> name_of;
    for (const auto& [name, t] : names) name_of.emplace(t.node(), name);
    // Every node reachable through parents, numbered as first reached (an explicit stack, so a deep
    // graph cannot overflow the call stack).
    std::unordered_map<const Node*, size_t> id{{root.node(), 0}};
    std::vector<const Node*> order{root.node()}, stack{root.node()};
    while (!stack.empty()) {
        const Node* node = stack.back();
        stack.pop_back();
        for (const auto& p : node->parents)
            if (id.emplace(p.get(), order.size()).second) {
                order.push_back(p.get());
                stack.push_back(p.get());
            }
    }
    std::string out = "digraph {\n";
    for (size_t i = 0; i < order.size(); ++i) {
        const Node* node = order[i];
        const auto named = name_of.find(node);
        out += "  n" + std::to_string(i) + " [label=";
        if (!node->parents.empty())
            out += label(node->op, node->value) + "];\n";
        else if (named != name_of.end() || node->requires_grad)
            out += label(named != name_of.end() ? named->second : "parameter", node->value) +
                   ", shape=box, style=filled, fillcolor=lightblue];\n";
        else
            out += label("input", node->value) + ", shape=box];\n";
    }
    for (const Node* node : order)
        for (const auto& p : node->parents)
            out += "  n" + std::to_string(id[p.get()]) + " -> n" + std::to_string(id[node]) + ";\n";
    return out + "}\n";
}

}  // namespace hebb
