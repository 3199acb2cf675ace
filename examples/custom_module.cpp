// A Module of one's own: a learnable per-feature scale and shift (PyTorch's nn.Module with two
// nn.Parameter), inside a Sequential with hebb's layers, trained on XOR.
#include <cstdio>
#include <hebb/hebb.h>
using namespace hebb;

class ScaleShift : public nn::Module {
public:
    explicit ScaleShift(Eigen::Index features) {
        // Parameters are registered under names, as in PyTorch's state_dict: "scale", "shift".
        scale = register_parameter("scale", Tensor(Matrix::Ones(1, features), true));
        shift = register_parameter("shift", Tensor(Matrix::Zero(1, features), true));
    }
    Tensor forward(const Tensor& x) override { return x * scale + shift; }  // (B x F) * (1 x F) broadcasts
    std::string name() const override { return "ScaleShift"; }

    Tensor scale, shift;
};

int main() {
    manual_seed(0);
    nn::Sequential net{std::make_shared<ScaleShift>(2), std::make_shared<nn::Linear>(2, 8),
                       std::make_shared<nn::Tanh>(), std::make_shared<nn::Linear>(8, 2)};
    std::printf("%zu parameter tensors: ", net.parameters().size());
    for (const auto& [name, p] : net.named_parameters()) std::printf("%s ", name.c_str());
    std::printf("\n");

    const Tensor x = Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    const std::vector<int> y{0, 1, 1, 0};
    optim::Adam opt(net.parameters(), {.lr = 0.05});
    nn::CrossEntropyLoss ce;
    float loss = 0;
    for (int step = 1; step <= 200; ++step) {
        opt.zero_grad();
        Tensor l = ce(net(x), y);
        l.backward();
        opt.step();
        loss = l.item();
    }
    std::printf("XOR loss after 200 steps: %s\n", loss < 0.05f ? "below 0.05" : "not below 0.05");
    return loss < 0.05f ? 0 : 1;
}
