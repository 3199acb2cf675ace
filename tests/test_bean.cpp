// BEAN's fused node against three independent references: the definition computed literally with
// loops, the same term composed from the engine's primitive ops, and PyTorch running the reference
// code's formula (fixtures); plus gradchecks, gradient flow and the alpha = 0 case.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hebb.h"

using namespace hebb;

namespace {

// R = (1/n^2) sum_ij C_ij D_ij straight from the definition, in double.
double bean_by_loops(const Matrix& weight, const Matrix& H, int order, double gamma) {
    const Eigen::Index n = H.cols(), m = weight.rows(), B = H.rows();
    double total = 0.0;
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < n; ++j) {
            double s = 0.0, d = 0.0;
            for (Eigen::Index k = 0; k < m; ++k)
                s += std::abs(std::tanh(gamma * weight(k, i))) * std::abs(std::tanh(gamma * weight(k, j)));
            for (Eigen::Index b = 0; b < B; ++b) d += std::pow(double(H(b, i)) - H(b, j), 2) / double(B);
            total += (order == 1 ? s : s * s) * d;
        }
    return total / double(n * n);
}

// The same term from primitive ops: C from A = |tanh(gamma W)|, D from q and H^T H.
Tensor bean_composed(const Tensor& weight, const Tensor& H, int order, float gamma) {
    const Tensor a = abs(tanh(weight * gamma));  // A^T (m x n)
    Tensor c = matmul(transpose(a), a);           // (n x n)
    if (order == 2) c = c * c;
    const float batch = static_cast<float>(H.rows());
    const Tensor q = sum(square(H), 0) / batch;  // (1 x n)
    const Tensor d = transpose(q) + q - matmul(transpose(H), H) * (2.0f / batch);
    return mean(c * d);
}

Generator gen(77);

Matrix relu_like(Eigen::Index rows, Eigen::Index cols) {
    return randn(rows, cols, gen).value().cwiseMax(0.0f) + Matrix::Constant(rows, cols, 0.05f);
}

}  // namespace

// Layer shapes (out m, in n, batch B) for which order 2 takes each of its two forms.
struct LayerShape {
    Eigen::Index m, n, batch;
};
const LayerShape input_pairs{6, 9, 11}, output_pairs{2, 24, 6};

TEST_CASE("order 2 takes the form with fewer multiply-adds", "[bean]") {
    CHECK_FALSE(reg::bean2_by_output_pairs(input_pairs.m, input_pairs.n, input_pairs.batch));
    CHECK(reg::bean2_by_output_pairs(output_pairs.m, output_pairs.n, output_pairs.batch));
    CHECK_FALSE(reg::bean2_by_output_pairs(1024, 1024, 256));  // 784-1024-1024-10's hidden layer
    CHECK(reg::bean2_by_output_pairs(10, 1024, 256));          // and its output layer
}

TEST_CASE("the fused BEAN term equals the definition computed with loops", "[bean]") {
    for (const LayerShape& shape : {input_pairs, output_pairs})
        for (int order : {1, 2})
            for (float gamma : {1.0f, 0.5f}) {
                INFO("shape " << shape.m << " x " << shape.n << " order " << order << " gamma " << gamma);
                const Matrix w = randn(shape.m, shape.n, gen).value(), h = relu_like(shape.batch, shape.n);
                const float fused = reg::bean_term(Tensor(w), Tensor(h), order, gamma).item();
                CHECK(fused == Approx(bean_by_loops(w, h, order, gamma)).epsilon(1e-5));
            }
}

TEST_CASE("the fused BEAN node matches the term composed from primitive ops, value and gradients", "[bean]") {
    for (const LayerShape& shape : {LayerShape{5, 8, 7}, output_pairs})
        for (int order : {1, 2}) {
            INFO("shape " << shape.m << " x " << shape.n << " order " << order);
            const Matrix w = randn(shape.m, shape.n, gen).value(), h = relu_like(shape.batch, shape.n);
            Tensor w1(w, true), h1(h, true), w2(w, true), h2(h, true);
            const Tensor fused = reg::bean_term(w1, h1, order, 0.8f);
            const Tensor composed = bean_composed(w2, h2, order, 0.8f);
            CHECK(fused.item() == Approx(composed.item()).epsilon(1e-5));
            fused.backward();
            composed.backward();
            CHECK(w1.grad().isApprox(w2.grad(), 1e-4f));
            CHECK(h1.grad().isApprox(h2.grad(), 1e-4f));
        }
}

TEST_CASE("gradcheck of BEAN in W and H, both orders", "[bean][gradcheck]") {
    for (const LayerShape& shape : {LayerShape{4, 6, 5}, output_pairs})
        for (int order : {1, 2}) {
            INFO("shape " << shape.m << " x " << shape.n << " order " << order);
            const Tensor w(randn(shape.m, shape.n, gen).value()), h(relu_like(shape.batch, shape.n));
            const auto fn = [order](const std::vector<Tensor>& v) { return reg::bean_term(v[0], v[1], order, 1.0f) * 10.0f; };
            const GradcheckResult r = gradcheck(fn, {w, h});
            INFO(r.worst);
            CHECK(r.ok);
        }
}

TEST_CASE("BEAN matches PyTorch running the reference formula", "[bean][torch]") {
    std::ifstream in(HEBB_FIXTURES "/torch_reference.json");
    REQUIRE(in);
    const auto ref = nlohmann::json::parse(in);
    const auto matrix = [](const nlohmann::json& rows) {
        Matrix m(rows.size(), rows[0].size());
        for (size_t i = 0; i < rows.size(); ++i)
            for (size_t j = 0; j < rows[i].size(); ++j) m(i, j) = rows[i][j].get<float>();
        return m;
    };
    REQUIRE(ref["bean"].size() == 4);
    for (const auto& c : ref["bean"]) {
        const int order = c["order"];
        const float gamma = c["gamma"];
        INFO("order " << order << " gamma " << gamma);
        Tensor w(matrix(c["weight"]), true), h(matrix(c["input"]), true);
        const Tensor r = reg::bean_term(w, h, order, gamma);
        CHECK(r.item() == Approx(c["value"].get<double>()).epsilon(1e-5));
        r.backward();
        const Matrix gw = matrix(c["grad_weight"]), gh = matrix(c["grad_input"]);
        CHECK((w.grad() - gw).cwiseAbs().maxCoeff() <= 1e-5f * gw.cwiseAbs().maxCoeff());
        CHECK((h.grad() - gh).cwiseAbs().maxCoeff() <= 1e-5f * gh.cwiseAbs().maxCoeff());
    }
}

TEST_CASE("BEAN's gradient flows into earlier layers and the default covers hidden inputs", "[bean]") {
    auto net = nn::mlp({{6, 5, 4, 3}, "relu"}, gen);
    const Tensor x(randn(8, 6, gen).value());
    (*net)(x);
    const reg::BEAN bean(1.0f, 1);
    CHECK(bean.covered(*net) == std::vector<size_t>{1, 2});
    CHECK(reg::BEAN(1.0f, 1, 1.0f, "all").covered(*net) == std::vector<size_t>{0, 1, 2});
    CHECK(reg::BEAN(1.0f, 1, 1.0f, "0,2").covered(*net) == std::vector<size_t>{0, 2});
    bean(*net).backward();
    const auto params = net->named_parameters();
    // The first layer is not covered, but its weights feed the covered layers' inputs.
    CHECK(params[0].second.grad().cwiseAbs().sum() > 0.0f);  // 0.weight, through H
    CHECK(params[2].second.grad().cwiseAbs().sum() > 0.0f);  // 2.weight: its own term and through H
    CHECK_FALSE(params[5].second.has_grad());             // 4.bias: nothing depends on it

    // The term of the whole model is alpha times the sum of the covered layers' terms.
    const auto linears = nn::linear_layers(*net);
    const float expected = 0.5f * (reg::bean_term(linears[1]->weight, linears[1]->input(), 2).item() +
                                   reg::bean_term(linears[2]->weight, linears[2]->input(), 2).item());
    CHECK(reg::BEAN(0.5f, 2)(*net).item() == Approx(expected).epsilon(1e-6));

    CHECK_THROWS_WITH(reg::BEAN(1.0f, 1, 1.0f, "1,x"), Catch::Contains("layers '1,x': 'x' is not a Linear index"));
    CHECK_THROWS_WITH(reg::BEAN(1.0f, 1, 1.0f, "3").covered(*net), Catch::Contains("has 3 Linear layers"));
    CHECK_THROWS_WITH(reg::BEAN(1.0f, 1, 1.0f, "hidden").covered(*nn::mlp({{6, 3}})), Catch::Contains("selects no layer"));
    CHECK_THROWS_WITH(reg::BEAN(1.0f, 3), Catch::Contains("order must be 1 or 2"));
}

TEST_CASE("BEAN with alpha 0 trains exactly like no regularizer", "[bean]") {
    const auto train = [](bool with_bean) {
        Generator g(5);
        auto net = nn::mlp({{4, 8, 8, 3}, "relu"}, g);
        optim::Adam adam(net->parameters(), {.lr = 0.01});
        const reg::BEAN bean(0.0f, 2);
        const Tensor x(randn(16, 4, g).value());
        const std::vector<int> y{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
        for (int step = 0; step < 5; ++step) {
            adam.zero_grad();
            Tensor loss = cross_entropy((*net)(x), y);
            if (with_bean) loss = loss + bean(*net);
            loss.backward();
            adam.step();
        }
        return net->state_dict();
    };
    const StateDict plain = train(false), zero = train(true);
    for (size_t i = 0; i < plain.size(); ++i) CHECK(plain[i].value == zero[i].value);
}

TEST_CASE("BEAN shrinks weights between neurons that fire differently", "[bean]") {
    // Gradient descent on R alone: every weight's gradient has the sign of the weight.
    const Tensor w(randn(6, 10, gen).value(), true), h(relu_like(12, 10));
    reg::bean_term(w, h, 1).backward();
    CHECK(((w.grad().array() * w.value().array()) >= 0.0f).all());
}

TEST_CASE("BEAN on LeNet-5 covers fc1, fc2 and fc3 by the definition, and its gradient reaches the convs", "[bean]") {
    Generator g(11);
    const nn::Model lenet = nn::build_model({"lenet5"}, g);
    const Tensor x(rand(4, 784, g).value());
    (*lenet.net)(x);
    // Every dense layer reads conv features or a hidden layer, none the raw pixels.
    CHECK(reg::BEAN(1.0f).covered(*lenet.net) == std::vector<size_t>{0, 1, 2});
    const auto linears = nn::linear_layers(*lenet.net);
    REQUIRE(linears[0]->input().cols() == 400);  // the 16x5x5 pooled conv features
    for (int order : {1, 2}) {
        double expected = 0.0;
        for (const nn::Linear* l : linears) expected += bean_by_loops(l->weight.value(), l->input().value(), order, 1.0);
        CHECK(reg::BEAN(3.0f, order)(*lenet.net).item() == Approx(3.0 * expected).epsilon(1e-5));
    }

    // Its gradient into the first conv's weights against finite differences, through both pools.
    const auto conv_net = [&](const std::vector<Tensor>& in) {
        nn::Sequential& net = *lenet.net;
        nn::Conv2d& conv = dynamic_cast<nn::Conv2d&>(net[0]);
        conv.weight.value() = in[0].value();
        lenet.net->zero_grad();
        (*lenet.net)(x);
        return reg::BEAN(3.0f, 1)(*lenet.net);
    };
    Tensor w0(dynamic_cast<nn::Conv2d&>((*lenet.net)[0]).weight.value());
    w0.requires_grad_(true);
    const auto analytic = [&] {
        nn::Conv2d& conv = dynamic_cast<nn::Conv2d&>((*lenet.net)[0]);
        conv.weight.value() = w0.value();
        lenet.net->zero_grad();
        (*lenet.net)(x);
        reg::BEAN(3.0f, 1)(*lenet.net).backward();
        return conv.weight.grad();
    }();
    CHECK(analytic.cwiseAbs().maxCoeff() > 0.0f);
    // Central differences of the term itself, entry by entry over the 150 conv weights.
    Matrix numeric(analytic.rows(), analytic.cols());
    const float eps = 1e-2f;
    for (Eigen::Index i = 0; i < w0.value().size(); ++i) {
        Tensor plus(w0.value()), minus(w0.value());
        plus.value().data()[i] += eps, minus.value().data()[i] -= eps;
        numeric.data()[i] = (conv_net({plus}).item() - conv_net({minus}).item()) / (2 * eps);
    }
    CHECK((analytic - numeric).cwiseAbs().maxCoeff() <= 1e-3f + 5e-3f * numeric.cwiseAbs().maxCoeff());
}
