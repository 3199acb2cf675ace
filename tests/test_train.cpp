#include <catch2/catch.hpp>

#include "core/hebb.h"

using namespace hebb;

namespace {

// Trains a 2-64-64-2 ReLU MLP on two spirals with Adam and shuffled minibatches of 32.
std::shared_ptr<nn::Sequential> train_spirals(std::uint64_t seed, int epochs) {
    Generator gen(seed);
    const data::TensorDataset train = data::two_spirals(300, 0.02f, gen);
    auto net = nn::mlp({{2, 64, 64, 2}, "relu"}, gen);
    optim::Adam adam(net->parameters(), {.lr = 0.01});
    nn::CrossEntropyLoss ce;
    data::DataLoader loader(train, 32, true, seed);
    for (int epoch = 0; epoch < epochs; ++epoch) {
        for (const data::Batch& batch : loader) {
            adam.zero_grad();
            ce((*net)(batch.x), batch.y).backward();
            adam.step();
        }
    }
    return net;
}

double accuracy(nn::Module& net, const data::TensorDataset& d) {
    NoGradGuard no_grad;
    const Matrix logits = net(Tensor(d.features())).value();
    int correct = 0;
    for (Eigen::Index i = 0; i < d.size(); ++i) {
        Eigen::Index best;
        logits.row(i).maxCoeff(&best);
        correct += best == d.labels[static_cast<size_t>(i)];
    }
    return static_cast<double>(correct) / static_cast<double>(d.size());
}

}  // namespace

TEST_CASE("an MLP learns two spirals to 97% held-out accuracy", "[train]") {
    auto net = train_spirals(1, 60);
    Generator other(99);
    const data::TensorDataset test = data::two_spirals(500, 0.02f, other);
    const double acc = accuracy(*net, test);
    INFO("held-out accuracy " << acc);
    CHECK(acc >= 0.97);
}

TEST_CASE("the same seed gives the same weights, another seed different ones", "[train]") {
    const auto a = train_spirals(3, 3), b = train_spirals(3, 3), c = train_spirals(4, 3);
    for (size_t i = 0; i < a->parameters().size(); ++i)
        CHECK(a->parameters()[i].value() == b->parameters()[i].value());
    CHECK(a->parameters()[0].value() != c->parameters()[0].value());
}
