#include <catch2/catch.hpp>
#include <cmath>
#include <tuple>

#include "hebb.h"

using namespace hebb;

TEST_CASE("backward computes a hand-derived gradient", "[tensor]") {
    // f = sum(a * b + a), df/da = b + 1, df/db = a
    Tensor a = Tensor::from({{1, 2}, {3, 4}}, true);
    Tensor b = Tensor::from({{5, 6}, {7, 8}}, true);
    Tensor f = sum(a * b + a);
    REQUIRE(f.item() == Approx(5 + 12 + 21 + 32 + 10));
    f.backward();
    CHECK(a.grad()(0, 0) == 6);
    CHECK(a.grad()(1, 1) == 9);
    CHECK(b.grad()(0, 1) == 2);
    CHECK(b.grad()(1, 0) == 3);
}

TEST_CASE("a node used twice receives both contributions", "[tensor]") {
    // y = x * x through one node: dy/dx = 2x
    Tensor x = Tensor::from({{3}}, true);
    Tensor y = x * x;
    y.backward();
    CHECK(x.grad()(0, 0) == 6);

    // A shared intermediate: h = 2x, f = h*h + h, df/dx = (2h + 1) * 2
    Tensor x2 = Tensor::from({{1.5}}, true);
    Tensor h = x2 * 2.0f;
    (h * h + h).backward();
    CHECK(x2.grad()(0, 0) == Approx((2 * 3.0 + 1) * 2));
}

TEST_CASE("gradients of leaves accumulate across backward calls", "[tensor]") {
    Tensor x = Tensor::from({{2}}, true);
    Tensor f = x * 3.0f;
    f.backward(true);
    f.backward();  // the same graph again: intermediate grads restart, the leaf's adds up
    CHECK(x.grad()(0, 0) == 6);
    x.zero_grad();
    CHECK_FALSE(x.has_grad());
    (x * 4.0f).backward();
    CHECK(x.grad()(0, 0) == 4);
}

TEST_CASE("a second backward through a graph throws unless the first retained it", "[tensor]") {
    const Tensor x = Tensor::from({{1, 2}}, true);
    const std::vector<int> label{1};
    const Tensor h = x * 2.0f;
    const Tensor loss = cross_entropy(h, label);
    loss.backward();
    CHECK(loss.node()->saved == nullptr);  // what the backward needed is freed, as in PyTorch
    const Matrix once = x.grad();
    const auto again = Catch::Contains("backward through a graph that was already backpropagated (at its mul): call "
                                       "backward(true) the first time (PyTorch's retain_graph), or recompute the forward pass");
    CHECK_THROWS_WITH(loss.backward(), again);
    CHECK_THROWS_WITH(sum(h).backward(), again);  // a new loss on a spent part of the graph
    CHECK(x.grad() == once);                      // nothing was sent

    const Tensor kept = cross_entropy(x * 2.0f, label);  // a new forward pass works, and retains
    kept.backward(true);
    CHECK(kept.node()->saved != nullptr);
    kept.backward();
    CHECK(x.grad() == 3.0f * once);
}

TEST_CASE("backward is iterative and survives a very deep graph", "[tensor]") {
    Tensor x = Tensor::from({{1}}, true);
    Tensor y = x;
    for (int i = 0; i < 200000; ++i) y = y + 1.0f;
    y.backward();
    CHECK(x.grad()(0, 0) == 1);
}

TEST_CASE("NoGradGuard and detach record no graph", "[tensor]") {
    Tensor x = Tensor::from({{1, 2}}, true);
    {
        NoGradGuard guard;
        Tensor y = x * 2.0f;
        CHECK_FALSE(y.requires_grad());
        CHECK(y.node()->parents.empty());
        CHECK_FALSE(grad_enabled());
    }
    CHECK(grad_enabled());
    Tensor d = (x * 2.0f).detach();
    CHECK_FALSE(d.requires_grad());
    Tensor z = sum(d * x);
    z.backward();
    CHECK(x.grad()(0, 1) == 4);  // d is a constant (2, 4)
}

TEST_CASE("misuse throws errors that say what is wrong", "[tensor]") {
    Tensor m = Tensor::from({{1, 2}});
    CHECK_THROWS_WITH(m.item(), Catch::Contains("item") && Catch::Contains("(1x2)"));
    Tensor g = Tensor::from({{1, 2}}, true);
    CHECK_THROWS_WITH((g * 2.0f).backward(), Catch::Contains("backward: needs a 1x1 tensor, got (1x2)"));
    CHECK_THROWS_WITH(Tensor::from({{1, 2}, {3}}), Catch::Contains("row 1"));
    Tensor y = g * 2.0f;
    CHECK_THROWS_WITH(y.requires_grad_(false), Catch::Contains("leaf"));
}

TEST_CASE("an undefined tensor throws saying so rather than crashing", "[tensor]") {
    Tensor t;
    const auto undefined = Catch::Contains("an undefined Tensor (default-constructed, or a Linear without bias): assign it before use");
    CHECK_THROWS_WITH(t.value(), undefined);
    CHECK_THROWS_WITH(t.rows(), undefined);
    CHECK_THROWS_WITH(t.shape(), undefined);
    CHECK_THROWS_WITH(t.item(), undefined);
    CHECK_THROWS_WITH(t.grad(), undefined);
    CHECK_THROWS_WITH(t.has_grad(), undefined);
    CHECK_THROWS_WITH(t.requires_grad_(), undefined);
    CHECK_THROWS_WITH(t.backward(), undefined);
    CHECK_THROWS_WITH(t.zero_grad(), undefined);
    CHECK_THROWS_WITH(t.detach(), undefined);
    CHECK_THROWS_WITH(t * 2.0f, undefined);
}

TEST_CASE("reading a gradient before backward throws saying what to call", "[tensor]") {
    Tensor x = Tensor::from({{1, 2}}, true);
    CHECK_FALSE(x.has_grad());
    const auto none = Catch::Contains("grad: this (1x2) tensor has no gradient yet: call backward() on a loss that depends on it first");
    CHECK_THROWS_WITH(x.grad()(0, 0), none);
    sum(x).backward();
    CHECK(x.grad()(0, 1) == 1.0f);
    x.zero_grad();
    CHECK_THROWS_WITH(x.grad(), none);
}

TEST_CASE("a program compiled with another EIGEN_MAX_ALIGN_BYTES is told how to compile it", "[tensor]") {
    CHECK_NOTHROW(check_eigen_max_align_bytes(EIGEN_MAX_ALIGN_BYTES));  // this program, built as hebb is
    CHECK_THROWS_WITH(check_eigen_max_align_bytes(16),
                      "hebb was built with EIGEN_MAX_ALIGN_BYTES=64, this program with 16: compile it with "
                      "-DEIGEN_MAX_ALIGN_BYTES=64 (pkg-config --cflags hebb gives it)");
}

TEST_CASE("the generator is deterministic and well distributed", "[tensor]") {
    manual_seed(42);
    const Matrix a = randn(100, 100).value();
    manual_seed(42);
    const Matrix b = randn(100, 100).value();
    CHECK(a == b);
    manual_seed(43);
    CHECK(randn(100, 100).value() != a);
    // 10,000 standard normals: mean within 4 standard errors of 0, variance near 1.
    CHECK(std::abs(a.mean()) < 0.04);
    CHECK((a.array() - a.mean()).square().mean() == Approx(1.0).epsilon(0.05));
    Generator gen(7);
    const Matrix u = rand(100, 100, gen).value();
    CHECK(u.minCoeff() >= 0.0f);
    CHECK(u.maxCoeff() < 1.0f);
    CHECK(u.mean() == Approx(0.5).epsilon(0.02));

    // A saved state continues the same sequence.
    Generator g1(5);
    g1.next();
    const std::string state = g1.state();
    const auto expected = g1.next();
    Generator g2;
    g2.set_state(state);
    CHECK(g2.next() == expected);
    CHECK_THROWS_WITH(g2.set_state("not a state"), Catch::Contains("set_state"));
}

TEST_CASE("set_num_threads sets the thread count", "[tensor]") {
    set_num_threads(1);
    CHECK(get_num_threads() == 1);
    set_num_threads(2);
    CHECK(get_num_threads() == 2);
    CHECK_THROWS_WITH(set_num_threads(0), Catch::Contains("at least 1"));
}

TEST_CASE("anomaly detection names the op that first goes non-finite", "[tensor]") {
    set_detect_anomaly(true);
    CHECK_THROWS_WITH(log(Tensor::from({{1, -1}})), "anomaly: log of (1x2) produced a non-finite value");
    // sqrt(0) is finite, its derivative 1 / (2 sqrt(0)) is not.
    Tensor x = Tensor::from({{0, 4}}, true);
    CHECK_THROWS_WITH(sum(sqrt(x)).backward(), Catch::Contains("the backward of sqrt (1x2) sent a non-finite gradient to its leaf input (1x2)"));
    set_detect_anomaly(false);
    CHECK_NOTHROW(log(Tensor::from({{1, -1}})));
}

TEST_CASE("gemm agrees with a double-precision product for every transpose, alpha and beta", "[tensor][gemm]") {
    Generator gen(7);
    // Small shapes and ones large enough for the product's blocking and packing.
    for (auto [m, k, n] : {std::tuple<int, int, int>{3, 5, 2}, {70, 130, 90}, {257, 300, 129}})
        for (bool ta : {false, true})
            for (bool tb : {false, true})
                for (auto [alpha, beta] : {std::pair{1.0f, 0.0f}, {-2.0f, 0.0f}, {1.0f, 1.0f}, {0.5f, -1.5f}}) {
                    const Matrix a = randn(ta ? k : m, ta ? m : k, gen).value();
                    const Matrix b = randn(tb ? n : k, tb ? k : n, gen).value();
                    const Matrix c0 = randn(m, n, gen).value();
                    const Eigen::MatrixXd ad = a.cast<double>(), bd = b.cast<double>();
                    const Eigen::MatrixXd opa = ta ? Eigen::MatrixXd(ad.transpose()) : ad;
                    const Eigen::MatrixXd opb = tb ? Eigen::MatrixXd(bd.transpose()) : bd;
                    const Eigen::MatrixXd expected = alpha * opa * opb + beta * c0.cast<double>();
                    // With beta = 0 the old entries must not be read: NaNs there must not leak.
                    Matrix c = beta == 0.0f ? Matrix::Constant(m, n, std::nanf("")) : c0;
                    gemm(a, ta, b, tb, c, alpha, beta);
                    INFO(gemm_backend() << " m=" << m << " k=" << k << " n=" << n << " ta=" << ta << " tb=" << tb
                                        << " alpha=" << alpha << " beta=" << beta);
                    REQUIRE(c.allFinite());
                    CHECK((c.cast<double>() - expected).cwiseAbs().maxCoeff() <= 1e-5 * std::sqrt(k) * 10);
                }
    Matrix wrong(2, 2);
    CHECK_THROWS_WITH(gemm(Matrix(2, 3), false, Matrix(2, 3), false, wrong),
                      Catch::Contains("(2x3) times (2x3) does not fit into (2x2)"));
}

TEST_CASE("linear_product's epilogue (bias, ReLU) agrees with a double-precision product", "[tensor][gemm]") {
    Generator gen(9);
    // Shapes a dense layer has (a 10-class output, a batch of 1) and ones that split into blocks.
    for (auto [batch, in, out] : {std::tuple<int, int, int>{1, 5, 3}, {64, 784, 10}, {257, 300, 129}})
        for (bool has_bias : {false, true})
            for (bool relu : {false, true}) {
                const Matrix x = randn(batch, in, gen).value(), w = randn(out, in, gen).value();
                const Matrix bias = randn(1, out, gen).value();
                Eigen::MatrixXd expected = x.cast<double>() * w.cast<double>().transpose();
                if (has_bias) expected.rowwise() += bias.cast<double>().row(0);
                if (relu) expected = expected.cwiseMax(0.0);
                // y's old entries are never read.
                Matrix y = Matrix::Constant(batch, out, std::nanf(""));
                linear_product(x, w, has_bias ? &bias : nullptr, relu, y);
                INFO(gemm_backend() << " batch=" << batch << " in=" << in << " out=" << out << " bias=" << has_bias
                                    << " relu=" << relu);
                REQUIRE(y.allFinite());
                CHECK((y.cast<double>() - expected).cwiseAbs().maxCoeff() <= 1e-5 * std::sqrt(in) * 10);
                if (relu) CHECK(y.minCoeff() >= 0.0f);
            }
    Matrix wrong(2, 2);
    CHECK_THROWS_WITH(linear_product(Matrix(2, 3), Matrix(4, 3), nullptr, false, wrong),
                      Catch::Contains("linear_product: x (2x3), w (4x3), y (2x2)"));
}

TEST_CASE("a pooled matrix's storage is handed out again for the same number of entries", "[tensor]") {
    const float* storage = nullptr;
    {
        Pooled a(3, 4);
        storage = a.data();
    }
    // malloc would give the freed block to the next request of its size; the pool keeps it instead.
    const Matrix other(3, 4);
    CHECK(other.data() != storage);
    Pooled b(2, 6);
    CHECK(b.data() == storage);
    CHECK((b.rows() == 2 && b.cols() == 6));
    CHECK(filled(2, 2, 1.5f) == Matrix::Constant(2, 2, 1.5f));
    // Moved into a plain Matrix (a node's value), the storage goes with it and is not pooled twice.
    Matrix taken = std::move(b);
    CHECK(taken.data() == storage);
    CHECK(b.size() == 0);
    Pooled c(3, 4);
    CHECK(c.data() != storage);
}

TEST_CASE("gram computes a^T a, symmetric, for sizes that split into blocks unevenly", "[tensor][gemm]") {
    Generator gen(8);
    for (auto [r, n] : {std::pair<int, int>{5, 1}, {7, 3}, {40, 9}, {33, 130}}) {
        const Matrix a = randn(r, n, gen).value();
        const Eigen::MatrixXd expected = -2.0 * a.cast<double>().transpose() * a.cast<double>();
        Matrix s = Matrix::Constant(n, n, std::nanf(""));
        gram(a, s, -2.0f);
        INFO("r=" << r << " n=" << n);
        REQUIRE(s.allFinite());
        CHECK((s.cast<double>() - expected).cwiseAbs().maxCoeff() <= 1e-4);
        CHECK(s == s.transpose());
    }
}
