#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "hebb.h"
#include "module_names.h"

using namespace hebb;

TEST_CASE("Linear has PyTorch's shapes and initialisation bounds", "[layers]") {
    Generator gen(1);
    nn::Linear fc(400, 30, true, gen);
    CHECK(fc.weight.shape() == "(30x400)");
    CHECK(fc.bias.shape() == "(1x30)");
    const float bound = 1.0f / 20.0f;
    CHECK(fc.weight.value().maxCoeff() <= bound);
    CHECK(fc.weight.value().minCoeff() >= -bound);
    // 12,000 uniform draws fill most of the interval, with mean near 0 and variance bound^2 / 3.
    CHECK(fc.weight.value().maxCoeff() > 0.99f * bound);
    CHECK(std::abs(fc.weight.value().mean()) < 0.05f * bound);
    const double var = (fc.weight.value().array() - fc.weight.value().mean()).square().mean();
    CHECK(var == Approx(bound * bound / 3).epsilon(0.05));
    CHECK(names(fc) == std::vector<std::string>{"weight", "bias"});
    nn::Linear no_bias(3, 2, false);
    CHECK_FALSE(no_bias.bias.defined());
    CHECK(names(no_bias) == std::vector<std::string>{"weight"});
}

TEST_CASE("Linear keeps the input of its last forward pass on the tape", "[layers]") {
    nn::Linear fc(3, 2);
    Tensor x = Tensor::from({{1, 2, 3}}, true);
    Tensor h = relu(x * 2.0f);
    fc(h);
    REQUIRE(fc.input().node() == h.node());
    sum(fc.input()).backward();  // gradient through the stored input reaches x
    CHECK(x.grad()(0, 2) == 2);
}

TEST_CASE("gradcheck passes through every layer", "[layers][gradcheck]") {
    Generator gen(3);
    const Tensor x(randn(4, 5, gen).value());
    for (const std::string act : {"relu", "leaky_relu", "tanh", "sigmoid", "gelu"}) {
        INFO(act);
        nn::Sequential net{std::make_shared<nn::Linear>(5, 6, true, gen), nn::make_activation(act),
                           std::make_shared<nn::Linear>(6, 3, true, gen)};
        auto& fc0 = static_cast<nn::Linear&>(net[0]);
        auto& fc2 = static_cast<nn::Linear&>(net[2]);
        const std::vector<Tensor> params = net.parameters();
        // gradcheck hands over copies of the input and parameters; the layers compute with them.
        const auto fn = [&](const std::vector<Tensor>& v) {
            fc0.weight = v[1], fc0.bias = v[2], fc2.weight = v[3], fc2.bias = v[4];
            return net(v[0]);
        };
        std::vector<Tensor> inputs{x};
        for (const Tensor& p : params) inputs.emplace_back(p.value());
        // A small step keeps relu's kink from falling between x - eps and x + eps.
        const bool kinked = act == "relu" || act == "leaky_relu";
        const GradcheckResult r = kinked ? gradcheck(fn, inputs, 1e-3f, 2e-3) : gradcheck(fn, inputs);
        INFO(r.worst);
        CHECK(r.ok);
    }
}

TEST_CASE("the gradient of a Sequential matches the same ops written out", "[layers]") {
    Generator gen(4);
    auto net = nn::mlp({{5, 7, 3}, "tanh"}, gen);
    const Tensor x(randn(6, 5, gen).value());
    const std::vector<int> y{0, 1, 2, 0, 1, 2};
    nn::CrossEntropyLoss ce;
    ce((*net)(x), y).backward();
    auto p = net->parameters();
    std::vector<Tensor> copies;
    for (const Tensor& t : p) copies.emplace_back(t.value(), true);
    cross_entropy(linear(tanh(linear(x, copies[0], copies[1])), copies[2], copies[3]), y).backward();
    for (size_t i = 0; i < p.size(); ++i) CHECK(p[i].grad().isApprox(copies[i].grad(), 1e-6f));
}

TEST_CASE("named_parameters and state_dict use PyTorch's dotted names", "[layers]") {
    auto net = nn::mlp({{784, 64, 32, 10}, "relu"});
    CHECK(names(*net) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"});
    auto dropped = nn::mlp({{784, 64, 32, 10}, "relu", 0.5f});
    CHECK(names(*dropped) == std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"});
    const StateDict sd = net->state_dict();
    REQUIRE(sd.size() == 6);
    CHECK(sd[1].name == "0.bias");
    CHECK(sd[1].shape == Shape{64});
    CHECK(sd[0].shape == Shape{64, 784});
    CHECK(sd[0].value.rows() == 64);
    CHECK(sd[0].value.cols() == 784);
}

TEST_CASE("load_state_dict copies values and lists every problem", "[layers]") {
    Generator g1(1), g2(2);
    auto a = nn::mlp({{4, 3, 2}, "relu"}, g1);
    auto b = nn::mlp({{4, 3, 2}, "relu"}, g2);
    REQUIRE(a->parameters()[0].value() != b->parameters()[0].value());
    b->load_state_dict(a->state_dict());
    for (size_t i = 0; i < 4; ++i) CHECK(a->parameters()[i].value() == b->parameters()[i].value());
    // A copy, not a shared buffer.
    a->parameters()[0].value()(0, 0) += 1.0f;
    CHECK(a->parameters()[0].value() != b->parameters()[0].value());

    StateDict sd = a->state_dict();
    sd.erase(sd.begin() + 1);                          // 0.bias missing
    sd.push_back({"9.weight", Matrix::Zero(1, 1), {}});  // unexpected
    sd[0] = {"0.weight", Matrix::Zero(3, 5), {3, 5}};  // mis-shaped
    try {
        b->load_state_dict(sd);
        FAIL("no error");
    } catch (const Error& e) {
        const std::string msg = e.what();
        CHECK_THAT(msg, Catch::Contains("missing keys: 0.bias"));
        CHECK_THAT(msg, Catch::Contains("unexpected keys: 9.weight"));
        CHECK_THAT(msg, Catch::Contains("mis-shaped keys: 0.weight (3x5) for (3x4)"));
    }
    const Matrix before = b->parameters()[2].value();
    CHECK_THROWS(b->load_state_dict(sd));
    CHECK(b->parameters()[2].value() == before);  // nothing loaded when anything is wrong

    // Not strict: missing and unexpected keys are fine, shapes still must match.
    StateDict partial{{"2.weight", Matrix::Ones(2, 3), {2, 3}}, {"extra", Matrix::Zero(1, 1), {}}};
    b->load_state_dict(partial, false);
    CHECK(b->parameters()[2].value() == Matrix::Ones(2, 3));
    partial[0] = {"2.weight", Matrix::Ones(3, 2), {3, 2}};
    CHECK_THROWS_WITH(b->load_state_dict(partial, false), Catch::Contains("mis-shaped keys: 2.weight (3x2) for (2x3)"));
    // The same values under another shape, as a conv weight's 4-D shape against a 2-D one.
    partial[0] = {"2.weight", Matrix::Ones(2, 3), {2, 3, 1, 1}};
    CHECK_THROWS_WITH(b->load_state_dict(partial, false), Catch::Contains("mis-shaped keys: 2.weight (2x3x1x1) for (2x3)"));
    // Values that do not fit the shape they claim.
    partial[0] = {"2.weight", Matrix::Ones(2, 3), {3, 2}};
    CHECK_THROWS_WITH(b->load_state_dict(partial, false), Catch::Contains("mis-shaped keys: 2.weight (2x3) held as (3x2)"));
}

TEST_CASE("load_state_dict lists at most 10 keys of each kind, each cut to 100 characters", "[layers]") {
    auto model = nn::mlp({{4, 3, 2}, "relu"});
    StateDict sd = model->state_dict();
    for (int i = 0; i < 1000; ++i) sd.push_back({"extra" + std::to_string(i), Matrix::Zero(1, 1), {}});
    sd.push_back({std::string(5000, 'k'), Matrix::Zero(1, 1), {}});
    try {
        model->load_state_dict(sd);
        FAIL("no error");
    } catch (const Error& e) {
        const std::string msg = e.what();
        CHECK_THAT(msg, Catch::Contains("unexpected keys: extra0 extra1 extra2 extra3 extra4 extra5 extra6 extra7 "
                                        "extra8 extra9 ... and 991 more"));
        CHECK_THAT(msg, !Catch::Contains("extra10"));
        CHECK(msg.size() < 1000);
    }
    std::rotate(sd.begin(), sd.end() - 1, sd.end());  // the long name first
    CHECK_THROWS_WITH(model->load_state_dict(sd), Catch::Contains(" " + std::string(100, 'k') + "... extra0"));
}

TEST_CASE("modules print like PyTorch's", "[layers]") {
    std::ostringstream out;
    out << *nn::mlp({{784, 256, 10}, "relu", 0.5f});
    CHECK(out.str() ==
          "Sequential(\n"
          "  (0): Linear(in_features=784, out_features=256, bias=True)\n"
          "  (1): ReLU()\n"
          "  (2): Dropout(p=0.5, inplace=False)\n"
          "  (3): Linear(in_features=256, out_features=10, bias=True)\n"
          ")");
    std::ostringstream nested;
    nn::Sequential outer{std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                             std::make_shared<nn::LeakyReLU>(0.2f)}),
                         std::make_shared<nn::GELU>()};
    nested << outer;
    CHECK(nested.str() ==
          "Sequential(\n"
          "  (0): Sequential(\n"
          "    (0): LeakyReLU(negative_slope=0.2)\n"
          "  )\n"
          "  (1): GELU(approximate='none')\n"
          ")");
    CHECK(names(outer).empty());
}

TEST_CASE("Dropout drops in training and passes through in eval", "[layers]") {
    Generator gen(9);
    nn::Dropout drop(0.25f, gen);
    const Tensor x(Matrix::Ones(200, 100));
    const Matrix y = drop(x).value();
    const double dropped = (y.array() == 0.0f).cast<double>().mean();
    CHECK(dropped == Approx(0.25).epsilon(0.04));
    CHECK(((y.array() == 0.0f) || (y.array() == 1.0f / 0.75f)).all());
    drop.eval();
    CHECK(drop(x).value() == x.value());
    auto net = nn::mlp({{4, 8, 2}, "relu", 0.5f});
    net->eval();
    CHECK_FALSE(net->is_training());
    CHECK_FALSE(net->children()[2].second->is_training());
    const Tensor in(Matrix::Ones(3, 4));
    CHECK((*net)(in).value() == (*net)(in).value());
    net->train();
    CHECK(net->children()[2].second->is_training());
    CHECK_THROWS_WITH(nn::Dropout(1.0f), Catch::Contains("p must be in [0, 1)"));
}

TEST_CASE("Dropout on a rank's rows of a batch masks them as on the whole batch", "[layers]") {
    // Data parallelism: rows 3..6 of a batch of 10, then the next batch whole, as one process.
    Generator whole_gen(4), part_gen(4);
    auto whole = std::make_shared<nn::Dropout>(0.5f, whole_gen);
    nn::Sequential part{std::make_shared<nn::Dropout>(0.5f, part_gen)};
    const Tensor x(Matrix::Random(10, 6));
    const Matrix all = (*whole)(x).value();
    nn::set_dropout_shard(part, 3, 10);
    CHECK(part(Tensor(Matrix(x.value().middleRows(3, 4)))).value() == all.middleRows(3, 4));
    CHECK_THROWS_WITH(part(x), Catch::Contains("rows 3 to 13 of a batch of 10"));
    nn::set_dropout_shard(part, 0, 0);
    // The generators are where one process's would be: the next masks agree too.
    CHECK(part(x).value() == (*whole)(x).value());
}

namespace {
// A module of one's own keeping the handles register_parameter returns.
struct Affine : nn::Module {
    Tensor scale, shift;
    Affine() {
        // By value: a reference into the module's list of parameters would dangle once it grows.
        static_assert(std::is_same_v<decltype(register_parameter("scale", Tensor())), Tensor>);
        scale = register_parameter("scale", Tensor(Matrix::Constant(1, 2, 2.0f)));
        shift = register_parameter("shift", Tensor(Matrix::Constant(1, 2, 1.0f)), {2});
    }
    Tensor forward(const Tensor& x) override { return x * scale + shift; }
    std::string name() const override { return "Affine"; }
};
}  // namespace

TEST_CASE("the handle register_parameter returns is the parameter itself", "[layers]") {
    Affine m;
    const auto named = m.named_parameters();
    REQUIRE(named.size() == 2);
    CHECK(named[0].second.node() == m.scale.node());
    CHECK(named[1].second.node() == m.shift.node());
    sum(m(Tensor::from({{1, 1}}))).backward();
    CHECK(named[0].second.grad() == Matrix::Ones(1, 2));
}

TEST_CASE("zero_grad clears every parameter's gradient", "[layers]") {
    auto net = nn::mlp({{3, 4, 2}, "relu"});
    sum((*net)(Tensor(Matrix::Ones(2, 3)))).backward();
    for (const Tensor& p : net->parameters()) CHECK(p.has_grad());
    net->zero_grad();
    for (const Tensor& p : net->parameters()) CHECK_FALSE(p.has_grad());
}

TEST_CASE("arch strings and activation names are checked", "[layers]") {
    CHECK(nn::parse_arch("784-256-128-10") == std::vector<Eigen::Index>{784, 256, 128, 10});
    CHECK_THROWS_WITH(nn::parse_arch("784-x-10"), Catch::Contains("arch '784-x-10'"));
    CHECK_THROWS_WITH(nn::parse_arch("784-"), Catch::Contains("arch '784-'"));
    CHECK_THROWS_WITH(nn::parse_arch("784"), Catch::Contains("at least an input and an output"));
    CHECK_THROWS_WITH(nn::parse_arch("784-0-10"), Catch::Contains("positive"));
    CHECK_THROWS_WITH(nn::make_activation("swish"), Catch::Contains("use relu, leaky_relu, tanh, sigmoid or gelu"));
    CHECK(nn::MlpSpec{{784, 256, 10}}.arch() == "784-256-10");
}

TEST_CASE("one grammar selects Linear layers: hidden, all or a comma list", "[layers]") {
    using V = std::vector<size_t>;
    // An MLP with `count` Linear layers; count 0 gives one with none.
    const auto net = [](size_t count) {
        auto seq = std::make_shared<nn::Sequential>();
        if (count == 0) seq->push_back(std::make_shared<nn::ReLU>());
        for (size_t i = 0; i < count; ++i) seq->push_back(std::make_shared<nn::Linear>(2, 2));
        return seq;
    };
    CHECK(nn::select_linear_layers("hidden", *net(3)) == V{1, 2});
    CHECK(nn::select_linear_layers("all", *net(3)) == V{0, 1, 2});
    CHECK(nn::select_linear_layers("2,0", *net(3)) == V{0, 2});  // sorted
    CHECK(nn::select_linear_layers("1", *net(2)) == V{1});
    CHECK(nn::select_linear_layers("all", *net(1)) == V{0});
    // A model that does not begin with a Linear: none of its Linears reads the raw data.
    CHECK(nn::select_linear_layers("hidden", *nn::build_model({"1x4x4:conv2k3-relu-flatten-linear3-relu-linear2"}).net) == V{0, 1});
    CHECK(nn::select_linear_layers("hidden", *nn::build_model({"1x4x4:flatten-linear3-relu-linear2"}).net) == V{0, 1});
    const std::string use = "' is not a Linear index; use hidden, all or a comma list of indices such as 1,2";
    const auto fails = [&](const std::string& spec, size_t count) { return nn::select_linear_layers(spec, *net(count)); };
    CHECK_THROWS_WITH(fails("1,,2", 3), "layers '1,,2': '" + use);
    CHECK_THROWS_WITH(fails("x", 3), "layers 'x': 'x" + use);
    CHECK_THROWS_WITH(fails("-1", 3), "layers '-1': '-1" + use);
    CHECK_THROWS_WITH(fails("", 3), "layers '': '" + use);
    CHECK_THROWS_WITH(fails("1,", 3), "layers '1,': '" + use);
    CHECK_THROWS_WITH(fails("1, 2", 3), "layers '1, 2': ' 2" + use);
    CHECK_THROWS_WITH(fails("Hidden", 3), "layers 'Hidden': 'Hidden" + use);
    CHECK_THROWS_WITH(fails("1,1", 3), "layers '1,1': Linear 1 is named twice");
    CHECK_THROWS_WITH(fails("0,5", 3), "layers '0,5': Linear 5 is out of range; the model has 3 Linear layers, counted from 0");
    CHECK_THROWS_WITH(fails("1", 1), "layers '1': Linear 1 is out of range; the model has 1 Linear layer, counted from 0");
    CHECK_THROWS_WITH(fails("hidden", 1), "layers 'hidden' selects no layer of a model with 1 Linear layer");
    CHECK_THROWS_WITH(fails("all", 0), "layers 'all' selects no layer of a model with 0 Linear layers");

    // The form alone, before there is a model: any index is fine, a malformed list is not.
    CHECK_NOTHROW(nn::check_linear_layer_spec("hidden"));
    CHECK_NOTHROW(nn::check_linear_layer_spec("all"));
    CHECK_NOTHROW(nn::check_linear_layer_spec("0,7,1500"));
    CHECK_THROWS_WITH(nn::check_linear_layer_spec("1,x"), "layers '1,x': 'x" + use);
    CHECK_THROWS_WITH(nn::check_linear_layer_spec("3,3"), "layers '3,3': Linear 3 is named twice");
}

TEST_CASE("BCEWithLogitsLoss passes gradcheck in both inputs, with and without pos_weight", "[layers][gradcheck]") {
    Generator gen(9);
    const Tensor x(randn(4, 3, gen).value() * 2.0f);
    const Tensor y = Tensor::from({{0, 1, 0.5f}, {0.2f, 0.9f, 1}, {1, 0, 0}, {0.7f, 0.3f, 0.1f}});
    for (const Matrix& pos_weight : {Matrix(), Tensor::from({{2, 0.5f, 1}}).value()}) {
        const nn::BCEWithLogitsLoss bce{pos_weight};
        const GradcheckResult r = gradcheck([&](const std::vector<Tensor>& v) { return bce(v[0], v[1]); }, {x, y});
        INFO("pos_weight " << shape_str(pos_weight) << ": " << r.worst);
        CHECK(r.ok);
    }
}

TEST_CASE("BCEWithLogitsLoss gives hand-computed values and stays finite at large logits", "[layers]") {
    // Per entry max(x, 0) - x y + log(1 + e^-|x|), d/dx = (sigmoid(x) - y) / N; x = +-100 would give
    // log(0) in the textbook form y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)).
    Tensor x = Tensor::from({{0, 100, -100, 2}}, true);
    const Tensor y = Tensor::from({{0.3f, 0, 1, 1}});
    const Tensor loss = nn::BCEWithLogitsLoss{}(x, y);
    const double softplus_minus2 = std::log1p(std::exp(-2.0)), sigmoid2 = 1.0 / (1.0 + std::exp(-2.0));
    CHECK(loss.item() == Approx((std::log(2.0) + 100 + 100 + softplus_minus2) / 4));
    loss.backward();
    CHECK(x.grad()(0, 0) == Approx((0.5 - 0.3) / 4));
    CHECK(x.grad()(0, 1) == Approx(0.25));
    CHECK(x.grad()(0, 2) == Approx(-0.25));
    CHECK(x.grad()(0, 3) == Approx((sigmoid2 - 1) / 4));

    // pos_weight p scales the loss of positive targets: p log 2 at x = 0, y = 1; d/dx = -p / 2 / N
    Tensor z = Tensor::from({{0, 0}}, true);
    const Tensor weighted = nn::BCEWithLogitsLoss{Tensor::from({{3, 1}}).value()}(z, Tensor::from({{1, 1}}));
    CHECK(weighted.item() == Approx(2 * std::log(2.0)));
    weighted.backward();
    CHECK(z.grad()(0, 0) == Approx(-0.75));
    CHECK(z.grad()(0, 1) == Approx(-0.25));

    CHECK_THROWS_WITH(nn::BCEWithLogitsLoss{}(Tensor::zeros(4, 2), Tensor::zeros(4, 1)),
                      "BCEWithLogitsLoss: input (4x2) and target (4x1) differ");
    CHECK_THROWS_WITH(nn::BCEWithLogitsLoss{Matrix::Ones(1, 3)}(Tensor::zeros(4, 2), Tensor::zeros(4, 2)),
                      "BCEWithLogitsLoss: pos_weight (1x3) does not fit input (4x2)");
}
