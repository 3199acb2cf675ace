// hebb against PyTorch: losses, ops, optimizers, LR schedulers and a PyTorch-written MLP checkpoint,
// checked entry by entry against fixtures made by tests/fixtures/make_fixtures.py (PyTorch 1.13).
// A failure names the case, the step or epoch and every differing entry (up to a dozen per check).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hebb.h"
#include "torch_reference.h"

using namespace hebb;
using nlohmann::json;

namespace {

std::vector<int> to_labels(const json& j) { return j.get<std::vector<int>>(); }

std::unique_ptr<optim::LRScheduler> make_scheduler(const std::string& kind, const json& a,
                                                   optim::Optimizer& opt) {
    if (kind == "StepLR")
        return std::make_unique<optim::StepLR>(opt, a.at("step_size").get<std::int64_t>(),
                                               a.at("gamma").get<double>());
    if (kind == "ExponentialLR")
        return std::make_unique<optim::ExponentialLR>(opt, a.at("gamma").get<double>());
    if (kind == "CosineAnnealingLR")
        return std::make_unique<optim::CosineAnnealingLR>(opt, a.at("T_max").get<std::int64_t>(),
                                                          a.at("eta_min").get<double>());
    if (kind == "LinearLR")
        return std::make_unique<optim::LinearLR>(opt, a.at("start_factor").get<double>(),
                                                 a.at("end_factor").get<double>(),
                                                 a.at("total_iters").get<std::int64_t>());
    fail("fixture: unknown scheduler ", kind);
}

}  // namespace

TEST_CASE("the PyTorch fixtures are present and complete", "[torch]") {
    const json& ref = reference();
    CHECK(ref.at("losses").at("cases").size() == 4);
    CHECK(ref.at("ops").at("cases").size() >= 6);
    CHECK(ref.at("optimizers").at("configs").size() == 11);
    CHECK(ref.at("schedulers").at("cases").size() == 4);
    CHECK(ref.at("mlp").at("output").size() == 3);
}

TEST_CASE("losses match PyTorch in value and gradient", "[torch]") {
    const json& L = reference().at("losses");
    const Matrix logits = to_matrix(L.at("logits"));
    const std::vector<int> labels = to_labels(L.at("labels"));
    const Tensor target(to_matrix(L.at("target")));

    for (const json& c : L.at("cases")) {
        const std::string name = c.at("name");
        // Each loss twice: the function in core/ops.h and the object in layers/loss.h.
        for (int via_module = 0; via_module < 2; ++via_module) {
            const std::string what = "loss " + name + (via_module ? " (nn:: object)" : " (function)");
            Tensor x(logits, true);
            Tensor loss;
            if (name == "cross_entropy" || name == "cross_entropy_smooth") {
                const float smoothing = c.value("label_smoothing", 0.0f);
                loss = via_module ? nn::CrossEntropyLoss{smoothing}(x, labels)
                                  : cross_entropy(x, labels, smoothing);
            } else if (name == "nll_log_softmax") {
                loss = via_module ? nn::NLLLoss{}(log_softmax(x), labels)
                                  : nll_loss(log_softmax(x), labels);
            } else if (name == "mse") {
                loss = via_module ? nn::MSELoss{}(x, target) : mse_loss(x, target);
            } else {
                FAIL("fixture: unknown loss " << name);
            }
            check_close(loss.item(), c.at("value").get<double>(), what + ": value");
            loss.backward();
            check_close(x.grad(), to_matrix(c.at("grad")), what + ": d loss / d input");
        }
    }
}

TEST_CASE("BCEWithLogitsLoss matches PyTorch in value and both gradients", "[torch]") {
    const json& L = reference().at("losses");
    REQUIRE(L.at("bce_cases").size() == 2);
    for (const json& c : L.at("bce_cases")) {
        const std::string what = "loss " + c.at("name").get<std::string>();
        Tensor x(to_matrix(L.at("logits")), true), y(to_matrix(L.at("bce_target")), true);
        const nn::BCEWithLogitsLoss bce{c.contains("pos_weight") ? to_matrix(c.at("pos_weight")) : Matrix()};
        const Tensor loss = bce(x, y);
        check_close(loss.item(), c.at("value").get<double>(), what + ": value");
        loss.backward();
        check_close(x.grad(), to_matrix(c.at("grad")), what + ": d loss / d input");
        check_close(y.grad(), to_matrix(c.at("target_grad")), what + ": d loss / d target");
    }
}

TEST_CASE("ops match PyTorch in value and gradient of sum(out * R)", "[torch]") {
    const json& O = reference().at("ops");
    const Matrix x0 = to_matrix(O.at("x"));
    const Tensor r(to_matrix(O.at("r")));

    for (const json& c : O.at("cases")) {
        const std::string name = c.at("name");
        std::string what = "op " + name;
        Tensor x(x0, true);
        Tensor y;
        if (name == "softmax") y = softmax(x);
        else if (name == "log_softmax") y = log_softmax(x);
        else if (name == "gelu") y = gelu(x);
        else if (name == "sigmoid") y = sigmoid(x);
        else if (name == "tanh") y = tanh(x);
        else if (name == "leaky_relu") {
            const float slope = c.at("negative_slope").get<float>();
            what += "(negative_slope=" + c.at("negative_slope").dump() + ")";
            y = leaky_relu(x, slope);
        } else {
            FAIL("fixture: unknown op " << name);
        }
        check_close(y.value(), to_matrix(c.at("value")), what + ": value");
        sum(mul(y, r)).backward();
        check_close(x.grad(), to_matrix(c.at("grad")), what + ": d sum(out * R) / dx");
    }
}

TEST_CASE("optimizers follow PyTorch's parameters step by step", "[torch]") {
    const json& P = reference().at("optimizers");
    const Matrix weight0 = to_matrix(P.at("weight"));
    const Matrix bias0 = to_matrix(P.at("bias"));
    const json& grads = P.at("grads");

    for (const json& c : P.at("configs")) {
        const std::string name = c.at("name");
        const std::string what = "optimizer " + name + " (" + c.at("optimizer").get<std::string>() +
                                 " " + c.at("options").dump() + ")";
        Tensor w(weight0, true), b(bias0, true);
        auto opt = make_optimizer(c.at("optimizer"), c.at("options"), {w, b}, what);
        const json& steps = c.at("steps");
        REQUIRE(steps.size() == grads.size());
        for (size_t s = 0; s < steps.size(); ++s) {
            w.mutable_grad() = to_matrix(grads[s].at("weight"));
            b.mutable_grad() = to_matrix(grads[s].at("bias"));
            opt->step();
            const std::string at = what + ", after step " + std::to_string(s + 1);
            const Matrix want_w = to_matrix(steps[s].at("weight"));
            const Matrix want_b = to_matrix(steps[s].at("bias"));
            check_close(w.value(), want_w, at + ": weight");
            check_close(b.value(), want_b, at + ": bias");
            // The distance travelled, to 1e-4 of itself: with a small lr (Adam's 1e-3 moves a
            // weight ~1e-3 a step) the check above would let a step be ~1% off. The floor of 2e-6
            // is a few float32 ulps of parameters near 2, accumulated over the steps.
            check_close(w.value() - weight0, want_w - weight0, at + ": weight - initial weight",
                        1e-4, 2e-6);
            check_close(b.value() - bias0, want_b - bias0, at + ": bias - initial bias", 1e-4, 2e-6);
        }
    }
}

TEST_CASE("LR schedulers give PyTorch's lr at every epoch", "[torch]") {
    const json& S = reference().at("schedulers");
    const double base_lr = S.at("base_lr");
    const double tol = 1e-6 * base_lr;

    for (const json& c : S.at("cases")) {
        const std::string name = c.at("name");
        INFO("scheduler " << name << " " << c.at("args").dump() << ", base lr " << base_lr);
        Tensor p(Matrix::Zero(1, 1), true);
        optim::SGD opt({p}, {.lr = base_lr});
        auto sched = make_scheduler(name, c.at("args"), opt);
        const std::vector<double> want = c.at("lr");
        std::ostringstream report;
        report << std::setprecision(12);
        int bad = 0;
        for (size_t epoch = 0; epoch < want.size(); ++epoch) {
            if (epoch > 0) {
                opt.step();
                sched->step();
            }
            const double got = opt.lr();
            if (!(std::abs(got - want[epoch]) <= tol)) {
                report << "  epoch " << epoch << ": hebb " << got << " torch " << want[epoch]
                       << " |diff| " << std::abs(got - want[epoch]) << "\n";
                ++bad;
            }
        }
        INFO(bad << " of " << want.size() << " epochs differ (tol " << tol << "):\n" << report.str());
        CHECK(bad == 0);
    }
}

TEST_CASE("a PyTorch-written MLP checkpoint loads and gives PyTorch's output", "[torch]") {
    const json& M = reference().at("mlp");
    REQUIRE(M.at("file") == "torch_mlp.safetensors");
    const training::Checkpoint loaded = training::load_checkpoint(HEBB_FIXTURES "/torch_mlp.safetensors");

    CHECK(loaded.spec.arch == "6-5-4-3");
    CHECK(loaded.spec.activation == "relu");
    CHECK_FALSE(loaded.run);
    REQUIRE(loaded.model);
    CHECK(loaded.model->size() == 5);

    // The same keys as PyTorch's state_dict, in its order, with biases 1-D.
    const StateDict state = loaded.model->state_dict();
    const std::vector<std::string> keys = M.at("keys");
    REQUIRE(state.size() == keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        INFO("state_dict entry " << i);
        CHECK(state[i].name == keys[i]);
        CHECK(state[i].shape.size() == (keys[i].ends_with(".bias") ? 1u : 2u));
    }

    loaded.model->eval();
    NoGradGuard no_grad;
    const Tensor y = loaded.model->forward(Tensor(to_matrix(M.at("input"))));
    check_close(y.value(), to_matrix(M.at("output")), "MLP output on the stored batch");
}
