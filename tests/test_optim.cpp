#include <catch2/catch.hpp>
#include <limits>

#include "hebb.h"

using namespace hebb;

namespace {
Tensor param(float v) { return Tensor(Matrix::Constant(1, 1, v), true); }
void set_grad(Tensor& p, float g) { p.mutable_grad() = Matrix::Constant(1, 1, g); }
// Parameter i's step count in the optimizer's state (PyTorch's state['step']); 0 when it has none.
float step_of(const optim::Optimizer& opt, size_t i) {
    const optim::OptimizerState state = opt.state_dict();
    for (const NamedArray& a : state.params.at(i))
        if (a.name == "step") return a.value(0, 0);
    return 0.0f;
}
}  // namespace

TEST_CASE("SGD with momentum follows the hand-computed path", "[optim]") {
    Tensor p = param(1.0f);
    optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
    set_grad(p, 0.5f);
    sgd.step();  // b = 0.5, p = 1 - 0.05
    CHECK(p.item() == Approx(0.95));
    sgd.step();  // b = 0.9 * 0.5 + 0.5 = 0.95, p = 0.95 - 0.095
    CHECK(p.item() == Approx(0.855));
    CHECK(step_of(sgd, 0) == 2);
}

TEST_CASE("Adam's first step moves each weight by lr against its gradient's sign", "[optim]") {
    Tensor p = param(1.0f), q = param(-2.0f);
    optim::Adam adam({p, q}, {.lr = 0.1});
    set_grad(p, 2.0f);
    set_grad(q, -0.001f);
    adam.step();
    // m / (1 - b1) = g and sqrt(v / (1 - b2)) = |g|: the step is lr * g / (|g| + eps).
    CHECK(p.item() == Approx(0.9).epsilon(1e-6));
    CHECK(q.item() == Approx(-1.9).epsilon(1e-4));
}

TEST_CASE("a step without a gradient does not count for that parameter", "[optim]") {
    // PyTorch counts steps per parameter: q's first real update is Adam's first step, lr against the
    // gradient's sign, whatever steps() found it without a gradient before.
    for (int kind = 0; kind < 2; ++kind) {
        Tensor p = param(1.0f), q = param(-2.0f);
        std::unique_ptr<optim::Optimizer> opt;
        if (kind == 0) opt = std::make_unique<optim::Adam>(std::vector{p, q}, optim::AdamOptions{.lr = 0.1});
        else opt = std::make_unique<optim::AdamW>(std::vector{p, q}, optim::AdamOptions{.lr = 0.1, .weight_decay = 0.0});
        set_grad(p, 1.0f);
        opt->step();
        CHECK(q.item() == -2.0f);
        CHECK(step_of(*opt, 0) == 1);
        CHECK(step_of(*opt, 1) == 0);
        set_grad(q, 0.5f);
        opt->step();
        CHECK(q.item() == Approx(-2.1).epsilon(1e-6));  // not -2.0744, as with one count for all
        CHECK(step_of(*opt, 0) == 2);
        CHECK(step_of(*opt, 1) == 1);
    }
}

TEST_CASE("a parameter without a gradient is left alone", "[optim]") {
    Tensor p = param(1.0f), q = param(5.0f);
    optim::Adam adam({p, q});
    set_grad(p, 1.0f);
    adam.step();
    CHECK(q.item() == 5.0f);
    CHECK(p.item() < 1.0f);
    adam.zero_grad();
    CHECK_FALSE(p.has_grad());
}

TEST_CASE("an optimizer resumed from its state_dict continues bit for bit", "[optim]") {
    for (int kind = 0; kind < 4; ++kind) {
        INFO("optimizer " << kind);
        const auto make = [kind](std::vector<Tensor> ps) -> std::unique_ptr<optim::Optimizer> {
            switch (kind) {
                case 0: return std::make_unique<optim::SGD>(ps, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
                case 1: return std::make_unique<optim::Adam>(ps, optim::AdamOptions{.lr = 0.01, .amsgrad = true});
                case 2: return std::make_unique<optim::AdamW>(ps, optim::AdamOptions{.lr = 0.01});
                default: return std::make_unique<optim::RMSprop>(ps, optim::RMSpropOptions{.momentum = 0.5, .centered = true});
            }
        };
        Generator gen(11);
        const Matrix start = randn(3, 4, gen).value();
        std::vector<Matrix> grads;
        for (int i = 0; i < 6; ++i) grads.push_back(randn(3, 4, gen).value());

        Tensor a(start, true);
        auto full = make({a});
        for (const Matrix& g : grads) {
            a.mutable_grad() = g;
            full->step();
        }

        Tensor b(start, true);
        auto first = make({b});
        for (int i = 0; i < 3; ++i) {
            b.mutable_grad() = grads[i];
            first->step();
        }
        const optim::OptimizerState saved = first->state_dict();
        Tensor c(b.value(), true);
        auto resumed = make({c});
        resumed->load_state_dict(saved);
        CHECK(step_of(*resumed, 0) == 3);
        for (int i = 3; i < 6; ++i) {
            c.mutable_grad() = grads[i];
            resumed->step();
        }
        CHECK(c.value() == a.value());
    }
}

TEST_CASE("a large parameter updated in pieces on two threads moves exactly as on one", "[optim]") {
    // 300 x 300 weights are split between the threads; each piece must use its own slice of the
    // optimizer's buffers.
    const auto run = [](int threads, const std::string& which) {
        set_num_threads(threads);
        Generator gen(3);
        Tensor p(randn(300, 300, gen).value(), true);
        std::unique_ptr<optim::Optimizer> opt;
        if (which == "sgd") opt = std::make_unique<optim::SGD>(std::vector{p}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
        if (which == "adam") opt = std::make_unique<optim::Adam>(std::vector{p}, optim::AdamOptions{.weight_decay = 1e-2, .amsgrad = true});
        if (which == "adamw") opt = std::make_unique<optim::AdamW>(std::vector{p}, optim::AdamOptions{});
        for (int step = 0; step < 3; ++step) {
            p.mutable_grad() = randn(300, 300, gen).value();
            opt->step();
        }
        set_num_threads(1);
        return Matrix(p.value());
    };
    for (const std::string which : {"sgd", "adam", "adamw"}) {
        INFO(which);
        const Matrix one = run(1, which), two = run(2, which);
        CHECK(one == two);
        Generator gen(3);
        CHECK((one - randn(300, 300, gen).value()).cwiseAbs().minCoeff() > 0.0f);  // every weight moved
    }
}

TEST_CASE("optimizer settings and state are checked", "[optim]") {
    Tensor p = param(1.0f);
    CHECK_THROWS_WITH(optim::SGD({p}, {}), Catch::Contains("lr must be positive, got 0"));
    CHECK_THROWS_WITH(optim::Adam({p}, {.lr = -1}), Catch::Contains("lr must be positive"));
    CHECK_THROWS_WITH(optim::SGD({p}, {.lr = 0.1, .nesterov = true}), Catch::Contains("nesterov"));
    CHECK_THROWS_WITH(optim::Adam({p}, {.beta1 = 1.0}), Catch::Contains("betas"));
    CHECK_THROWS_WITH(optim::SGD({Tensor(Matrix::Ones(1, 1))}, {.lr = 0.1}), Catch::Contains("does not require grad"));

    optim::Adam adam({p});
    set_grad(p, 1.0f);
    adam.step();
    optim::OptimizerState sd = adam.state_dict();
    REQUIRE(sd.params.size() == 1);
    REQUIRE(sd.params[0].size() == 3);  // step, exp_avg and exp_avg_sq; no max_exp_avg_sq without amsgrad
    CHECK(sd.params[0][0].name == "step");
    CHECK(sd.params[0][0].value(0, 0) == 1.0f);
    optim::OptimizerState half = sd;
    half.params[0][0].value(0, 0) = 1.5f;
    CHECK_THROWS_WITH(adam.load_state_dict(half), Catch::Contains("'step' of parameter 0 is not a whole number of steps"));
    Tensor other(Matrix::Ones(2, 2), true);
    optim::Adam wrong({other});
    CHECK_THROWS_WITH(wrong.load_state_dict(sd), Catch::Contains("'exp_avg' of parameter 0 is (1x1) but the parameter is (2x2)"));
    optim::SGD sgd({p}, {.lr = 0.1});
    CHECK_THROWS_WITH(sgd.load_state_dict(sd), Catch::Contains("parameter 0 has no buffer 'exp_avg'"));
    sd.params.push_back({});
    CHECK_THROWS_WITH(adam.load_state_dict(sd), Catch::Contains("state for 2 parameters, the optimizer has 1"));
    const Matrix before = p.value();
    CHECK_THROWS(wrong.load_state_dict(sd));
    CHECK(p.value() == before);
}

TEST_CASE("a gradient that is not finite stops the step, naming the parameter", "[optim]") {
    for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
        for (Eigen::Index where : {Eigen::Index{0}, Eigen::Index{5000}, Eigen::Index{89999}}) {
            INFO("bad " << bad << " at " << where);
            Tensor small = param(1.0f), large(Matrix::Ones(300, 300), true);
            optim::SGD sgd({small, large}, {.lr = 0.1});
            set_grad(small, 1.0f);
            large.mutable_grad() = Matrix::Ones(300, 300);
            large.mutable_grad()(where / 300, where % 300) = bad;
            CHECK_THROWS_WITH(sgd.step(), Catch::Contains("the gradient of parameter 1 (300x300) is not finite"));
            // The blocks from the bad one on are untouched.
            CHECK(large.value()(where / 300, where % 300) == 1.0f);
            CHECK(large.value()(299, 299) == 1.0f);
        }
    }
}

TEST_CASE("schedulers set the lr by epoch and can jump to an epoch", "[optim]") {
    Tensor p = param(1.0f);
    optim::SGD sgd({p}, {.lr = 0.1});
    optim::StepLR step(sgd, 2, 0.5);
    step.step();
    CHECK(sgd.lr() == Approx(0.1));
    step.step();
    CHECK(sgd.lr() == Approx(0.05));
    step.set_epoch(6);
    CHECK(sgd.lr() == Approx(0.0125));

    optim::SGD sgd2({p}, {.lr = 1.0});
    optim::CosineAnnealingLR cosine(sgd2, 4, 0.0);
    cosine.set_epoch(2);
    CHECK(sgd2.lr() == Approx(0.5));
    cosine.set_epoch(4);
    CHECK(sgd2.lr() == Approx(0.0).margin(1e-12));
    cosine.set_epoch(6);  // past t_max the cosine goes on
    CHECK(sgd2.lr() == Approx(0.5));

    optim::SGD sgd3({p}, {.lr = 1.0});
    optim::LinearLR warmup(sgd3, 0.25, 1.0, 3);
    CHECK(sgd3.lr() == Approx(0.25));  // the warm-up starts at once
    warmup.step();
    CHECK(sgd3.lr() == Approx(0.5));
    warmup.set_epoch(10);
    CHECK(sgd3.lr() == Approx(1.0));
}
