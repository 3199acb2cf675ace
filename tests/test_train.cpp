#include <catch2/catch.hpp>

#include "hebb.h"

using namespace hebb;

namespace {

// Trains a 2-64-64-2 ReLU MLP on two spirals with Adam and shuffled minibatches of 32.
std::shared_ptr<nn::Sequential> train_spirals(std::uint64_t seed, int epochs) {
    Generator gen(seed);
    const data::TensorDataset train = data::two_spirals(300, 0.02f, gen);
    auto net = nn::mlp({{2, 64, 64, 2}, "relu"}, gen);
    optim::Adam adam(net->parameters(), {.lr = 0.01});
    data::DataLoader loader(train, 32, true, seed);
    for (int epoch = 1; epoch <= epochs; ++epoch) training::train_epoch(*net, loader, adam, nullptr, epoch);
    return net;
}

double accuracy(nn::Module& net, const data::TensorDataset& d) {
    NoGradGuard no_grad;
    return training::accuracy(net(Tensor(d.features())), d.labels);
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

TEST_CASE("a training step is zero_grad, forward, loss plus regularizer, backward and step", "[train]") {
    Generator gen(5);
    const data::TensorDataset d = data::two_spirals(40, 0.02f, gen);
    const data::Batch batch{Tensor(d.features()), d.labels};
    const reg::BEAN bean(0.5f, 1);
    auto a = nn::mlp({{2, 8, 8, 2}, "tanh"}, gen);
    auto b = nn::mlp({{2, 8, 8, 2}, "tanh"}, gen);
    b->load_state_dict(a->state_dict());
    optim::SGD sgd_a(a->parameters(), {.lr = 0.1, .momentum = 0.9}), sgd_b(b->parameters(), {.lr = 0.1, .momentum = 0.9});
    for (int step = 0; step < 3; ++step) {
        const training::StepResult r = training::train_step(*a, batch, sgd_a, &bean);
        // The same step written out.
        sgd_b.zero_grad();
        const Tensor logits = (*b)(batch.x);
        const Tensor task = cross_entropy(logits, batch.y), penalty = bean(*b);
        (task + penalty).backward();
        sgd_b.step();
        CHECK(r.loss == task.item());
        CHECK(r.reg_loss == penalty.item());
        CHECK(r.correct == training::count_correct(logits.value(), batch.y));
    }
    for (size_t i = 0; i < a->parameters().size(); ++i) CHECK(a->parameters()[i].value() == b->parameters()[i].value());
}

TEST_CASE("an epoch's means weigh each batch by its size, and an error names the epoch and step", "[train]") {
    Generator gen(6);
    const data::TensorDataset d = data::two_spirals(50, 0.02f, gen);  // 100 samples: batches of 32, 32, 32, 4
    auto net = nn::mlp({{2, 8, 2}}, gen), copy = nn::mlp({{2, 8, 2}}, gen);
    copy->load_state_dict(net->state_dict());
    optim::SGD sgd(net->parameters(), {.lr = 0.05}), sgd_copy(copy->parameters(), {.lr = 0.05});
    data::DataLoader loader(d, 32, false, 0);
    long steps = 0;
    const training::EpochStats s = training::train_epoch(*net, loader, sgd, nullptr, 1, [&](const training::EpochStats& now) {
        CHECK(now.steps == ++steps);
    });
    double loss = 0.0, correct = 0.0;
    for (const data::Batch& batch : loader) {
        const training::StepResult r = training::train_step(*copy, batch, sgd_copy);
        loss += static_cast<double>(r.loss) * static_cast<double>(batch.y.size());
        correct += static_cast<double>(r.correct);
    }
    CHECK(s.steps == 4);
    CHECK(s.samples == 100);
    CHECK(s.loss == Approx(loss / 100).epsilon(1e-12));
    CHECK(s.accuracy == Approx(correct / 100).epsilon(1e-12));
    CHECK(s.reg_loss == 0.0);

    optim::SGD huge(net->parameters(), {.lr = 1e30});
    CHECK_THROWS_WITH(training::train_epoch(*net, loader, huge, nullptr, 7),
                      Catch::Matches("epoch 7 step [0-9]+: (the loss is|the gradient of parameter).*"));
}

TEST_CASE("accuracy is the fraction of rows whose largest logit is at the label", "[train]") {
    const Tensor logits = Tensor::from({{0.1f, 2.0f, -1.0f},   // argmax 1
                                        {3.0f, 0.0f, 0.5f},    // 0
                                        {0.2f, 0.2f, 0.1f},    // 0: the first of a tie, as torch.argmax
                                        {-5.0f, -4.0f, -3.0f},  // 2
                                        {1.0f, 1.0f, 1.0f}});  // 0
    CHECK(training::accuracy(logits, std::vector<int>{1, 0, 0, 2, 0}) == 1.0);
    CHECK(training::accuracy(logits, std::vector<int>{1, 2, 1, 2, 0}) == 0.6);  // rows 0, 3, 4
    CHECK(training::accuracy(logits, std::vector<int>{0, 1, 1, 0, 2}) == 0.0);
    CHECK(training::accuracy(Tensor::from({{0.0f, 1.0f}}), std::vector<int>{1}) == 1.0);
    CHECK_THROWS_WITH(training::accuracy(logits, std::vector<int>{1, 0}),
                      "count_correct: 2 labels for (5x3) logits");
    CHECK_THROWS_WITH(training::accuracy(Tensor::zeros(0, 3), std::vector<int>{}),
                      "accuracy: no rows in (0x3) logits");
}
