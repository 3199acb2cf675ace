// Tensors printed as PyTorch prints them, and the computation graph as Graphviz dot. The expected
// texts are torch 1.13's, printed by /usr/bin/python3 from the expression in each comment.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "hebb.h"

using namespace hebb;

namespace {

std::string printed(const Tensor& t) { return (std::ostringstream() << t).str(); }

// Rows of r x c entries 0, 1, 2, ... divided by `divisor`: torch.arange(r * c.).reshape(r, c) / divisor.
Matrix arange(Eigen::Index r, Eigen::Index c, float divisor) {
    Matrix m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i / c, i % c) = static_cast<float>(i) / divisor;
    return m;
}

}  // namespace

TEST_CASE("tensors print like PyTorch's", "[print]") {
    // torch.tensor([[0.1, -0.2], [0.3, 0.4]], requires_grad=True)
    CHECK(printed(Tensor::from({{0.1f, -0.2f}, {0.3f, 0.4f}}, true)) ==
          "tensor([[ 0.1000, -0.2000],\n"
          "        [ 0.3000,  0.4000]], requires_grad=True)");
    CHECK(printed(Tensor::from({{1, 2.5}}, true)) == "tensor([[1.0000, 2.5000]], requires_grad=True)");
    // torch.tensor([[1.0]], requires_grad=True) * 2 prints grad_fn=<MulBackward0>: hebb names its op.
    CHECK(printed(Tensor::from({{1}}, true) * 2.0f) == "tensor([[2.]], grad_fn=<mul>)");
    // torch.tensor([[0.5], [-1.25], [3.0]])
    CHECK(printed(Tensor::from({{0.5f}, {-1.25f}, {3}})) == "tensor([[ 0.5000],\n        [-1.2500],\n        [ 3.0000]])");
    // torch.tensor([[-0.1, 0.2, -0.3, 0.4, -0.5, 0.6]], requires_grad=True): the suffix would pass 80 columns.
    CHECK(printed(Tensor::from({{-0.1f, 0.2f, -0.3f, 0.4f, -0.5f, 0.6f}}, true)) ==
          "tensor([[-0.1000,  0.2000, -0.3000,  0.4000, -0.5000,  0.6000]],\n"
          "       requires_grad=True)");
    CHECK(printed(Tensor()) == "tensor(undefined)");
}

TEST_CASE("whole numbers, wide ranges, NaN and infinities print like PyTorch's", "[print]") {
    // torch.zeros(2, 2); torch.tensor([[1., -20.], [300., 0.]]); torch.tensor([[-0., 1.]])
    CHECK(format(Matrix::Zero(2, 2)) == "tensor([[0., 0.],\n        [0., 0.]])");
    CHECK(format(Tensor::from({{1, -20}, {300, 0}}).value()) == "tensor([[  1., -20.],\n        [300.,   0.]])");
    CHECK(format(Tensor::from({{-0.0f, 1}}).value()) == "tensor([[-0., 1.]])");
    // torch.tensor([[1e-5, 1.0], [100.0, -3.0]]): a magnitude under 1e-4 and a range over 1000
    CHECK(format(Tensor::from({{1e-5f, 1}, {100, -3}}).value()) ==
          "tensor([[ 1.0000e-05,  1.0000e+00],\n        [ 1.0000e+02, -3.0000e+00]])");
    // torch.tensor([[1.0, 2000.0]]); torch.tensor([[1e9, 2e9]]): whole numbers too
    CHECK(format(Tensor::from({{1, 2000}}).value()) == "tensor([[1.0000e+00, 2.0000e+03]])");
    CHECK(format(Tensor::from({{1e9f, 2e9f}}).value()) == "tensor([[1.0000e+09, 2.0000e+09]])");
    // torch.tensor([[nan, inf], [-inf, 1.5]]); torch.tensor([[nan, 0.]])
    CHECK(format(Tensor::from({{NAN, INFINITY}, {-INFINITY, 1.5f}}).value()) ==
          "tensor([[   nan,    inf],\n        [  -inf, 1.5000]])");
    CHECK(format(Tensor::from({{-NAN, 0}}).value()) == "tensor([[nan, 0.]])");
    // torch.zeros(0, 3), and with requires_grad=True
    CHECK(format(Matrix(0, 3)) == "tensor([], size=(0, 3))");
    CHECK(printed(Tensor(Matrix(0, 3), true)) == "tensor([], size=(0, 3), requires_grad=True)");
}

TEST_CASE("long rows wrap and large tensors are summarized like PyTorch's", "[print]") {
    // torch.arange(30.).reshape(1, 30) / 3: nine entries to a line
    CHECK(format(arange(1, 30, 3)) ==
          "tensor([[0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
          "         3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
          "         6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n"
          "         9.0000, 9.3333, 9.6667]])");
    // torch.arange(1200.).reshape(2, 600) / 7: over 1,000 entries, 3 columns at each end
    CHECK(format(arange(2, 600, 7)) ==
          "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 8.5286e+01, 8.5429e+01,\n"
          "         8.5571e+01],\n"
          "        [8.5714e+01, 8.5857e+01, 8.6000e+01,  ..., 1.7100e+02, 1.7114e+02,\n"
          "         1.7129e+02]])");
    // torch.arange(1600.).reshape(40, 40) / 7: and 3 rows at each end
    CHECK(format(arange(40, 40, 7)) ==
          "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 5.2857e+00, 5.4286e+00,\n"
          "         5.5714e+00],\n"
          "        [5.7143e+00, 5.8571e+00, 6.0000e+00,  ..., 1.1000e+01, 1.1143e+01,\n"
          "         1.1286e+01],\n"
          "        [1.1429e+01, 1.1571e+01, 1.1714e+01,  ..., 1.6714e+01, 1.6857e+01,\n"
          "         1.7000e+01],\n"
          "        ...,\n"
          "        [2.1143e+02, 2.1157e+02, 2.1171e+02,  ..., 2.1671e+02, 2.1686e+02,\n"
          "         2.1700e+02],\n"
          "        [2.1714e+02, 2.1729e+02, 2.1743e+02,  ..., 2.2243e+02, 2.2257e+02,\n"
          "         2.2271e+02],\n"
          "        [2.2286e+02, 2.2300e+02, 2.2314e+02,  ..., 2.2814e+02, 2.2829e+02,\n"
          "         2.2843e+02]])");
}

TEST_CASE("a gradient prints as its parameter does", "[print]") {
    Tensor w = Tensor::from({{1, -2}, {3, 0.5f}}, true);
    sum(w * w).backward();  // dw = 2 w
    CHECK(format(w.grad()) == "tensor([[ 2., -4.],\n        [ 6.,  1.]])");
    CHECK(printed(w) == "tensor([[ 1.0000, -2.0000],\n        [ 3.0000,  0.5000]], requires_grad=True)");
}

TEST_CASE("to_dot draws every tensor of the graph once and an edge per use", "[dot]") {
    // loss = mse(relu(linear(x, weight, bias)), target) + sum(h * h), h = relu(...)
    const Tensor x = Tensor::zeros(4, 3), target = Tensor::zeros(4, 2);
    Tensor weight = Tensor::zeros(2, 3).requires_grad_(), bias = Tensor::zeros(1, 2).requires_grad_();
    const Tensor h = relu(linear(x, weight, bias));
    const Tensor loss = mse_loss(h, target) + sum(h * h);
    const std::string dot = to_dot(loss, {{"0.weight", weight}});
    const auto count = [&](const std::string& what) {
        size_t n = 0;
        for (size_t at = dot.find(what); at != std::string::npos; at = dot.find(what, at + 1)) ++n;
        return n;
    };
    // add, mse_loss, sum, mul, relu, linear, x, weight, bias, target
    CHECK(count("[label=") == 10);
    // h -> mse_loss, target -> mse_loss, mse_loss -> add, h -> mul twice, mul -> sum, sum -> add,
    // linear -> relu, x, weight and bias -> linear
    CHECK(count(" -> ") == 11);
    CHECK(dot.rfind("digraph {\n  n0 [label=\"add\\n(1x1)\"];\n", 0) == 0);
    CHECK(count("[label=\"0.weight\\n(2x3)\", shape=box, style=filled, fillcolor=lightblue]") == 1);
    CHECK(count("[label=\"parameter\\n(1x2)\", shape=box, style=filled, fillcolor=lightblue]") == 1);
    CHECK(count("[label=\"input\\n(4x3)\", shape=box]") == 1);
    CHECK(count("[label=\"input\\n(4x2)\", shape=box]") == 1);
    CHECK(count("[label=\"relu\\n(4x2)\"]") == 1);
    CHECK(dot.substr(dot.size() - 2) == "}\n");
}

TEST_CASE("to_dot of a small graph, in full", "[dot]") {
    Tensor a = Tensor::from({{1, 2}}, true);
    const Tensor y = sum(a * a);
    CHECK(to_dot(y, {{"a \"quoted\"", a}}) ==
          "digraph {\n"
          "  n0 [label=\"sum\\n(1x1)\"];\n"
          "  n1 [label=\"mul\\n(1x2)\"];\n"
          "  n2 [label=\"a \\\"quoted\\\"\\n(1x2)\", shape=box, style=filled, fillcolor=lightblue];\n"
          "  n1 -> n0;\n"
          "  n2 -> n1;\n"
          "  n2 -> n1;\n"
          "}\n");
}
