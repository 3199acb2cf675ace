#include <catch2/catch.hpp>

#include "hebb.h"

using namespace hebb;

TEST_CASE("L1 and L2 cover every Linear weight and no bias", "[reg]") {
    auto net = nn::mlp({{3, 4, 2}, "relu"});
    auto params = net->named_parameters();
    const Matrix& w0 = params[0].second.value();
    const Matrix& w2 = params[2].second.value();

    const Tensor l1 = reg::L1(0.5f)(*net);
    CHECK(l1.item() == Approx(0.5 * (w0.cwiseAbs().sum() + w2.cwiseAbs().sum())));
    l1.backward();
    CHECK(params[0].second.grad() == Matrix(0.5f * w0.array().sign()));
    CHECK(params[2].second.grad() == Matrix(0.5f * w2.array().sign()));
    CHECK_FALSE(params[1].second.has_grad());  // 0.bias untouched
    net->zero_grad();

    const Tensor l2 = reg::L2(0.25f)(*net);
    CHECK(l2.item() == Approx(0.25 * (w0.squaredNorm() + w2.squaredNorm())));
    l2.backward();
    CHECK(params[2].second.grad().isApprox(Matrix(0.5f * w2.array())));
    CHECK_FALSE(params[3].second.has_grad());
}

TEST_CASE("regularizers are made by name", "[reg]") {
    CHECK(reg::make_regularizer("none", 1.0f) == nullptr);
    CHECK(reg::make_regularizer("l1", 1.0f) != nullptr);
    CHECK_THROWS_WITH(reg::make_regularizer("l3", 1.0f), Catch::Contains("use none, l1, l2, bean1 or bean2"));
    CHECK_THROWS_WITH(reg::make_regularizer("l1", -1.0f), Catch::Contains("alpha must be >= 0"));
    auto net = nn::mlp({{3, 4, 2}, "relu"});
    CHECK(nn::linear_layers(*net).size() == 2);
}
