// A program outside the tree that embeds hebb through its installed headers and package files.
#include <hebb/hebb.h>
#include <iostream>

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
