// A program outside the tree that embeds hebb through its installed headers and package files.
#include <hebb/hebb.h>
#include <iostream>

// What the package files must give every program besides the headers, checked here as this program
// is compiled without -march (where Eigen's own alignment would be 16 bytes): libhebb's Eigen
// alignment, and OpenMP.
static_assert(EIGEN_MAX_ALIGN_BYTES == 64, "the package's flags lack -DEIGEN_MAX_ALIGN_BYTES=64");
#ifndef _OPENMP
#error "the package's flags lack OpenMP"
#endif

int main() {
    using namespace hebb;
    manual_seed(1);
    auto net = nn::mlp({{2, 16, 2}, "tanh"});
    optim::SGD sgd(net->parameters(), {.lr = 0.5, .momentum = 0.9});
    const Tensor x = Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    const std::vector<int> y{0, 1, 1, 0};  // XOR
    nn::CrossEntropyLoss ce;
    float loss = 0;
    for (int step = 0; step < 300; ++step) {
        sgd.zero_grad();
        Tensor l = ce((*net)(x), y);
        l.backward();
        sgd.step();
        loss = l.item();
    }
    std::cout << "xor loss " << loss << "\n";
    return loss < 0.05f ? 0 : 1;
}
