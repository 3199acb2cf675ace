// Convolution and pooling: hand-computed values, gradcheck, PyTorch's values and gradients (the "conv"
// section of tests/fixtures/torch_reference.json), the layers' shapes, names and printed forms, and LeNet-5.
#include <catch2/catch.hpp>

#include <cmath>

#include "hebb.h"
#include "module_names.h"
#include "torch_reference.h"

using namespace hebb;

namespace {

// The 1x3x3 image 1 2 3 / 4 5 6 / 7 8 9 and the 2x2 kernel 1 2 / 3 4 of the hand-computed cases.
Tensor image3x3() { return Tensor::from({{1, 2, 3, 4, 5, 6, 7, 8, 9}}, true); }
Tensor kernel2x2() { return Tensor::from({{1, 2, 3, 4}}, true); }

// Distinct values 0.1 apart in a random order: no two entries of a window are within gradcheck's
// step of each other, so moving one never changes which is the maximum.
Tensor spread(Eigen::Index rows, Eigen::Index cols, Generator& gen) {
    Matrix m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = 0.1f * static_cast<float>(i);
    for (Eigen::Index i = m.size() - 1; i > 0; --i)
        std::swap(m.data()[i], m.data()[gen.below(static_cast<std::uint64_t>(i + 1))]);
    return Tensor(m);
}

ImageShape shape_of(const json& c) {
    return {c.at("channels").get<Eigen::Index>(), c.at("height").get<Eigen::Index>(), c.at("width").get<Eigen::Index>()};
}

// "on 2x7x5, kernel 5, stride 1, padding 2" for a fixture case (padding only for conv2d's).
std::string described(const json& c) {
    std::string out = "on " + shape_of(c).str() + ", kernel " + c.at("kernel_size").dump() + ", stride " +
                      c.at("stride").dump();
    return c.contains("padding") ? out + ", padding " + c.at("padding").dump() : out;
}

// Each entry is a sum of many products, whose rounding depends on the order of the additions; an entry
// near zero after cancellation is held to 1e-5 of the matrix's largest entry rather than of itself.
void check_sums(const Matrix& got, const Matrix& want, const std::string& what) {
    check_close(got, want, what, kRel, std::max(kAbs, kRel * static_cast<double>(want.cwiseAbs().maxCoeff())));
}

}  // namespace

TEST_CASE("conv2d and pooling give hand-computed values and gradients", "[conv]") {
    SECTION("conv2d, stride 1, no padding, with bias") {
        // Each output is the window dotted with the kernel, plus 0.5:
        // 1*1 + 2*2 + 4*3 + 5*4 = 37, 2 + 6 + 15 + 24 = 47, 4 + 10 + 21 + 32 = 67, 5 + 12 + 24 + 36 = 77.
        Tensor x = image3x3(), w = kernel2x2(), b = Tensor::from({{0.5f}}, true);
        Tensor y = conv2d(x, {1, 3, 3}, w, b);
        CHECK(y.value() == Tensor::from({{37.5f, 47.5f, 67.5f, 77.5f}}).value());
        sum(y).backward();
        // d sum / dx[h, w] = the sum of the kernel entries that cover pixel (h, w) in some window.
        CHECK(x.grad() == Tensor::from({{1, 3, 2, 4, 10, 6, 3, 7, 4}}).value());
        // d sum / dW[u, v] = the sum of the pixels that kernel entry (u, v) meets: 1+2+4+5, 2+3+5+6, ...
        CHECK(w.grad() == Tensor::from({{12, 16, 24, 28}}).value());
        CHECK(b.grad()(0, 0) == 4);
    }
    SECTION("conv2d, stride 2, padding 1, without bias") {
        // Windows start at (-1, -1), (-1, 1), (1, -1), (1, 1); the padding is 0:
        // 1*4 = 4, 2*3 + 3*4 = 18, 4*2 + 7*4 = 36, 5*1 + 6*2 + 8*3 + 9*4 = 77.
        Tensor y = conv2d(image3x3(), {1, 3, 3}, kernel2x2(), Tensor(), 2, 1);
        CHECK(y.value() == Tensor::from({{4, 18, 36, 77}}).value());
    }
    SECTION("max_pool2d takes the first maximum of a window, avg_pool2d the mean") {
        // 1 3 | 3 0
        // 2 3 | 1 1      maxima: 3 at (0,1) (the first of two), 3 at (0,2)
        // ----+----
        // 0 0 | 5 5      0 at (2,0) (the first of four), 5 at (2,2) (the first of three)
        // 0 0 | 5 2
        Tensor x = Tensor::from({{1, 3, 3, 0, 2, 3, 1, 1, 0, 0, 5, 5, 0, 0, 5, 2}}, true);
        const Tensor r = Tensor::from({{1, 2, 3, 4}});
        Tensor y = max_pool2d(x, {1, 4, 4}, 2, 2);
        CHECK(y.value() == Tensor::from({{3, 3, 0, 5}}).value());
        sum(mul(y, r)).backward();
        CHECK(x.grad() == Tensor::from({{0, 1, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}}).value());

        Tensor x2 = Tensor(x.value(), true);
        Tensor a = avg_pool2d(x2, {1, 4, 4}, 2, 2);
        CHECK(a.value() == Tensor::from({{2.25f, 1.25f, 0, 4.25f}}).value());  // 9/4, 5/4, 0/4, 17/4
        sum(mul(a, r)).backward();
        CHECK(x2.grad() == Tensor::from({{.25f, .25f, .5f, .5f, .25f, .25f, .5f, .5f,  //
                                          .75f, .75f, 1, 1, .75f, .75f, 1, 1}}).value());
    }
}

TEST_CASE("gradcheck passes for conv2d in x, weight and bias and for pooling in x", "[conv][gradcheck]") {
    Generator gen(21);
    struct ConvCase {
        ImageShape in;
        Eigen::Index out;
        int kernel, stride, padding;
    };
    for (const ConvCase& c : {ConvCase{{1, 5, 5}, 2, 3, 1, 0}, ConvCase{{3, 6, 7}, 2, 3, 2, 1},
                              ConvCase{{1, 4, 6}, 3, 2, 1, 2}, ConvCase{{3, 5, 4}, 2, 3, 2, 2},
                              ConvCase{{2, 7, 5}, 2, 4, 3, 1}}) {
        INFO("conv2d on " << c.in.str() << ", " << c.out << " channels, kernel " << c.kernel << ", stride "
                          << c.stride << ", padding " << c.padding);
        const std::vector<Tensor> inputs{randn(2, c.in.size(), gen),
                                         randn(c.out, c.in.channels * c.kernel * c.kernel, gen), randn(1, c.out, gen)};
        const GradcheckResult r = gradcheck(
            [&](const std::vector<Tensor>& v) { return conv2d(v[0], c.in, v[1], v[2], c.stride, c.padding); }, inputs);
        INFO(r.worst);
        CHECK(r.ok);
    }
    struct PoolCase {
        ImageShape in;
        int kernel, stride;
    };
    for (const PoolCase& c : {PoolCase{{1, 4, 4}, 2, 2}, PoolCase{{3, 7, 5}, 3, 2}, PoolCase{{2, 5, 6}, 2, 1},
                              PoolCase{{1, 6, 9}, 3, 3}}) {
        INFO("pooling " << c.in.str() << ", kernel " << c.kernel << ", stride " << c.stride);
        const std::vector<Tensor> inputs{spread(2, c.in.size(), gen)};
        const GradcheckResult max = gradcheck(
            [&](const std::vector<Tensor>& v) { return max_pool2d(v[0], c.in, c.kernel, c.stride); }, inputs);
        INFO("max_pool2d: " << max.worst);
        CHECK(max.ok);
        const GradcheckResult avg = gradcheck(
            [&](const std::vector<Tensor>& v) { return avg_pool2d(v[0], c.in, c.kernel, c.stride); }, inputs);
        INFO("avg_pool2d: " << avg.worst);
        CHECK(avg.ok);
    }
}

TEST_CASE("conv2d matches PyTorch in value and in x, weight and bias gradients", "[conv][torch]") {
    const json& cases = reference().at("conv").at("conv2d");
    REQUIRE(cases.size() >= 5);
    for (const json& c : cases) {
        const std::string what = "conv2d " + described(c);
        Tensor x(to_matrix(c.at("x")), true), w(to_matrix(c.at("weight")), true), b;
        if (c.contains("bias")) b = Tensor(to_matrix(c.at("bias")), true);
        const Tensor y = conv2d(x, shape_of(c), w, b, c.at("stride"), c.at("padding"));
        check_sums(y.value(), to_matrix(c.at("out")), what + ": value");
        sum(mul(y, Tensor(to_matrix(c.at("r"))))).backward();
        check_sums(x.grad(), to_matrix(c.at("grad_x")), what + ": d sum(out * R) / dx");
        check_sums(w.grad(), to_matrix(c.at("grad_weight")), what + ": d sum(out * R) / dweight");
        if (b.defined()) check_sums(b.grad(), to_matrix(c.at("grad_bias")), what + ": d sum(out * R) / dbias");
    }
}

TEST_CASE("max_pool2d and avg_pool2d match PyTorch, ties included", "[conv][torch]") {
    const json& cases = reference().at("conv").at("pool2d");
    REQUIRE(cases.size() >= 4);
    for (const json& c : cases) {
        const ImageShape in = shape_of(c);
        const int kernel = c.at("kernel_size"), stride = c.at("stride");
        for (const std::string op : {"max", "avg"}) {
            const std::string what = op + "_pool2d " + described(c);
            const json& want = c.at(op);
            Tensor x(to_matrix(c.at("x")), true);
            const Tensor y = op == "max" ? max_pool2d(x, in, kernel, stride) : avg_pool2d(x, in, kernel, stride);
            check_sums(y.value(), to_matrix(want.at("out")), what + ": value");
            sum(mul(y, Tensor(to_matrix(want.at("r"))))).backward();
            check_sums(x.grad(), to_matrix(want.at("grad_x")), what + ": d sum(out * R) / dx");
        }
    }
}

TEST_CASE("conv and pooling refuse inputs that do not fit, naming the op or layer and the shapes", "[conv]") {
    const Tensor x = Tensor::zeros(2, 9);
    CHECK_THROWS_WITH(conv2d(x, {1, 3, 4}, Tensor::zeros(2, 4), Tensor()),
                      "conv2d: input (2x9) does not fit 1x3x4 images (12 columns)");
    CHECK_THROWS_WITH(conv2d(x, {1, 3, 3}, Tensor::zeros(2, 5), Tensor()),
                      "conv2d: weight (2x5) is not (out x C*k*k) for 1x3x3 images");
    CHECK_THROWS_WITH(conv2d(x, {1, 3, 3}, Tensor::zeros(2, 4), Tensor::zeros(1, 3)),
                      "conv2d: bias (1x3) does not fit weight (2x4)");
    CHECK_THROWS_WITH(max_pool2d(x, {1, 3, 3}, 4, 4), "max_pool2d: kernel_size 4 with padding 0 does not fit 1x3x3 images");

    nn::Conv2d conv(1, 2, 3);
    CHECK_THROWS_WITH(conv(x), Catch::Contains("Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1)): its input shape is not set"));
    CHECK(conv.set_input_shape({1, 3, 3}) == ImageShape{2, 1, 1});
    CHECK_THROWS_WITH(conv(Tensor::zeros(2, 8)),
                      "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1)): input (2x8) does not fit its 1x3x3 images (9 columns)");
    CHECK_THROWS_WITH(conv.set_input_shape({3, 3, 3}),
                      "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1)): input 3x3x3 has 3 channels, the layer takes 1");

    nn::Sequential net{std::make_shared<nn::Conv2d>(1, 4, 3), std::make_shared<nn::MaxPool2d>(2),
                       std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(15, 2)};
    CHECK_THROWS_WITH(nn::set_input_shape(net, {1, 8, 8}), "layer 3 (Linear): takes 15 features, but its input is 36x1x1");
    CHECK_THROWS_WITH(nn::set_input_shape(net, {1, 2, 8}),
                      "layer 0 (Conv2d): conv2d: kernel_size 3 with padding 0 does not fit 1x2x8 images");
    nn::Sequential no_flatten{std::make_shared<nn::Conv2d>(1, 4, 3), std::make_shared<nn::Linear>(36, 2)};
    CHECK_THROWS_WITH(nn::set_input_shape(no_flatten, {1, 5, 5}),
                      "layer 1 (Linear): takes 36 features, but its input is 4x3x3 images (put a Flatten before it)");
}

TEST_CASE("Conv2d and the pooling layers have PyTorch's shapes, names, defaults and printed forms", "[conv][layers]") {
    Generator gen(5);
    nn::Conv2d conv(6, 16, 5, 1, 0, true, gen);
    CHECK(conv.weight.shape() == "(16x150)");  // PyTorch's (16 x 6 x 5 x 5), in the same memory order
    CHECK(conv.bias.shape() == "(1x16)");
    CHECK(names(conv) == std::vector<std::string>{"weight", "bias"});
    // kaiming_uniform_(a = sqrt(5)) as PyTorch: bound 1/sqrt(fan_in) with fan_in = 6*5*5, for the bias too.
    const float bound = 1.0f / std::sqrt(150.0f);
    CHECK(conv.weight.value().cwiseAbs().maxCoeff() <= bound);
    CHECK(conv.weight.value().cwiseAbs().maxCoeff() > 0.99f * bound);
    CHECK(conv.bias.value().cwiseAbs().maxCoeff() <= bound);
    const double var = conv.weight.value().array().square().mean();
    CHECK(var == Approx(bound * bound / 3).epsilon(0.1));

    nn::Conv2d no_bias(3, 4, 3, 2, 0, false);
    CHECK_FALSE(no_bias.bias.defined());
    CHECK(names(no_bias) == std::vector<std::string>{"weight"});

    CHECK(printed(nn::Conv2d(1, 6, 5, 1, 2)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))");
    CHECK(printed(conv) == "Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))");
    CHECK(printed(no_bias) == "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), bias=False)");
    CHECK(printed(nn::MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
    CHECK(printed(nn::AvgPool2d(3, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=0)");
    CHECK(printed(nn::Flatten()) == "Flatten(start_dim=1, end_dim=-1)");
}

TEST_CASE("LeNet-5 built from the layers runs forward and backward with PyTorch's keys", "[conv][layers]") {
    Generator gen(7);
    nn::Sequential net{std::make_shared<nn::Conv2d>(1, 6, 5, 1, 2, true, gen), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Conv2d>(6, 16, 5, 1, 0, true, gen),
                       std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(),
                       std::make_shared<nn::Linear>(400, 120, true, gen), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(120, 84, true, gen), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(84, 10, true, gen)};
    CHECK(nn::set_input_shape(net, {1, 28, 28}) == ImageShape{10, 1, 1});
    CHECK(static_cast<nn::ImageModule&>(net[3]).input_shape() == ImageShape{6, 14, 14});
    CHECK(static_cast<nn::ImageModule&>(net[6]).input_shape() == ImageShape{16, 5, 5});
    CHECK(names(net) == std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias",
                                                 "9.weight", "9.bias", "11.weight", "11.bias"});

    const Tensor x = rand(4, 784, gen);
    const Tensor logits = net(x);
    CHECK(logits.shape() == "(4x10)");
    const std::vector<int> labels{3, 1, 4, 1};
    cross_entropy(logits, labels).backward();
    for (const auto& [name, p] : net.named_parameters()) {
        INFO(name);
        REQUIRE(p.grad().rows() == p.rows());
        CHECK(p.grad().cwiseAbs().maxCoeff() > 0.0f);
    }
}

TEST_CASE("conv2d and max_pool2d give the same values and gradients on 2 threads as on 1", "[conv]") {
    // 40 samples of LeNet-5's first layer: several pieces of the batch (each im2col piece holds a few
    // samples), dealt to the threads; weight and bias gradients are summed per thread, then added.
    Generator gen(17);
    const Matrix x0 = randn(40, 784, gen).value(), w0 = randn(6, 25, gen).value(), b0 = randn(1, 6, gen).value();
    const Matrix g0 = randn(40, 6 * 14 * 14, gen).value();
    struct Result {
        Matrix y, dx, dw, db;
    };
    const auto run = [&](int threads) {
        set_num_threads(threads);
        Tensor x(x0), w(w0), b(b0);
        x.requires_grad_(true), w.requires_grad_(true), b.requires_grad_(true);
        const Tensor y = max_pool2d(conv2d(x, {1, 28, 28}, w, b, 1, 2), {6, 28, 28}, 2, 2);
        sum(mul(y, Tensor(g0))).backward();
        set_num_threads(1);
        return Result{y.value(), x.grad(), w.grad(), b.grad()};
    };
    const Result one = run(1), two = run(2);
    CHECK(two.y == one.y);    // every output is computed by one thread, the same way
    CHECK(two.dx == one.dx);  // so is every input's gradient
    CHECK((two.dw - one.dw).cwiseAbs().maxCoeff() <= 1e-5f * one.dw.cwiseAbs().maxCoeff());  // summed in another order
    CHECK((two.db - one.db).cwiseAbs().maxCoeff() <= 1e-5f * one.db.cwiseAbs().maxCoeff());
}

TEST_CASE("max pooling lets a NaN win, the last one in row-major order, as PyTorch", "[conv]") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // One 2 x 4 image, two 2 x 2 windows: {1, NaN / NaN, 2} and {3, 4 / 0, 9}. Width 4 takes the
    // 2 x 2 path; the same windows at width 5 (a last column the windows never reach) the general one.
    for (const bool even : {true, false}) {
        INFO((even ? "width 4" : "width 5"));
        const Eigen::Index w = even ? 4 : 5;
        Matrix image = Matrix::Zero(1, 2 * w);
        const float top[] = {1, nan, 3, 4}, bottom[] = {nan, 2, 0, 9};
        for (int j = 0; j < 4; ++j) image(0, j) = top[j], image(0, w + j) = bottom[j];
        Tensor x(image);
        x.requires_grad_(true);
        const Tensor y = max_pool2d(x, {1, 2, w}, 2, 2);
        REQUIRE(y.cols() == 2);
        CHECK(std::isnan(y.value()(0, 0)));
        CHECK(y.value()(0, 1) == 9.0f);
        sum(y * 1.0f).backward();
        Matrix expected = Matrix::Zero(1, 2 * w);
        expected(0, w) = 1.0f;      // the second NaN, at (1, 0)
        expected(0, w + 3) = 1.0f;  // the 9
        CHECK(x.grad() == expected);
    }
}
