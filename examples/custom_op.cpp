// An op of one's own, written as hebb's are: swish(x) = x sigmoid(x), its value and its backward
// rule side by side. gradcheck tests the rule; tensors and gradients print as PyTorch prints them;
// to_dot shows the graph backward() walks.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <hebb/hebb.h>
using namespace hebb;

Tensor swish(const Tensor& x) {
    const auto sigmoid = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
    Matrix y = x.value().array() * x.value().unaryExpr(sigmoid).array();
    // The result remembers its parent and how to pass a gradient g back to it:
    // dy/dx = s (1 + x (1 - s)) with s = sigmoid(x), so x receives g s (1 + x (1 - s)).
    return make_result(std::move(y), "swish", {x}, [sigmoid](Node& result) {
        Node& parent = *result.parents[0];
        const Eigen::ArrayXXf s = parent.value.unaryExpr(sigmoid).array();
        accumulate_grad(parent, result.grad.array() * s * (1.0f + parent.value.array() * (1.0f - s)));
    });
}

int main() {
    Tensor x = Tensor::from({{-2.0f, -0.5f, 0.0f, 1.5f}}, /*requires_grad=*/true);
    Tensor y = swish(x);
    std::cout << y << "\n";
    sum(y).backward();
    std::cout << "x.grad() = " << format(x.grad()) << "\n";

    const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return swish(in[0]); },
                                        {Tensor::from({{-3.0f, -1.0f, 0.25f}, {0.5f, 2.0f, 4.0f}}, true)});
    std::printf("gradcheck %s\n", r.ok ? "passed" : ("failed at " + r.worst).c_str());

    // In a network: the graph of a loss, in Graphviz's dot (dot -Tsvg graph.dot -o graph.svg).
    manual_seed(0);
    nn::Linear layer(4, 2);
    const Tensor loss = sum(swish(layer(x.detach())));  // x as an input: no gradient wanted
    std::cout << to_dot(loss, layer.named_parameters());
    return r.ok ? 0 : 1;
}
