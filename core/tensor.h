// The autograd engine: a Tensor is a cheap handle to a shared Node that holds a value, a lazily
// allocated gradient, the nodes it was computed from and the closure that sends its gradient back.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hebb {

// Row-major like PyTorch: rows are samples, a scalar is 1x1.
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    throw Error(out.str());
}

// An always-on check (release builds keep it); the message is only built when it fails.
#define HEBB_CHECK(cond, ...) \
    do {                      \
        if (!(cond)) ::hebb::fail(__VA_ARGS__); \
    } while (0)

std::string shape_str(const Matrix& m);  // "(64x784)"

// A program compiled with another EIGEN_MAX_ALIGN_BYTES than hebb frees hebb's matrices with the
// wrong alignment, which aborts much later ("double free or corruption"). So every program that
// includes hebb compares its own value with hebb's before main, and a mismatch ends it with an Error
// saying how to compile it.
void check_eigen_max_align_bytes(int program);
// One per translation unit: the compiler leaves out an inline variable that nothing reads.
static const bool eigen_max_align_bytes_checked = (check_eigen_max_align_bytes(EIGEN_MAX_ALIGN_BYTES), true);

// The shape of one sample seen as images, C x H x W: a row of a batch holds its values channel by
// channel, each row by row (PyTorch's NCHW flatten order). N features are N x 1 x 1.
struct ImageShape {
    Eigen::Index channels = 0, height = 0, width = 0;
    Eigen::Index size() const { return channels * height * width; }  // the columns of a row
    std::string str() const;                                         // "1x28x28"
    std::string values() const;  // "784" for features (784 x 1 x 1), "1x28x28 = 784" for images
    bool operator==(const ImageShape&) const = default;
};

// A training loop builds the same graph every step. So that it allocates nothing once warmed up
// (fresh pages are expensive, and malloc is not free either), the storage of freed matrices and
// nodes is kept per thread and handed out again, by number of entries.
void* recycled_allocate(std::size_t bytes);
void recycled_deallocate(void* p, std::size_t bytes) noexcept;

// A matrix whose storage comes from that pool (when a freed one with as many entries is there)
// and returns to it when the matrix is destroyed. It is a Matrix in every other way; moving it
// into a plain Matrix (a node's value) hands its storage over.
class Pooled : public Matrix {
public:
    Pooled() = default;
    Pooled(Eigen::Index rows, Eigen::Index cols);  // uninitialized
    Pooled(Pooled&&) noexcept = default;
    Pooled& operator=(Pooled&&) noexcept = default;  // swaps: the other takes the old storage
    template <class Expr>
    Pooled& operator=(const Eigen::DenseBase<Expr>& e) {
        Matrix::operator=(e);
        return *this;
    }
    ~Pooled();
};
Pooled filled(Eigen::Index rows, Eigen::Index cols, float value);

// An allocator whose blocks are recycled by size rather than returned to malloc.
template <class T>
struct Recycling {
    using value_type = T;
    Recycling() = default;
    template <class U>
    Recycling(const Recycling<U>&) {}
    T* allocate(std::size_t n) { return static_cast<T*>(recycled_allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { recycled_deallocate(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const Recycling<U>&) const { return true; }
};

struct Node {
    Matrix value;
    Matrix grad;  // empty until a gradient arrives
    std::vector<std::shared_ptr<Node>, Recycling<std::shared_ptr<Node>>> parents;
    // What the backward needs beyond the values of the node and its parents: an op's own struct
    // of named matrices (see save() and saved()).
    std::shared_ptr<void> saved;
    // Adds d(root)/d(parent) into each parent's grad. Its captures must stay within std::function's
    // inline storage (a few scalars) to need no allocation; matrices go to `saved`.
    std::function<void(Node& self)> backward;
    const char* op = "leaf";
    bool requires_grad = false;
    bool spent = false;  // its backward ran without retain_graph, which freed `saved`
    std::uint64_t visited = 0;  // the last backward pass that reached this node

    Matrix& grad_buffer();  // grad, allocated as zeros on first use
    ~Node();                // iterative, so a deep graph cannot overflow the stack
};

class Tensor {
public:
    Tensor() = default;
    explicit Tensor(Matrix value, bool requires_grad = false);
    explicit Tensor(std::shared_ptr<Node> node) : node_(std::move(node)) {}

    static Tensor scalar(float v);
    static Tensor zeros(Eigen::Index rows, Eigen::Index cols);
    // Rows of numbers, e.g. Tensor::from({{1, 2}, {3, 4}}).
    static Tensor from(std::initializer_list<std::initializer_list<float>> rows, bool requires_grad = false);

    bool defined() const { return node_ != nullptr; }
    const Matrix& value() const { return checked_node().value; }
    Matrix& value() { return checked_node().value; }
    // The accumulated gradient; throws while none has arrived (before backward(), after zero_grad()).
    const Matrix& grad() const;
    bool has_grad() const { return checked_node().grad.size() != 0; }
    Matrix& mutable_grad() { return checked_node().grad; }  // empty (0x0) until a gradient arrives
    Eigen::Index rows() const { return value().rows(); }
    Eigen::Index cols() const { return value().cols(); }
    std::string shape() const { return shape_str(value()); }
    const char* op() const { return checked_node().op; }

    bool requires_grad() const { return checked_node().requires_grad; }
    Tensor& requires_grad_(bool on = true);
    void zero_grad();  // drops the gradient (PyTorch's set_to_none)

    // d(this)/d(every tensor it depends on), accumulated into their grad(); this must be 1x1. As in
    // PyTorch, it frees what the graph saved for it, so a second backward() through the graph throws
    // unless the first had retain_graph.
    void backward(bool retain_graph = false) const;
    Tensor detach() const;  // same value, cut from the graph
    float item() const;     // the value of a 1x1 tensor

    Node* node() const { return node_.get(); }
    const std::shared_ptr<Node>& node_ptr() const { return node_; }

private:
    Node& checked_node() const {
        HEBB_CHECK(node_, "an undefined Tensor (default-constructed, or a Linear without bias): assign it before use");
        return *node_;
    }
    std::shared_ptr<Node> node_;
};

// While one is alive (on this thread), ops record no graph: evaluation costs only the forward pass.
class NoGradGuard {
public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};
bool grad_enabled();

// Anomaly detection (off by default; it costs a pass over every value and gradient): an op whose
// output or whose backward produces a NaN or infinity throws an Error naming the op and shapes.
void set_detect_anomaly(bool on);
bool detect_anomaly();

// Builds an op's result: when gradients are on and a parent needs one, the result records its
// parents (undefined ones, such as an absent bias, are left out) and backward closure; otherwise
// it is a plain constant.
Tensor make_result(Matrix value, const char* op, std::initializer_list<Tensor> parents,
                   std::function<void(Node&)> backward);

// Keeps `what` (an op's struct of Pooled matrices) for the backward of `result`, which reads it
// with saved<Saved>(node); when no backward will run, it is dropped at once.
template <class Saved>
void save(const Tensor& result, Saved&& what) {
    Node& node = *result.node();
    if (node.backward) node.saved = std::allocate_shared<Saved>(Recycling<Saved>(), std::move(what));
}
template <class Saved>
const Saved& saved(const Node& node) {
    return *static_cast<const Saved*>(node.saved.get());
}

}  // namespace hebb
