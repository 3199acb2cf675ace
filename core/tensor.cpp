#include "core/tensor.h"

#include "core/state_dict.h"

#include <atomic>
#include <unordered_map>

namespace hebb {

namespace {
thread_local bool grad_mode = true;
bool anomaly_mode = false;

// Pooled storage beyond this is freed rather than kept.
constexpr std::size_t max_pooled_bytes = std::size_t{1} << 30;

// One thread's recycled storage. Tensors held by static objects are released after the thread's
// own objects are gone, so `state` (trivially destructible, readable to the end) says whether the
// store still exists; once it is gone, storage is simply freed.
struct Store {
    std::unordered_map<Eigen::Index, std::vector<Matrix>> matrices;  // by number of entries
    std::unordered_map<std::size_t, std::vector<void*>> blocks;      // by size in bytes
    std::size_t matrix_bytes = 0;
    std::vector<std::shared_ptr<Node>> releasing;  // see Node::~Node
    bool release_running = false;
    ~Store();
};
enum class StoreState : unsigned char { unborn, alive, gone };
thread_local StoreState store_state = StoreState::unborn;

Store* store() {
    if (store_state == StoreState::gone) return nullptr;
    thread_local Store s;
    store_state = StoreState::alive;
    return &s;
}

Store::~Store() {
    store_state = StoreState::gone;
    for (auto& [bytes, list] : blocks)
        for (void* p : list) ::operator delete(p);
}
}  // namespace

std::string shape_str(const Matrix& m) {
    return "(" + std::to_string(m.rows()) + "x" + std::to_string(m.cols()) + ")";
}

void check_eigen_max_align_bytes(int program) {
    HEBB_CHECK(program == EIGEN_MAX_ALIGN_BYTES, "hebb was built with EIGEN_MAX_ALIGN_BYTES=", EIGEN_MAX_ALIGN_BYTES,
               ", this program with ", program, ": compile it with -DEIGEN_MAX_ALIGN_BYTES=", EIGEN_MAX_ALIGN_BYTES,
               " (pkg-config --cflags hebb gives it)");
}

std::string ImageShape::str() const {
    return std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
}

std::string ImageShape::values() const {
    const std::string n = std::to_string(size());
    return height == 1 && width == 1 ? n : str() + " = " + n;
}

std::string shape_str(const Shape& shape) {
    std::string out = "(";
    for (size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
    return out + ")";
}

bool holds(const Matrix& value, const Shape& shape) {
    Eigen::Index rest = 1;
    for (size_t i = 1; i < shape.size(); ++i) rest *= shape[i];
    if (shape.size() < 2) return value.rows() == 1 && value.cols() == (shape.empty() ? 1 : shape[0]);
    return value.rows() == shape[0] && value.cols() == rest;
}

namespace {
// Takes a matrix's storage into the pool (leaving it empty).
void recycle(Matrix& m) {
    Store* s = store();
    const std::size_t bytes = static_cast<std::size_t>(m.size()) * sizeof(float);
    if (s && bytes > 0 && s->matrix_bytes + bytes <= max_pooled_bytes) {
        s->matrices[m.size()].push_back(std::move(m));
        s->matrix_bytes += bytes;
    }
    m.resize(0, 0);
}
}  // namespace

Pooled::Pooled(Eigen::Index rows, Eigen::Index cols) {
    if (Store* s = store()) {
        auto it = s->matrices.find(rows * cols);
        if (it != s->matrices.end() && !it->second.empty()) {
            Matrix::operator=(std::move(it->second.back()));
            it->second.pop_back();
            s->matrix_bytes -= static_cast<std::size_t>(size()) * sizeof(float);
        }
    }
    resize(rows, cols);  // keeps the storage: the number of entries is the same
}

Pooled::~Pooled() { recycle(*this); }

Pooled filled(Eigen::Index rows, Eigen::Index cols, float value) {
    Pooled m(rows, cols);
    m.setConstant(value);
    return m;
}

void* recycled_allocate(std::size_t bytes) {
    if (Store* s = store()) {
        auto& list = s->blocks[bytes];
        if (!list.empty()) {
            void* p = list.back();
            list.pop_back();
            return p;
        }
    }
    return ::operator new(bytes);
}

void recycled_deallocate(void* p, std::size_t bytes) noexcept {
    Store* s = store();
    if (!s) return ::operator delete(p);
    try {
        s->blocks[bytes].push_back(p);
    } catch (...) {  // no memory to remember the block: free it instead
        ::operator delete(p);
    }
}

Matrix& Node::grad_buffer() {
    if (grad.size() == 0) grad = filled(value.rows(), value.cols(), 0.0f);
    return grad;
}

Node::~Node() {
    recycle(value);
    recycle(grad);
    // Plain member destruction would recurse once per ancestor. Instead the outermost release
    // takes over the parents and drops them one by one; a node freed meanwhile hands its own
    // parents to that loop rather than releasing them itself.
    Store* s = store();
    if (!s) return;  // the thread is ending: members go the plain way
    for (auto& p : parents) s->releasing.push_back(std::move(p));
    if (s->release_running) return;
    s->release_running = true;
    while (!s->releasing.empty()) {
        std::shared_ptr<Node> node = std::move(s->releasing.back());
        s->releasing.pop_back();
    }
    s->release_running = false;
}

Tensor::Tensor(Matrix value, bool requires_grad)
    : node_(std::allocate_shared<Node>(Recycling<Node>())) {
    node_->value = std::move(value);
    node_->requires_grad = requires_grad;
}

Tensor Tensor::scalar(float v) { return Tensor(filled(1, 1, v)); }

Tensor Tensor::zeros(Eigen::Index rows, Eigen::Index cols) {
    return Tensor(filled(rows, cols, 0.0f));
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
    HEBB_CHECK(checked_node().parents.empty(), "requires_grad_: only a leaf tensor can change it (this is ",
               node_->op, ")");
    node_->requires_grad = on;
    return *this;
}

const Matrix& Tensor::grad() const {
    HEBB_CHECK(has_grad(), "grad: this ", shape(), " tensor has no gradient yet: call backward() on a loss that "
               "depends on it first (has_grad() tells)");
    return node_->grad;
}

void Tensor::backward(bool retain_graph) const {
    HEBB_CHECK(value().size() == 1, "backward: needs a 1x1 tensor, got ", shape());
    HEBB_CHECK(node_->requires_grad, "backward: this tensor does not require grad");

    // Iterative depth-first search: `order` ends with every node after all of its parents. The
    // lists are kept between passes; a pass number marks the nodes seen.
    static std::atomic<std::uint64_t> passes{0};
    const std::uint64_t pass = ++passes;
    thread_local std::vector<Node*> order;
    thread_local std::vector<std::pair<Node*, size_t>> stack;
    order.clear();
    node_->visited = pass;
    stack.push_back({node_.get(), 0});
    while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next < node->parents.size()) {
            Node* parent = node->parents[next++].get();
            if (parent->requires_grad && parent->visited != pass) {
                parent->visited = pass;
                stack.push_back({parent, 0});
            }
        } else {
            order.push_back(node);
            stack.pop_back();
        }
    }
    // Gradients of leaves accumulate across calls; those of intermediate nodes start from zero
    // (empty: the first contribution allocates it).
    for (Node* node : order) {
        HEBB_CHECK(!node->spent, "backward through a graph that was already backpropagated (at its ", node->op,
                   "): call backward(true) the first time (PyTorch's retain_graph), or recompute the forward pass");
        if (node->backward) recycle(node->grad);
    }
    node_->grad_buffer().array() += 1.0f;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node& node = **it;
        if (!node.backward || node.grad.size() == 0) continue;  // a node that received nothing sends nothing
        node.backward(node);
        if (!retain_graph) {  // as PyTorch frees its saved tensors
            node.saved.reset();
            node.spent = true;
        }
        if (!anomaly_mode) continue;
        for (const auto& p : node.parents)
            HEBB_CHECK(p->grad.size() == 0 || p->grad.allFinite(), "anomaly: the backward of ", node.op,
                       " ", shape_str(node.value), " sent a non-finite gradient to its ", p->op, " input ",
                       shape_str(p->value));
    }
}

void Tensor::zero_grad() { recycle(checked_node().grad); }

Tensor Tensor::detach() const { return Tensor(value()); }

float Tensor::item() const {
    HEBB_CHECK(value().size() == 1, "item: needs a 1x1 tensor, got ", shape());
    return node_->value(0, 0);
}

void set_detect_anomaly(bool on) { anomaly_mode = on; }
bool detect_anomaly() { return anomaly_mode; }

NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }
bool grad_enabled() { return grad_mode; }

Tensor make_result(Matrix value, const char* op, std::initializer_list<Tensor> parents,
                   std::function<void(Node&)> backward) {
    if (anomaly_mode && !value.allFinite()) {
        std::string inputs;
        for (const Tensor& p : parents)
            if (p.defined()) inputs += (inputs.empty() ? "" : ", ") + p.shape();
        fail("anomaly: ", op, " of ", inputs, " produced a non-finite value");
    }
    Tensor out(std::move(value));
    out.node()->op = op;
    if (!grad_mode) return out;
    bool any = false;
    for (const Tensor& p : parents) any = any || (p.defined() && p.requires_grad());
    if (!any) return out;
    Node& node = *out.node();
    node.requires_grad = true;
    node.backward = std::move(backward);
    node.parents.reserve(parents.size());
    for (const Tensor& p : parents)
        if (p.defined()) node.parents.push_back(p.node_ptr());
    return out;
}

}  // namespace hebb
