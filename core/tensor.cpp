#include "core/tensor.h"

#include <iomanip>
#include <ostream>
#include <unordered_set>

namespace hebb {

namespace {
thread_local bool grad_mode = true;
bool anomaly_mode = false;
}

std::string shape_str(const Matrix& m) {
    return "(" + std::to_string(m.rows()) + "x" + std::to_string(m.cols()) + ")";
}

Matrix& Node::grad_buffer() {
    if (grad.size() == 0) grad = Matrix::Zero(value.rows(), value.cols());
    return grad;
}

Node::~Node() {
    // Plain member destruction would recurse once per ancestor; instead, take over the parents that
    // only this node holds and release them one by one.
    std::vector<std::shared_ptr<Node>> pending = std::move(parents);
    while (!pending.empty()) {
        std::shared_ptr<Node> node = std::move(pending.back());
        pending.pop_back();
        if (node.use_count() == 1)
            for (auto& p : node->parents) pending.push_back(std::move(p));
    }
}

Tensor::Tensor(Matrix value, bool requires_grad) : node_(std::make_shared<Node>()) {
    node_->value = std::move(value);
    node_->requires_grad = requires_grad;
}

Tensor Tensor::scalar(float v) { return Tensor(Matrix::Constant(1, 1, v)); }

Tensor Tensor::zeros(Eigen::Index rows, Eigen::Index cols) {
    return Tensor(Matrix::Zero(rows, cols));
}

Tensor Tensor::from(std::initializer_list<std::initializer_list<float>> rows, bool requires_grad) {
    const auto cols = static_cast<Eigen::Index>(rows.size() ? rows.begin()->size() : 0);
    Matrix m(static_cast<Eigen::Index>(rows.size()), cols);
    Eigen::Index r = 0;
    for (const auto& row : rows) {
        HEBB_CHECK(static_cast<Eigen::Index>(row.size()) == cols, "Tensor::from: row ", r,
                   " has ", row.size(), " values, the first row has ", cols);
        Eigen::Index c = 0;
        for (float v : row) m(r, c++) = v;
        ++r;
    }
    return Tensor(std::move(m), requires_grad);
}

Tensor& Tensor::requires_grad_(bool on) {
    HEBB_CHECK(node_->parents.empty(), "requires_grad_: only a leaf tensor can change it (this is ",
               node_->op, ")");
    node_->requires_grad = on;
    return *this;
}

void Tensor::backward() const {
    HEBB_CHECK(node_->value.size() == 1, "backward: needs a 1x1 tensor, got ", shape());
    HEBB_CHECK(node_->requires_grad, "backward: this tensor does not require grad");

    // Iterative depth-first search: `order` ends with every node after all of its parents.
    std::vector<Node*> order;
    std::unordered_set<Node*> seen{node_.get()};
    std::vector<std::pair<Node*, size_t>> stack{{node_.get(), 0}};
    while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next < node->parents.size()) {
            Node* parent = node->parents[next++].get();
            if (parent->requires_grad && seen.insert(parent).second) stack.push_back({parent, 0});
        } else {
            order.push_back(node);
            stack.pop_back();
        }
    }
    // Gradients of leaves accumulate across calls; those of intermediate nodes start from zero.
    for (Node* node : order)
        if (node->backward) node->grad_buffer().setZero();
    node_->grad_buffer().array() += 1.0f;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node& node = **it;
        if (!node.backward) continue;
        node.backward(node);
        if (!anomaly_mode) continue;
        for (const auto& p : node.parents)
            HEBB_CHECK(p->grad.size() == 0 || p->grad.allFinite(), "anomaly: the backward of ", node.op,
                       " ", shape_str(node.value), " sent a non-finite gradient to its ", p->op, " input ",
                       shape_str(p->value));
    }
}

Tensor Tensor::detach() const { return Tensor(node_->value); }

float Tensor::item() const {
    HEBB_CHECK(node_->value.size() == 1, "item: needs a 1x1 tensor, got ", shape());
    return node_->value(0, 0);
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
    if (!t.defined()) return out << "tensor(undefined)";
    const Matrix& m = t.value();
    const auto flags = out.flags();
    out << "tensor([";
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        out << (r ? ",\n        [" : "[");
        for (Eigen::Index c = 0; c < m.cols(); ++c)
            out << (c ? ", " : "") << std::fixed << std::setprecision(4) << m(r, c);
        out << "]";
    }
    out << "]";
    if (t.node()->backward) out << ", grad_fn=<" << t.op() << ">";
    else if (t.requires_grad()) out << ", requires_grad=True";
    out.flags(flags);
    return out << ")";
}

void set_detect_anomaly(bool on) { anomaly_mode = on; }
bool detect_anomaly() { return anomaly_mode; }

NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }
bool grad_enabled() { return grad_mode; }

Tensor make_result(Matrix value, const char* op, std::vector<Tensor> parents,
                   std::function<void(Node&)> backward) {
    if (anomaly_mode && !value.allFinite()) {
        std::string inputs;
        for (const Tensor& p : parents) inputs += (inputs.empty() ? "" : ", ") + p.shape();
        fail("anomaly: ", op, " of ", inputs, " produced a non-finite value");
    }
    Tensor out(std::move(value));
    out.node()->op = op;
    if (!grad_mode) return out;
    bool any = false;
    for (const Tensor& p : parents) any = any || p.requires_grad();
    if (!any) return out;
    Node& node = *out.node();
    node.requires_grad = true;
    node.backward = std::move(backward);
    for (Tensor& p : parents) node.parents.push_back(p.node_ptr());
    return out;
}

}  // namespace hebb
