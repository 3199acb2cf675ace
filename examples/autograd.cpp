// A tensor, an op on it, and the gradient backward() leaves behind; then gradcheck, which compares
// such a gradient with finite differences.
#include <cstdio>
#include <hebb/hebb.h>
using namespace hebb;

int main() {
    // y = sum over the entries of x * x, so dy/dx = 2x.
    Tensor x = Tensor::from({{1, 2}, {3, 4}}, /*requires_grad=*/true);
    Tensor y = sum(x * x);
    y.backward();
    std::printf("y = %.1f\n", y.item());
    std::printf("dy/dx = [[%.1f, %.1f], [%.1f, %.1f]]  (2x)\n", x.grad()(0, 0), x.grad()(0, 1), x.grad()(1, 0),
                x.grad()(1, 1));

    // A composed function of two inputs, checked entry by entry against central differences.
    const Tensor a = Tensor::from({{0.5f, -1.0f, 2.0f}}, true), b = Tensor::from({{1.5f, 0.25f, -0.5f}}, true);
    const GradcheckResult r = gradcheck(
        [](const std::vector<Tensor>& in) { return tanh(in[0] * in[1]) + sigmoid(in[0]) / (1.0f + square(in[1])); },
        {a, b});
    std::printf("gradcheck %s\n", r.ok ? "passed" : ("failed at " + r.worst).c_str());
    return r.ok ? 0 : 1;
}
