#include <catch2/catch.hpp>
#include <cmath>

#include "hebb.h"

using namespace hebb;

namespace {

Generator gen(2024);

// Random entries kept at least 0.2 away from zero, so kinks (relu, abs) are never crossed by eps.
Tensor away_from_zero(Eigen::Index r, Eigen::Index c) {
    Matrix m = randn(r, c, gen).value();
    m = m.array().sign() * (m.array().abs() + 0.2f);
    return Tensor(m);
}
Tensor positive(Eigen::Index r, Eigen::Index c) {
    return Tensor(Matrix(randn(r, c, gen).value().array().abs() + 0.5f));
}

void require_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                       const std::vector<Tensor>& inputs) {
    const GradcheckResult r = gradcheck(fn, inputs);
    INFO(r.worst);
    REQUIRE(r.ok);
}

using In = const std::vector<Tensor>&;

}  // namespace

TEST_CASE("gradcheck passes for every unary op", "[ops][gradcheck]") {
    const Tensor x = away_from_zero(3, 4);
    require_gradcheck([](In v) { return neg(v[0]); }, {x});
    require_gradcheck([](In v) { return exp(v[0]); }, {x});
    require_gradcheck([](In v) { return log(v[0]); }, {positive(3, 4)});
    require_gradcheck([](In v) { return sqrt(v[0]); }, {positive(3, 4)});
    require_gradcheck([](In v) { return pow(v[0], 3.0f); }, {x});
    require_gradcheck([](In v) { return pow(v[0], -1.5f); }, {positive(3, 4)});
    require_gradcheck([](In v) { return abs(v[0]); }, {x});
    require_gradcheck([](In v) { return square(v[0]); }, {x});
    require_gradcheck([](In v) { return relu(v[0]); }, {x});
    require_gradcheck([](In v) { return leaky_relu(v[0], 0.1f); }, {x});
    require_gradcheck([](In v) { return sigmoid(v[0]); }, {x});
    require_gradcheck([](In v) { return tanh(v[0]); }, {x});
    require_gradcheck([](In v) { return gelu(v[0]); }, {x});
    require_gradcheck([](In v) { return transpose(v[0]); }, {x});
    require_gradcheck([](In v) { return softmax(v[0]); }, {x});
    require_gradcheck([](In v) { return log_softmax(v[0]); }, {x});
}

TEST_CASE("gradcheck passes for reductions", "[ops][gradcheck]") {
    const Tensor x = away_from_zero(3, 4);
    require_gradcheck([](In v) { return sum(v[0]); }, {x});
    require_gradcheck([](In v) { return sum(v[0], 0); }, {x});
    require_gradcheck([](In v) { return sum(v[0], 1); }, {x});
    require_gradcheck([](In v) { return mean(v[0]); }, {x});
    require_gradcheck([](In v) { return mean(v[0], 0); }, {x});
    require_gradcheck([](In v) { return mean(v[0], 1); }, {x});
}

TEST_CASE("gradcheck passes for binary ops with every broadcast", "[ops][gradcheck]") {
    const Tensor full = away_from_zero(3, 4);
    const std::vector<Tensor> others{away_from_zero(3, 4), away_from_zero(1, 4),
                                     away_from_zero(3, 1), away_from_zero(1, 1)};
    for (const Tensor& other : others) {
        INFO("other operand " << other.shape());
        for (int order = 0; order < 2; ++order) {
            const Tensor a = order ? other : full, b = order ? full : other;
            require_gradcheck([](In v) { return add(v[0], v[1]); }, {a, b});
            require_gradcheck([](In v) { return sub(v[0], v[1]); }, {a, b});
            require_gradcheck([](In v) { return mul(v[0], v[1]); }, {a, b});
            require_gradcheck([](In v) { return div(v[0], v[1]); }, {a, b});
        }
    }
    // A column against a row stretches both: (3x1) + (1x4) -> (3x4)
    require_gradcheck([](In v) { return mul(v[0], v[1]); }, {away_from_zero(3, 1), away_from_zero(1, 4)});
}

TEST_CASE("gradcheck passes for products and losses", "[ops][gradcheck]") {
    require_gradcheck([](In v) { return matmul(v[0], v[1]); }, {away_from_zero(3, 5), away_from_zero(5, 2)});
    require_gradcheck([](In v) { return linear(v[0], v[1], v[2]); },
                      {away_from_zero(4, 5), away_from_zero(3, 5), away_from_zero(1, 3)});
    require_gradcheck([](In v) { return linear(v[0], v[1]); }, {away_from_zero(4, 5), away_from_zero(3, 5)});
    const std::vector<int> labels{0, 2, 1, 2};
    require_gradcheck([&](In v) { return cross_entropy(v[0], labels); }, {away_from_zero(4, 3)});
    require_gradcheck([&](In v) { return cross_entropy(v[0], labels, 0.2f); }, {away_from_zero(4, 3)});
    require_gradcheck([&](In v) { return nll_loss(log_softmax(v[0]), labels); }, {away_from_zero(4, 3)});
    require_gradcheck([](In v) { return mse_loss(v[0], v[1]); }, {away_from_zero(4, 3), away_from_zero(4, 3)});
}

TEST_CASE("linear_relu is relu(linear) in one op, its value and every gradient", "[ops]") {
    Generator gen(11);
    for (bool has_bias : {false, true}) {
        const Tensor x = randn(33, 20, gen).requires_grad_(), w = randn(17, 20, gen).requires_grad_();
        const Tensor b = has_bias ? randn(1, 17, gen).requires_grad_() : Tensor();
        const Tensor fused = linear_relu(x, w, b), apart = relu(linear(x, w, b));
        CHECK((fused.value() - apart.value()).cwiseAbs().maxCoeff() <= 1e-5f);
        CHECK((fused.value().array() == 0.0f).count() > 100);  // about half the entries are masked
        const Tensor upstream = randn(33, 17, gen);
        std::vector<Matrix> grads;
        for (const Tensor& y : {fused, apart}) {
            for (Tensor t : {x, w, b}) if (t.defined()) t.zero_grad();
            sum(mul(y, upstream)).backward();
            for (const Tensor& t : {x, w, b}) if (t.defined()) grads.push_back(t.grad());
        }
        const size_t n = grads.size() / 2;
        for (size_t i = 0; i < n; ++i) CHECK((grads[i] - grads[n + i]).cwiseAbs().maxCoeff() <= 1e-4f);
    }
    // Inputs whose pre-activations stay away from ReLU's kink: central differences agree.
    require_gradcheck([](In v) { return linear_relu(v[0], v[1], v[2]); },
                      {Tensor::from({{1, 2}, {-1, 3}}), Tensor::from({{1, 1}, {-1, 0.5f}, {0.5f, -2}}),
                       Tensor::from({{0.25f, -0.5f, 0.5f}})});
}

TEST_CASE("a Sequential runs a Linear and its ReLU as linear_relu, with the same result", "[ops]") {
    Generator gen(12);
    const auto net = nn::mlp({{6, 8, 8, 3}, "relu"}, gen);
    const Tensor x = randn(5, 6, gen);
    Tensor apart = x;
    for (size_t i = 0; i < net->size(); ++i) apart = (*net)[i](apart);  // each module's own forward
    const Tensor fused = (*net)(x);
    CHECK((fused.value() - apart.value()).cwiseAbs().maxCoeff() <= 1e-5f);
    // Two hidden layers fused, the output layer alone, no separate ReLU.
    const std::string graph = to_dot(fused);
    size_t fused_ops = 0;
    for (size_t at = 0; (at = graph.find("linear_relu", at)) != std::string::npos; ++at) ++fused_ops;
    CHECK(fused_ops == 2);
    CHECK(graph.find("\"relu") == std::string::npos);
}

TEST_CASE("gradcheck catches a 1% error in one gradient entry", "[ops][gradcheck]") {
    // y = x^2 whose backward is wrong by 1% in entry (1, 2) only.
    const auto wrong_square = [](In v) {
        return make_result(v[0].value().array().square(), "wrong_square", {v[0]}, [](Node& y) {
            Matrix d = 2.0f * y.grad.array() * y.parents[0]->value.array();
            d(1, 2) *= 1.01f;
            y.parents[0]->grad_buffer() += d;
        });
    };
    const Tensor x = Tensor(Matrix::Constant(2, 3, 1.0f) + randn(2, 3, gen).value() * 0.1f);
    const GradcheckResult r = gradcheck(wrong_square, {x});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.worst, Catch::Contains("entry (1,2)"));
}

TEST_CASE("ops compute hand-derived values", "[ops]") {
    const Tensor s = softmax(Tensor::from({{0.0f, std::log(2.0f)}, {1000, 1000}}));
    CHECK(s.value()(0, 0) == Approx(1.0 / 3));
    CHECK(s.value()(0, 1) == Approx(2.0 / 3));
    CHECK(s.value()(1, 0) == Approx(0.5));  // no overflow at large logits
    const Tensor ls = log_softmax(Tensor::from({{0, 0, 0, 0}}));
    CHECK(ls.value()(0, 3) == Approx(-std::log(4.0)));
    // gelu(1) = Phi(1) = 0.841344746..., gelu(-1) = -(1 - Phi(1))
    const Tensor g = gelu(Tensor::from({{1, -1}}));
    CHECK(g.value()(0, 0) == Approx(0.8413447));
    CHECK(g.value()(0, 1) == Approx(-0.1586553));
    CHECK(sigmoid(Tensor::from({{0}})).item() == 0.5f);
    CHECK(leaky_relu(Tensor::from({{-2}}), 0.1f).item() == Approx(-0.2));
    // Two classes with equal logits: loss ln 2 whatever the label; smoothing changes nothing then.
    const std::vector<int> labels{1};
    CHECK(cross_entropy(Tensor::from({{3, 3}}), labels).item() == Approx(std::log(2.0)));
    CHECK(cross_entropy(Tensor::from({{3, 3}}), labels, 0.5f).item() == Approx(std::log(2.0)));
    // logits (0, ln 3): p = (1/4, 3/4); label 0 -> ln 4; smoothing 0.2: 0.9 ln 4 + 0.1 ln(4/3)
    const std::vector<int> zero{0};
    const Tensor z = Tensor::from({{0, std::log(3.0f)}});
    CHECK(cross_entropy(z, zero).item() == Approx(std::log(4.0)));
    CHECK(cross_entropy(z, zero, 0.2f).item() == Approx(0.9 * std::log(4.0) + 0.1 * std::log(4.0 / 3)));
    CHECK(mse_loss(Tensor::from({{1, 2}}), Tensor::from({{3, 2}})).item() == Approx(2.0));
    const Tensor m = matmul(Tensor::from({{1, 2}, {3, 4}}), Tensor::from({{5}, {6}}));
    CHECK(m.value()(0, 0) == 17);
    CHECK(m.value()(1, 0) == 39);
    const Tensor l = linear(Tensor::from({{1, 2}}), Tensor::from({{1, 0}, {0, 1}, {1, 1}}), Tensor::from({{10, 20, 30}}));
    CHECK(l.value() == Tensor::from({{11, 22, 33}}).value());
    CHECK(sum(Tensor::from({{1, 2}, {3, 4}}), 0).value() == Tensor::from({{4, 6}}).value());
    CHECK(mean(Tensor::from({{1, 2}, {3, 4}}), 1).value() == Tensor::from({{1.5}, {3.5}}).value());
    CHECK((Tensor::from({{1, 2}, {3, 4}}) - Tensor::from({{1, 1}})).value() == Tensor::from({{0, 1}, {2, 3}}).value());
    CHECK((1.0f / Tensor::from({{2, 4}})).value() == Tensor::from({{0.5, 0.25}}).value());
}

TEST_CASE("a batch of no rows passes through the layers as NumPy broadcasts it", "[ops]") {
    // A rank of a data-parallel job without rows in a batch still runs the forward pass (dropout).
    const Tensor none(Matrix(0, 4)), bias = Tensor::from({{1, 2, 3, 4}});
    CHECK(add(none, bias).shape() == "(0x4)");
    CHECK(add(bias, none).shape() == "(0x4)");
    CHECK(mul(none, Tensor::scalar(2.0f)).shape() == "(0x4)");
    CHECK(add(bias, Tensor::scalar(1.0f)).value() == Tensor::from({{2, 3, 4, 5}}).value());
    Generator gen(1);
    auto net = nn::mlp({{4, 8, 3}, "relu", 0.5f}, gen);
    CHECK((*net)(none).shape() == "(0x3)");
}

TEST_CASE("shape errors name the op and both shapes", "[ops]") {
    const Tensor a = Tensor::zeros(64, 784), w = Tensor::zeros(512, 256);
    CHECK_THROWS_WITH(matmul(a, w), "matmul: cannot multiply (64x784) by (512x256)");
    CHECK_THROWS_WITH(linear(a, w), Catch::Contains("linear: input (64x784) does not fit weight (512x256)"));
    CHECK_THROWS_WITH(add(Tensor::zeros(3, 4), Tensor::zeros(2, 4)), "add: cannot broadcast (3x4) with (2x4)");
    CHECK_THROWS_WITH(mse_loss(Tensor::zeros(3, 4), Tensor::zeros(4, 3)), Catch::Contains("(3x4) and (4x3)"));
    const std::vector<int> bad{0, 5};
    CHECK_THROWS_WITH(cross_entropy(Tensor::zeros(2, 3), bad), Catch::Contains("label 5 at row 1"));
    CHECK_THROWS_WITH(cross_entropy(Tensor::zeros(3, 3), bad), Catch::Contains("2 labels for (3x3)"));
    CHECK_THROWS_WITH(sum(Tensor::zeros(2, 2), 2), Catch::Contains("dim must be 0 or 1"));
}

TEST_CASE("BEAN's reference definition is expressible with these ops", "[ops]") {
    // R = (1/n^2) sum_ij C_ij D_ij with C = A A^T, A = |tanh(W)|, D_ij = mean_b (H_bi - H_bj)^2,
    // composed from primitive ops and compared with plain loops.
    const Tensor w = away_from_zero(4, 3), h = away_from_zero(5, 4);
    const auto bean = [](In v) {
        const Tensor a = abs(tanh(v[0]));
        const Tensor c = matmul(a, transpose(a));
        const Tensor q = mean(square(v[1]), 0);                          // (1 x n)
        const Tensor cross = matmul(transpose(v[1]), v[1]) / static_cast<float>(v[1].rows());
        const Tensor d = transpose(q) + q - cross * 2.0f;                // (n x n)
        return mean(c * d);
    };
    double expected = 0.0;
    const Matrix& W = w.value();
    const Matrix& H = h.value();
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            double c = 0.0, d = 0.0;
            for (int k = 0; k < 3; ++k) c += std::abs(std::tanh(W(i, k))) * std::abs(std::tanh(W(j, k)));
            for (int b = 0; b < 5; ++b) d += std::pow(H(b, i) - H(b, j), 2) / 5.0;
            expected += c * d / 16.0;
        }
    CHECK(bean({w, h}).item() == Approx(expected).epsilon(1e-5));
    require_gradcheck(bean, {w, h});
}

TEST_CASE("accumulate_grad sums a gradient over the dimensions its parent was broadcast along", "[ops]") {
    const Matrix g = Tensor::from({{1, 2, 3}, {4, 5, 6}}).value();  // (2x3)
    Tensor full = Tensor::zeros(2, 3).requires_grad_(), row = Tensor::zeros(1, 3).requires_grad_(),
           column = Tensor::zeros(2, 1).requires_grad_(), scalar = Tensor::scalar(0).requires_grad_(),
           constant = Tensor::zeros(2, 3);
    for (Tensor* t : {&full, &row, &column, &scalar, &constant}) accumulate_grad(*t->node(), g);
    accumulate_grad(*full.node(), 2.0f * g.array());  // adds to what is there; an expression is fine
    CHECK(full.grad() == 3.0f * g);
    CHECK(row.grad() == Tensor::from({{5, 7, 9}}).value());
    CHECK(column.grad() == Tensor::from({{6}, {15}}).value());
    CHECK(scalar.grad()(0, 0) == 21);
    CHECK_FALSE(constant.has_grad());  // needs no gradient: none is allocated
    Tensor other = Tensor::zeros(3, 3).requires_grad_();
    CHECK_THROWS_WITH(accumulate_grad(*other.node(), g),
                      "accumulate_grad: a (2x3) gradient does not sum into the leaf (3x3)");
}

TEST_CASE("an op written outside the engine broadcasts with accumulate_grad", "[ops][gradcheck]") {
    // y = x * w * w with w (1 x c) stretched over the rows; dx = g w^2, dw = sum over rows of 2 g x w.
    const auto scale_twice = [](In v) {
        const Matrix& x = v[0].value();
        const Matrix w2 = v[1].value().array().square();
        return make_result(x.array().rowwise() * w2.row(0).array(), "scale_twice", {v[0], v[1]}, [](Node& y) {
            const Matrix& x = y.parents[0]->value;
            const Matrix& w = y.parents[1]->value;
            accumulate_grad(*y.parents[0], y.grad.array().rowwise() * w.row(0).array().square());
            accumulate_grad(*y.parents[1], (2.0f * y.grad.array() * x.array()).rowwise() * w.row(0).array());
        });
    };
    require_gradcheck(scale_twice, {away_from_zero(4, 3), away_from_zero(1, 3)});
}
