// Pruning: small hand-built MLPs whose pruned form is worked out by hand, then `hebb prune` end to end.
#include <catch2/catch.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <tuple>

#include "hebb.h"
#include "tests/cli.h"
#include "layers/prune.h"

namespace fs = std::filesystem;
using namespace hebb;
using Json = nlohmann::json;

namespace {

// Sets dense layer `layer` (the layer-th Linear) of an MLP by hand: weight (out x in), bias (1 x out).
void set_layer(nn::Module& net, size_t layer, Matrix weight, Matrix bias) {
    std::vector<Tensor> p = net.parameters();  // weight, bias of each Linear, in order
    REQUIRE(p[2 * layer].value().rows() == weight.rows());
    REQUIRE(p[2 * layer].value().cols() == weight.cols());
    p[2 * layer].value() = std::move(weight);
    p[2 * layer + 1].value() = std::move(bias);
}

Matrix mat(std::initializer_list<std::initializer_list<float>> rows) { return Tensor::from(rows).value(); }

Matrix outputs(nn::Module& net, const Matrix& x) {
    NoGradGuard no_grad;
    net.eval();
    return net(Tensor(x)).value();
}

// The pruned-but-not-shrunk network: a copy of `net` with every weight |w| < t set to 0.
std::shared_ptr<nn::Sequential> thresholded(const nn::MlpSpec& spec, const nn::Sequential& net, float t) {
    auto copy = nn::mlp(spec);
    copy->load_state_dict(net.state_dict());
    std::vector<Tensor> p = copy->parameters();
    for (size_t i = 0; i < p.size(); i += 2) p[i].value() = (p[i].value().array().abs() < t).select(0.0f, p[i].value());
    return copy;
}

// Both networks compute the same outputs, to float precision, on a spread of inputs.
void check_same_function(nn::Module& a, nn::Module& b, Eigen::Index inputs) {
    Generator gen(7);
    Matrix x = randn(64, inputs, gen).value() * 2.0f;
    x.row(0).setZero();
    const Matrix ya = outputs(a, x), yb = outputs(b, x);
    REQUIRE(ya.rows() == yb.rows());
    REQUIRE(ya.cols() == yb.cols());
    const float scale = 1.0f + ya.cwiseAbs().maxCoeff();
    CHECK((ya - yb).cwiseAbs().maxCoeff() <= 1e-6f * scale);
}

float act_by_hand(const std::string& name, float x) {
    if (name == "relu") return std::max(0.0f, x);
    if (name == "leaky_relu") return x > 0 ? x : 0.01f * x;
    if (name == "tanh") return std::tanh(x);
    if (name == "sigmoid") return 1.0f / (1.0f + std::exp(-x));
    if (name == "gelu") return 0.5f * x * (1.0f + std::erf(x / std::sqrt(2.0f)));
    FAIL("no activation " << name);
    return 0;
}

// 3-4-2 at threshold 0.3: hidden neuron 0 keeps its weights; 1 (bias -0.7) and 2 (bias +0.4) lose
// every incoming weight; 3 loses every outgoing weight. What is left is 3-1-2.
nn::MlpSpec spec342(const std::string& act) { return {{3, 4, 2}, act}; }
std::shared_ptr<nn::Sequential> net342(const std::string& act) {
    auto net = nn::mlp(spec342(act));
    set_layer(*net, 0,
              mat({{0.9f, -0.8f, 0.7f}, {0.1f, -0.2f, 0.05f}, {0.2f, 0.0f, -0.25f}, {1.0f, 0.6f, -0.9f}}),
              mat({{0.1f, -0.7f, 0.4f, 0.2f}}));
    set_layer(*net, 1, mat({{0.5f, 0.8f, -0.6f, 0.1f}, {-0.7f, 0.9f, 0.45f, -0.2f}}), mat({{0.05f, -0.1f}}));
    return net;
}

// The two numbers of a markdown row "| name | a | b |" in `output`.
std::pair<double, double> table_row(const std::string& output, const std::string& name) {
    const auto at = output.find("| " + name);
    REQUIRE(at != std::string::npos);
    const std::string line = output.substr(at + 2 + name.size(), output.find('\n', at) - at - 2 - name.size());
    double a = -1, b = -1;
    REQUIRE(std::sscanf(line.c_str(), " | %lf | %lf", &a, &b) == 2);
    return {a, b};
}

std::string str(float t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", t);
    return buf;
}

const std::string spirals = "--data spirals --arch 2-32-32-2 --lr 0.01 --batch-size 50 --threads 1";

}  // namespace

TEST_CASE("neurons without incoming weights are folded into the next bias, exactly", "[prune]") {
    for (const std::string act : {"relu", "sigmoid", "gelu", "tanh", "leaky_relu"}) {
        INFO(act);
        auto net = net342(act);
        const nn::PrunedMlp p = nn::prune_mlp(spec342(act), *net, 0.3f);
        REQUIRE(p.spec.sizes == std::vector<Eigen::Index>{3, 1, 2});
        CHECK(p.spec.activation == act);

        const std::vector<Tensor> w = p.model->parameters();
        CHECK(w[0].value() == mat({{0.9f, -0.8f, 0.7f}}));
        CHECK(w[1].value() == mat({{0.1f}}));
        CHECK(w[2].value() == mat({{0.5f}, {-0.7f}}));
        // b_out += W_out[:, j] * act(b_j) for the constant neurons 1 (b = -0.7) and 2 (b = 0.4).
        const float a1 = act_by_hand(act, -0.7f), a2 = act_by_hand(act, 0.4f);
        CHECK(w[3].value()(0, 0) == Approx(0.05f + 0.8f * a1 - 0.6f * a2).epsilon(1e-6));
        CHECK(w[3].value()(0, 1) == Approx(-0.1f + 0.9f * a1 + 0.45f * a2).epsilon(1e-6));
        if (act == "relu") CHECK(a1 == 0.0f);
        if (act == "sigmoid" || act == "gelu") CHECK(a1 != 0.0f);  // act(b) != 0 for b < 0

        auto reference = thresholded(spec342(act), *net, 0.3f);
        check_same_function(*reference, *p.model, 3);
    }
}

TEST_CASE("the counts: weights, parameters, FLOPs and neurons, by hand", "[prune]") {
    auto net = net342("relu");
    const nn::PruneStats s = nn::prune_mlp(spec342("relu"), *net, 0.3f).stats;
    CHECK(s.weights_total == 3 * 4 + 4 * 2);           // 20
    CHECK(s.nonzero_before == 19);                      // one weight is exactly 0
    CHECK(s.kept == 6 + 6);                             // |w| >= 0.3: 3 + 3 into neurons 0 and 3, 6 out
    CHECK(s.nonzero_after == 3 + 2);                    // 3-1-2, all its weights nonzero
    CHECK(s.params_before == 3 * 4 + 4 + 4 * 2 + 2);    // 26
    CHECK(s.params_after == 3 * 1 + 1 + 1 * 2 + 2);     // 8
    CHECK(s.flops_before == 2 * (3 * 4 + 4 * 2));       // 40
    CHECK(s.flops_after == 2 * (3 * 1 + 1 * 2));        // 10
    CHECK(s.neurons_before == std::vector<Eigen::Index>{3, 4, 2});
    CHECK(s.neurons_after == std::vector<Eigen::Index>{3, 1, 2});
    CHECK(nn::dense_parameters({784, 256, 128, 10}) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
    CHECK(nn::dense_flops({784, 256, 128, 10}) == 2 * (784 * 256 + 256 * 128 + 128 * 10));
}

TEST_CASE("removal cascades forward and backward until nothing changes", "[prune]") {
    // 2-3-3-2 at threshold 0.5 (small weights are 0.1). Forward: a1 has no input, so it is folded;
    // c1's only input was a1, so c1 is folded next. Backward: c2 has no output and goes; a2 fed only
    // c2, so it goes on the next pass. Left: 2-1-1-2 (a0 and c0).
    const nn::MlpSpec spec{{2, 3, 3, 2}, "sigmoid"};
    for (const std::string act : {"sigmoid", "relu"}) {
        INFO(act);
        nn::MlpSpec s = spec;
        s.activation = act;
        auto net = nn::mlp(s);
        set_layer(*net, 0, mat({{1, -1}, {0.1f, 0.1f}, {1, 1}}), mat({{0.2f, 0.3f, -0.4f}}));
        set_layer(*net, 1, mat({{1, 0.1f, 0.1f}, {0.1f, 1, 0.1f}, {0.1f, 0.1f, 1}}), mat({{-0.3f, -0.5f, 0.6f}}));
        set_layer(*net, 2, mat({{1, 1, 0.1f}, {-1, 1, 0.1f}}), mat({{0.1f, -0.2f}}));
        const nn::PrunedMlp p = nn::prune_mlp(s, *net, 0.5f);
        CHECK(p.spec.arch() == "2-1-1-2");
        CHECK(p.model->parameters()[0].value() == mat({{1, -1}}));  // a0 is the survivor
        CHECK(p.stats.nonzero_after == 2 + 1 + 2);
        auto reference = thresholded(s, *net, 0.5f);
        check_same_function(*reference, *p.model, 2);
    }
}

TEST_CASE("a hidden layer that loses every neuron keeps one, and the function stays", "[prune]") {
    // Every first-layer weight is small: the whole first hidden layer is constant, and then so is
    // the second; each keeps one neuron with zero weights and the output is a constant.
    const nn::MlpSpec spec{{2, 3, 2, 2}, "gelu"};
    auto net = nn::mlp(spec);
    set_layer(*net, 0, mat({{0.1f, 0.1f}, {-0.1f, 0.1f}, {0.1f, -0.1f}}), mat({{-0.5f, 0.3f, 1.2f}}));
    set_layer(*net, 1, mat({{1, -2, 0.5f}, {0.7f, 1, -1}}), mat({{-0.3f, 0.4f}}));
    set_layer(*net, 2, mat({{1, -1}, {2, 0.5f}}), mat({{0.1f, -0.2f}}));
    const nn::PrunedMlp p = nn::prune_mlp(spec, *net, 0.2f);
    CHECK(p.spec.arch() == "2-1-1-2");
    const std::vector<Tensor> w = p.model->parameters();
    for (size_t i = 0; i < 4; ++i) CHECK(w[i].value().isZero());  // the kept neurons add nothing
    CHECK(p.stats.nonzero_after == 0);
    auto reference = thresholded(spec, *net, 0.2f);
    check_same_function(*reference, *p.model, 2);
    const Matrix y = outputs(*p.model, randn(5, 2).value());
    CHECK(y.row(0) == y.row(4));  // a constant
}

TEST_CASE("threshold 0 keeps the model identical, and pruning leaves the source alone", "[prune]") {
    manual_seed(3);
    const nn::MlpSpec spec{{5, 8, 6, 3}, "tanh", 0.25f};
    auto net = nn::mlp(spec);
    const StateDict before = net->state_dict();
    manual_seed(11);
    const nn::PrunedMlp p = nn::prune_mlp(spec, *net, 0.0f);
    const Matrix drawn = randn(1, 4).value();
    manual_seed(11);
    CHECK(drawn == randn(1, 4).value());  // prune drew no random numbers
    CHECK(p.spec.sizes == spec.sizes);
    CHECK(p.spec.activation == "tanh");
    CHECK(p.spec.dropout == 0.25f);
    const StateDict a = net->state_dict(), b = p.model->state_dict();
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        INFO(a[i].name);
        CHECK(a[i].name == b[i].name);
        CHECK(a[i].value == b[i].value);
        CHECK(a[i].value == before[i].value);
    }
    CHECK(p.stats.kept == p.stats.weights_total);
    CHECK(p.stats.nonzero_after == p.stats.weights_total);
    CHECK(p.stats.params_after == p.stats.params_before);
    CHECK(p.stats.flops_after == p.stats.flops_before);
    CHECK(p.model->is_training() == net->is_training());

    // The source, thresholded hard, is still untouched.
    nn::prune_mlp(spec, *net, 0.5f);
    const StateDict after = net->state_dict();
    for (size_t i = 0; i < a.size(); ++i) CHECK(after[i].value == before[i].value);
}

TEST_CASE("threshold_for_fraction keeps that fraction of the weights by |w|", "[prune]") {
    const nn::MlpSpec spec{{2, 3, 2}, "relu"};
    auto net = nn::mlp(spec);
    // |w| = 1 .. 12, signs mixed.
    set_layer(*net, 0, mat({{1, -2}, {3, -4}, {5, 6}}), mat({{0, 0, 0}}));
    set_layer(*net, 1, mat({{-7, 8, 9}, {10, -11, 12}}), mat({{0, 0}}));
    CHECK(nn::threshold_for_fraction(*net, 1.0) == 0.0f);
    CHECK(nn::threshold_for_fraction(*net, 0.5) == 7.0f);
    CHECK(nn::threshold_for_fraction(*net, 0.25) == 10.0f);
    CHECK(nn::threshold_for_fraction(*net, 1.0 / 12) == 12.0f);
    const float none = nn::threshold_for_fraction(*net, 0.0);
    CHECK(none > 12.0f);
    CHECK(nn::prune_mlp(spec, *net, none).stats.kept == 0);
    CHECK(nn::prune_mlp(spec, *net, 7.0f).stats.kept == 6);
    CHECK_THROWS_WITH(nn::threshold_for_fraction(*net, 1.5), Catch::Contains("fraction 1.5"));
    CHECK_THROWS_WITH(nn::threshold_for_fraction(*net, -0.1), Catch::Contains("fraction -0.1"));

    manual_seed(1);
    const nn::MlpSpec big{{20, 30, 10}, "relu"};
    auto random = nn::mlp(big);
    for (double f : {1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01}) {
        INFO(f);
        const auto s = nn::prune_mlp(big, *random, nn::threshold_for_fraction(*random, f)).stats;
        CHECK(s.kept == std::lround(f * 900));
    }
}

// 3-4-3-2 whose hidden neurons' outgoing norms are set by hand. Layer 1 (columns of the second
// weight): about 1, 3, 1.9, 1.9, the last two exactly equal. Layer 2 (columns of the third): 0.5, 2, 1.
std::shared_ptr<nn::Sequential> net4332() {
    auto net = nn::mlp({{3, 4, 3, 2}, "relu"});
    set_layer(*net, 0, mat({{0.9f, -0.8f, 0.7f}, {0.1f, -0.2f, 0.3f}, {0.5f, 0.4f, -0.6f}, {-0.3f, 0.2f, 0.8f}}),
              mat({{0.1f, -0.2f, 0.3f, 0.05f}}));
    set_layer(*net, 1, mat({{-0.48f, 2, 1, -1}, {0.6f, -2, -1.2f, 1.2f}, {0.64f, 1, 1.1f, -1.1f}}), mat({{0.2f, -0.1f, 0.3f}}));
    set_layer(*net, 2, mat({{0.3f, 1.2f, -0.6f}, {-0.4f, -1.6f, 0.8f}}), mat({{0.05f, -0.05f}}));
    return net;
}

// A copy of `net` (an MLP) with the outgoing columns of the listed hidden neurons zeroed: dropped[l]
// lists those of hidden layer l + 1, whose outgoing weights are Linear l + 1's columns.
std::shared_ptr<nn::Sequential> without(const nn::MlpSpec& spec, const nn::Sequential& net,
                                        const std::vector<std::vector<Eigen::Index>>& dropped) {
    auto copy = nn::mlp(spec);
    copy->load_state_dict(net.state_dict());
    std::vector<Tensor> p = copy->parameters();
    for (size_t l = 0; l < dropped.size(); ++l)
        for (Eigen::Index j : dropped[l]) p[2 * (l + 1)].value().col(j).setZero();
    return copy;
}

TEST_CASE("prune_neurons keeps the neurons with the largest outgoing norms, the lower index on a tie", "[prune]") {
    auto net = net4332();
    const nn::MlpSpec spec{{3, 4, 3, 2}, "relu"};
    const StateDict before = net->state_dict();
    // Half: 2 of 4 in layer 1 (neuron 1, then 2 before 3 on the tie) and round(1.5) = 2 of 3 in layer 2 (1 and 2).
    const nn::PrunedModel p = nn::prune_neurons(nn::model_spec(spec), *net, 0.5);
    CHECK(p.spec.arch == "3-2-2-2");
    const std::vector<Tensor> w = p.model->parameters();
    CHECK(w[0].value() == mat({{0.1f, -0.2f, 0.3f}, {0.5f, 0.4f, -0.6f}}));
    CHECK(w[1].value() == mat({{-0.2f, 0.3f}}));
    CHECK(w[2].value() == mat({{-2, -1.2f}, {1, 1.1f}}));
    CHECK(w[3].value() == mat({{-0.1f, 0.3f}}));
    CHECK(w[4].value() == mat({{1.2f, -0.6f}, {-1.6f, 0.8f}}));
    CHECK(w[5].value() == mat({{0.05f, -0.05f}}));
    // The same function as the source with the dropped neurons' outgoing weights zeroed.
    check_same_function(*without(spec, *net, {{0, 3}, {0}}), *p.model, 3);
    CHECK(p.stats.nonzero_before == 12 + 12 + 6);
    CHECK(p.stats.kept == 12 + 12 + 6 - 2 * 3 - 2);
    CHECK(p.stats.nonzero_after == 6 + 4 + 4);
    CHECK(p.stats.neurons_after == std::vector<Eigen::Index>{3, 2, 2, 2});
    const StateDict after = net->state_dict();
    for (size_t i = 0; i < before.size(); ++i) CHECK(after[i].value == before[i].value);  // the source is untouched

    // A quarter, and any fraction that rounds to none: one neuron per layer, the strongest.
    for (double f : {0.25, 0.01}) {
        INFO(f);
        const nn::PrunedModel q = nn::prune_neurons(nn::model_spec(spec), *net, f);
        CHECK(q.spec.arch == "3-1-1-2");
        CHECK(q.model->parameters()[0].value() == mat({{0.1f, -0.2f, 0.3f}}));
        check_same_function(*without(spec, *net, {{0, 2, 3}, {0, 2}}), *q.model, 3);
    }
    CHECK_THROWS_WITH(nn::prune_neurons(nn::model_spec(spec), *net, 0.0), Catch::Contains("fraction 0 is not in (0, 1]"));
    CHECK_THROWS_WITH(nn::prune_neurons(nn::model_spec(spec), *net, 1.5), Catch::Contains("fraction 1.5"));
    CHECK_THROWS_WITH(nn::prune_neurons(nn::model_spec(spec), *net, NAN), Catch::Contains("prune_neurons: fraction"));
}

TEST_CASE("prune_neurons at fraction 1 changes nothing and draws no random numbers", "[prune]") {
    manual_seed(3);
    const nn::MlpSpec spec{{5, 8, 6, 3}, "tanh", 0.25f};
    auto net = nn::mlp(spec);
    net->eval();
    manual_seed(11);
    const nn::PrunedModel p = nn::prune_neurons(nn::model_spec(spec), *net, 1.0);
    const Matrix drawn = randn(1, 4).value();
    manual_seed(11);
    CHECK(drawn == randn(1, 4).value());
    CHECK(p.spec.arch == "5-8-6-3");
    CHECK(p.spec.activation == "tanh");
    CHECK(p.spec.dropout == 0.25f);
    CHECK_FALSE(p.model->is_training());
    const StateDict a = net->state_dict(), b = p.model->state_dict();
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].value == b[i].value);
    CHECK(p.stats.kept == p.stats.weights_total);
    CHECK(p.stats.params_after == p.stats.params_before);
}

TEST_CASE("prune_neurons on a conv net prunes the hidden dense neurons only", "[prune]") {
    Generator gen(21);
    const std::string arch = "1x6x6:conv3k3-relu-maxpool2-flatten-linear6-tanh-dropout0.25-linear5-tanh-dropout0.25-linear3";
    const nn::Model model = nn::build_model({arch}, gen);
    model.net->eval();
    const nn::PrunedModel p = nn::prune_neurons({arch}, *model.net, 0.5);
    // 3 of fc1's 6 neurons, round(2.5) = 3 of fc2's 5; the 12 conv features and the 3 logits stay.
    CHECK(p.stats.neurons_after == std::vector<Eigen::Index>{12, 3, 3, 3});
    CHECK(p.spec.arch == "1x6x6:conv3k3-relu-maxpool2-flatten-linear3-tanh-dropout0.25-linear3-tanh-dropout0.25-linear3");
    CHECK(p.model->state_dict()[0].value == model.net->state_dict()[0].value);  // conv weights as they were
    CHECK(p.stats.fixed_params == 3 * 9 + 3);

    // The reference: the source with the outgoing columns of all but the 3 strongest neurons of each
    // hidden layer zeroed.
    const nn::Model reference = nn::build_model({arch}, gen);
    reference.net->load_state_dict(model.net->state_dict());
    reference.net->eval();
    const std::vector<const nn::Linear*> linears = nn::linear_layers(*reference.net);
    std::vector<Eigen::Index> strongest_fc1;
    for (size_t l = 1; l < linears.size(); ++l) {
        Matrix& w = const_cast<nn::Linear*>(linears[l])->weight.value();
        std::vector<Eigen::Index> order(static_cast<size_t>(w.cols()));
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](auto i, auto j) { return w.col(i).norm() > w.col(j).norm(); });
        for (size_t r = 3; r < order.size(); ++r) w.col(order[r]).setZero();
        if (l == 1) strongest_fc1.assign(order.begin(), order.begin() + 3);
    }
    check_same_function(*reference.net, *p.model, 36);
    std::sort(strongest_fc1.begin(), strongest_fc1.end());
    const Matrix& fc1 = nn::linear_layers(*model.net)[0]->weight.value();
    CHECK(nn::linear_layers(*p.model)[0]->weight.value() == Matrix(fc1(strongest_fc1, Eigen::all)));

    // LeNet-5: fc1 and fc2 lose three quarters of their neurons; conv channels, the 400 features
    // and the 10 logits stay.
    const nn::Model lenet = nn::build_model({"lenet5"}, gen);
    const nn::PrunedModel small = nn::prune_neurons({"lenet5"}, *lenet.net, 0.25);
    CHECK(small.stats.neurons_after == std::vector<Eigen::Index>{400, 30, 21, 10});
    CHECK(small.stats.fixed_params == 6 * 25 + 6 + 16 * 6 * 25 + 16);
    CHECK(small.stats.params_after == nn::dense_parameters({400, 30, 21, 10}));
    CHECK_THAT(small.spec.arch, Catch::Contains("conv6k5") && Catch::Contains("conv16k5") &&
                                    Catch::Contains("linear30") && Catch::Contains("linear21") && Catch::Contains("linear10"));
}

TEST_CASE("prune refuses a negative threshold and a model that is not its spec's MLP", "[prune]") {
    auto net = net342("relu");
    CHECK_THROWS_WITH(nn::prune_mlp(spec342("relu"), *net, -1.0f), Catch::Contains("threshold -1"));
    CHECK_THROWS_WITH(nn::prune_mlp(spec342("relu"), *net, NAN), Catch::Contains("must be >= 0"));
    CHECK_THROWS_WITH(nn::prune_mlp({{3, 5, 2}, "relu"}, *net, 0.1f),
                      Catch::Contains("not the MLP 3-5-2") && Catch::Contains("expected (5x3)"));
    CHECK_THROWS_WITH(nn::prune_mlp(spec342("tanh"), *net, 0.1f), Catch::Contains("expected Tanh"));
    nn::Sequential two_linear{std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::Linear>(4, 2)};
    CHECK_THROWS_WITH(nn::prune_mlp(spec342("relu"), two_linear, 0.1f), Catch::Contains("it has 2 modules"));
}

TEST_CASE("a pruned model round-trips through a checkpoint", "[prune]") {
    auto net = net342("sigmoid");
    const nn::PrunedMlp p = nn::prune_mlp(spec342("sigmoid"), *net, 0.3f);
    const fs::path path = cli::scratch("roundtrip.safetensors");
    training::save_checkpoint(path.string(), nn::model_spec(p.spec), *p.model, {}, {{"pruned_from", "net342"}, {"threshold", "0.3"}});
    const training::Checkpoint loaded = training::load_checkpoint(path.string());
    CHECK(loaded.spec.arch == "3-1-2");
    CHECK(loaded.spec.activation == "sigmoid");
    CHECK(loaded.notes.at("pruned_from") == "net342");
    check_same_function(*loaded.model, *p.model, 3);
    const Matrix x = randn(4, 3).value();
    CHECK(outputs(*loaded.model, x) == outputs(*p.model, x));
}

TEST_CASE("hebb prune on a trained model: eval of the pruned file agrees with what prune printed", "[prune]") {
    const fs::path dir = cli::scratch("run"), out = cli::scratch("pruned.safetensors");
    REQUIRE(cli::hebb("train " + spirals + " --epochs 5 --out " + dir.string()).status == 0);
    const std::string source = (dir / "last.safetensors").string();
    const training::Checkpoint loaded = training::load_checkpoint(source);
    const float t = nn::threshold_for_fraction(*loaded.model, 0.2);

    const cli::Result r = cli::hebb("prune --data spirals --model " + source + " --abs-threshold " + str(t) + " --out " + out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto [before, after] = table_row(r.output, "test accuracy");
    const Json eval_after = Json::parse(cli::hebb("eval --json --data spirals --model " + out.string()).output);
    const Json eval_before = Json::parse(cli::hebb("eval --json --data spirals --model " + source).output);
    CHECK(eval_after["accuracy"].get<double>() == Approx(after).margin(5e-5));
    CHECK(eval_before["accuracy"].get<double>() == Approx(before).margin(5e-5));
    CHECK_THAT(r.output, Catch::Contains("| parameters") && Catch::Contains("| FLOPs per sample") &&
                             Catch::Contains("| nonzero weights") && Catch::Contains("2-32-32-2"));

    const training::Checkpoint pruned = training::load_checkpoint(out.string());
    CHECK_THAT(r.output, Catch::Contains(pruned.spec.arch));
    const std::vector<Eigen::Index> sizes = nn::parse_arch(pruned.spec.arch);
    REQUIRE(sizes.size() == 4);
    CHECK(sizes.front() == 2);
    CHECK(sizes.back() == 2);
    CHECK(sizes[1] + sizes[2] < 64);  // 20 % of the weights leave neurons with none
    CHECK(pruned.notes.at("pruned_from") == source);
    CHECK(std::stof(pruned.notes.at("abs_threshold")) == t);
    CHECK_FALSE(pruned.run);  // the source run's epoch, generator and optimizer describe other weights

    // On the real test inputs, the smaller model is the thresholded one.
    const data::Splits splits = data::load_dataset("spirals");
    auto reference = thresholded({nn::parse_arch(loaded.spec.arch), loaded.spec.activation}, *loaded.model, t);
    const Matrix ya = outputs(*reference, splits.test.features()), yb = outputs(*pruned.model, splits.test.features());
    CHECK((ya - yb).cwiseAbs().maxCoeff() <= 1e-5f * (1.0f + ya.cwiseAbs().maxCoeff()));

    const cli::Result inspect = cli::hebb("inspect " + out.string());
    CHECK(inspect.status == 0);
    CHECK_THAT(inspect.output, Catch::Contains("arch " + pruned.spec.arch) && Catch::Contains("pruned_from"));
}

// The rows of the CSV `path` wrote by hebb prune --sweep, as cells, the header checked.
std::vector<std::vector<std::string>> csv_rows(const fs::path& path) {
    std::istringstream lines(cli::read_text(path));
    std::string line;
    REQUIRE(std::getline(lines, line));
    CHECK(line == "kind,fraction,model,label,arch,parameters,nonzero_dense_weights,flops,accuracy");
    std::vector<std::vector<std::string>> rows;
    while (std::getline(lines, line)) {
        std::vector<std::string> cells;
        std::istringstream cells_in(line);
        for (std::string cell; std::getline(cells_in, cell, ',');) cells.push_back(cell);
        REQUIRE(cells.size() == 9);
        rows.push_back(cells);
    }
    return rows;
}

// The cells of the first table after `anchor` in `output`, one vector per row below its header line.
std::vector<std::vector<std::string>> table_after(const std::string& output, const std::string& anchor) {
    size_t at = output.find(anchor);
    REQUIRE(at != std::string::npos);
    at = output.find("\n|", at) + 1;
    at = output.find('\n', output.find('\n', at) + 1) + 1;  // past the header and the |---| line
    std::vector<std::vector<std::string>> rows;
    while (at < output.size() && output[at] == '|') {
        const std::string line = output.substr(at, output.find('\n', at) - at);
        std::vector<std::string> cells;
        for (size_t from = 1, to; (to = line.find(" |", from)) != std::string::npos; from = to + 2)
            cells.push_back(line.substr(from + 1, to - from - 1));
        rows.push_back(cells);
        at += line.size() + 1;
    }
    return rows;
}

TEST_CASE("hebb prune --sweep: a CSV row per model, pruning and fraction; labels averaged; the smallest model within 0.5 points", "[prune]") {
    const fs::path a = cli::scratch("a"), b = cli::scratch("b"), out = cli::scratch("sweep"), csv = out / "sweep.csv",
                   plot = out / "sweep.svg";
    REQUIRE(cli::hebb("train " + spirals + " --epochs 3 --out " + a.string()).status == 0);
    REQUIRE(cli::hebb("train " + spirals + " --epochs 3 --seed 1 --reg l1 --alpha 0.001 --out " + b.string()).status == 0);
    const std::string ma = (a / "last.safetensors").string(), mb = (b / "last.safetensors").string();
    // "twice" is model a twice: its means are a's own figures. "mixed" is a and b.
    const cli::Result r = cli::hebb("prune --sweep --data spirals --model " + ma + " --model " + ma + " --model " + ma +
                                    " --model " + mb + " --label twice --label twice --label mixed --label mixed" +
                                    " --baseline-label twice --out " + out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);

    // rows: kind-major, then model, then fraction 2^(-i/2) for 16 (weights) or 12 (neurons) points.
    const auto rows = csv_rows(csv);
    REQUIRE(rows.size() == 4 * (16 + 12));
    std::map<std::string, std::vector<std::vector<double>>> acc, params, flops, nonzero;  // [kind][model][i]
    for (size_t at = 0; const std::string kind : {"weights", "neurons"}) {
        const size_t points = kind == "weights" ? 16 : 12;
        for (size_t m = 0; m < 4; ++m) {
            acc[kind].emplace_back(), params[kind].emplace_back(), flops[kind].emplace_back(), nonzero[kind].emplace_back();
            for (size_t i = 0; i < points; ++i, ++at) {
                const std::vector<std::string>& row = rows[at];
                INFO(kind << " model " << m << " point " << i);
                CHECK(row[0] == kind);
                CHECK(std::stod(row[1]) == Approx(std::pow(2.0, -0.5 * static_cast<double>(i))).epsilon(1e-5));
                CHECK(row[2] == (m < 3 ? ma : mb));
                CHECK(row[3] == (m < 2 ? "twice" : "mixed"));
                CHECK(row[4].starts_with("2-"));
                acc[kind][m].push_back(std::stod(row[8]));
                params[kind][m].push_back(std::stod(row[5]));
                flops[kind][m].push_back(std::stod(row[7]));
                nonzero[kind][m].push_back(std::stod(row[6]));
                CHECK(std::stol(row[6]) <= std::stol(row[5]));  // nonzero weights within the parameters
                if (i == 0) {
                    CHECK(row[4] == "2-32-32-2");
                    CHECK(row[5] == std::to_string(nn::dense_parameters({2, 32, 32, 2})));
                } else {  // pruning further never grows the model
                    CHECK(params[kind][m][i] <= params[kind][m][i - 1]);
                    CHECK(flops[kind][m][i] <= flops[kind][m][i - 1]);
                }
            }
        }
        CHECK(params[kind][0].back() < params[kind][0].front());
    }
    // Keeping everything is the model itself.
    for (const auto& [m, path] : {std::pair{0, ma}, std::pair{3, mb}}) {
        const double eval = Json::parse(cli::hebb("eval --json --data spirals --model " + path).output)["accuracy"];
        CHECK(acc["weights"][static_cast<size_t>(m)][0] == Approx(eval).margin(1e-9));
        CHECK(acc["neurons"][static_cast<size_t>(m)][0] == Approx(eval).margin(1e-9));
    }
    // Neurons: every hidden layer keeps round(fraction * 32) of its neurons, at least 1.
    CHECK(rows[4 * 16 + 2][4] == "2-16-16-2");
    CHECK(rows[4 * 16 + 11][4] == "2-1-1-2");

    // The printed accuracy tables: per label the mean over its models, [least, greatest].
    for (const std::string kind : {"weights", "neurons"}) {
        INFO(kind);
        const auto table = table_after(r.output, "Pruning " + kind);
        REQUIRE(table.size() == acc[kind][0].size());
        for (size_t i = 0; i < table.size(); ++i) {
            REQUIRE(table[i].size() == 3);
            double mean = 0, low = 0, high = 0;
            REQUIRE(std::sscanf(table[i][1].c_str(), "%lf [%lf, %lf]", &mean, &low, &high) == 3);
            CHECK(mean == Approx(100 * acc[kind][0][i]).margin(1e-6));
            CHECK(low == Approx(100 * acc[kind][0][i]).margin(1e-6));
            CHECK(high == Approx(100 * acc[kind][0][i]).margin(1e-6));
            REQUIRE(std::sscanf(table[i][2].c_str(), "%lf [%lf, %lf]", &mean, &low, &high) == 3);
            const double x = acc[kind][2][i], y = acc[kind][3][i];
            CHECK(mean == Approx(100 * (x + y) / 2).margin(1e-6));
            CHECK(low == Approx(100 * std::min(x, y)).margin(1e-6));
            CHECK(high == Approx(100 * std::max(x, y)).margin(1e-6));
        }
    }

    // The smallest model within 0.5 points of "twice" unpruned, worked out again from the CSV.
    const Json summary = Json::parse(cli::read_text(out / "sweep.json"));
    const double base = acc["weights"][0][0];
    CHECK(summary["baseline_label"] == "twice");
    CHECK(summary["baseline_accuracy"].get<double>() == Approx(base).margin(1e-12));
    REQUIRE(summary["smallest"].size() == 4);
    for (const Json& entry : summary["smallest"]) {
        const std::string kind = entry["kind"], label = entry["label"];
        INFO(label << " " << kind);
        const std::vector<size_t> models = label == "twice" ? std::vector<size_t>{0, 1} : std::vector<size_t>{2, 3};
        for (const auto& [key, size, column] : {std::tuple{"fewest_parameters", &params, "parameters"}, std::tuple{"fewest_flops", &flops, "flops"},
                                                std::tuple{"fewest_nonzero_weights", &nonzero, "nonzero_weights"}}) {
            std::optional<size_t> best;
            std::vector<double> mean_acc, mean_size;
            for (size_t i = 0; i < acc[kind][0].size(); ++i) {
                mean_acc.push_back((acc[kind][models[0]][i] + acc[kind][models[1]][i]) / 2);
                mean_size.push_back(((*size)[kind][models[0]][i] + (*size)[kind][models[1]][i]) / 2);
                if (mean_acc[i] >= base - 0.005 - 1e-9 && (!best || mean_size[i] < mean_size[*best])) best = i;
            }
            if (!best) {
                CHECK(entry[key].is_null());
                continue;
            }
            REQUIRE(entry[key].is_object());
            CHECK(entry[key]["fraction"].get<double>() == Approx(std::pow(2.0, -0.5 * static_cast<double>(*best))));
            CHECK(entry[key]["accuracy"].get<double>() == Approx(mean_acc[*best]).margin(1e-12));
            CHECK(entry[key][column].get<double>() == Approx(mean_size[*best]));
        }
    }
    // "twice" itself always qualifies unpruned.
    CHECK(summary["smallest"][0]["fewest_parameters"].is_object());
    CHECK_THAT(r.output, Catch::Contains("within 0.5 points of twice unpruned") && Catch::Contains("| twice | weights |") &&
                             Catch::Contains("| mixed | neurons |"));

    const std::string svg = cli::read_text(plot);
    CHECK_THAT(svg, Catch::StartsWith("<svg") && Catch::Contains("spirals: pruning weights") &&
                        Catch::Contains("spirals: pruning neurons") && Catch::Contains(">parameters<") &&
                        Catch::Contains(">FLOPs per sample<") && Catch::Contains(">test accuracy (%)<") &&
                        Catch::Contains(">twice<") && Catch::Contains(">mixed<"));
}

TEST_CASE("hebb prune --sweep without --label names each model by its folder, and writes no file unless asked", "[prune]") {
    const fs::path a = cli::scratch("a"), b = cli::scratch("b"), cwd = cli::scratch("cwd");
    REQUIRE(cli::hebb("train " + spirals + " --epochs 2 --out " + a.string()).status == 0);
    REQUIRE(cli::hebb("train " + spirals + " --epochs 2 --seed 1 --out " + b.string()).status == 0);
    fs::create_directories(cwd);
    const std::string ma = (a / "last.safetensors").string(), mb = (b / "last.safetensors").string();
    const cli::Result r = cli::shell("cd " + cwd.string() + " && " + HEBB_EXE +
                                     " prune --sweep --data spirals --model " + ma + " --model " + mb);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.output, Catch::Contains("| fraction kept | a/last | b/last |"));
    CHECK(fs::is_empty(cwd));
    const auto table = table_after(r.output, "Pruning weights");
    REQUIRE(table.size() == 16);
    CHECK(table[0][0] == "1");
    CHECK(table[1][0] == "0.707");
    CHECK(table[15][0] == "0.00552");
    const double eval_a = Json::parse(cli::hebb("eval --json --data spirals --model " + ma).output)["accuracy"];
    CHECK(std::stod(table[0][1]) == Approx(100 * eval_a).margin(5e-3));  // one model: no range
    CHECK(table[0][1].find('[') == std::string::npos);
    CHECK(table_after(r.output, "Pruning neurons").size() == 12);
}

TEST_CASE("hebb prune refuses bad flags, naming the flag and the value", "[prune]") {
    const fs::path model = cli::scratch("model.safetensors"), not_mlp = cli::scratch("not_mlp.safetensors"),
                   out = cli::scratch("out.safetensors");
    training::save_checkpoint(model.string(), {"2-4-2"}, *nn::mlp({{2, 4, 2}, "relu"}));
    save_safetensors(not_mlp.string(), {{"w", Matrix::Ones(2, 2), {2, 2}}});
    const std::string m = " --data spirals --model " + model.string();
    struct Case {
        std::string args, expected;
    };
    const std::vector<Case> cases{
        {"prune" + m + " --abs-threshold -1 --out " + out.string(), "--abs-threshold: must be non-negative, got -1"},
        {"prune" + m + " --abs-threshold nan --out " + out.string(), "--abs-threshold: must be non-negative, got nan"},
        {"prune" + m + " --rel-threshold 1.5 --out " + out.string(), "--rel-threshold: must be in [0, 1], got 1.5"},
        {"prune" + m + " --rel-threshold 0.1 --abs-threshold 0.1 --out " + out.string(), "--rel-threshold excludes --abs-threshold"},
        {"prune --data spirals --model " + not_mlp.string() + " --abs-threshold 0.1 --out " + out.string(), "--model: "},
        {"prune --data spirals --model " + not_mlp.string() + " --abs-threshold 0.1 --out " + out.string(), "'arch'"},
        {"prune --model /nonexistent.safetensors --abs-threshold 0.1 --out " + out.string(), "--model: File does not exist"},
        {"prune" + m + " --out " + out.string(), "--rel-threshold or --abs-threshold is required"},
        {"prune" + m + " --rel-threshold 0.1", "--out is required"},
        {"prune" + m + " --model " + model.string() + " --abs-threshold 0.1 --out " + out.string(), "prune takes one checkpoint"},
        {"prune" + m + " --abs-threshold 0.1 --out " + model.string(), "is the --model file"},
        {"prune --sweep" + m + " --abs-threshold 0.1", "--abs-threshold"},
        {"prune --sweep" + m + " --rel-threshold 0.1", "--rel-threshold"},
        {"prune" + m + " --abs-threshold 0.1 --out " + out.string() + " --label x", "--label"},
        {"prune" + m + " --abs-threshold 0.1 --out " + out.string() + " --baseline-label x", "--baseline-label"},
        {"prune --sweep" + m + " --label x --label y",
         "--label and --model come in pairs: 2 --label, 1 --model; give one --label per --model, in the same order"},
        {"prune --sweep" + m + " --model " + model.string() + " --label x", "1 --label, 2 --model"},
        {"prune --sweep" + m + " --label x --baseline-label plain",
         "--baseline-label plain: no model has that label; the labels are x"},
        {"prune --sweep" + m + " --out /proc/hebb-sweep", "--out /proc/hebb-sweep"},
        {"prune" + m + " --abs-threshold 0.1 --out /proc/hebb.safetensors", "--out /proc/hebb.safetensors"},
        {"prune --data fashion-mnist --model " + model.string() + " --abs-threshold 0.1 --out " + out.string(),
         "takes 2 inputs"},
        {"prune --model " + model.string() + " --abs-threshold 0.1 --out " + out.string(),
         "does not record the dataset it was trained on"},
    };
    for (const Case& c : cases) {
        INFO(c.args);
        const cli::Result r = cli::hebb(c.args);
        INFO(r.output);
        CHECK(r.status != 0);
        CHECK_THAT(r.output, Catch::Contains(c.expected));
    }
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a conv net's dense layers are pruned behind its convs, which stay as they are", "[prune]") {
    Generator gen(21);
    const std::string arch = "1x6x6:conv3k3-relu-maxpool2-flatten-linear6-tanh-dropout0.25-linear5-tanh-dropout0.25-linear3";
    const nn::Model model = nn::build_model({arch}, gen);
    const float t = nn::threshold_for_fraction(*model.net, 0.15);
    const nn::PrunedModel p = nn::prune({arch}, *model.net, t);

    // The reference: the same net with the dense weights below t zeroed, the convs untouched.
    const nn::Model reference = nn::build_model({arch}, gen);
    reference.net->load_state_dict(model.net->state_dict());
    for (const nn::Linear* l : nn::linear_layers(*reference.net)) {
        Matrix& w = const_cast<nn::Linear*>(l)->weight.value();
        w = (w.array().abs() < t).select(0.0f, w);
    }
    check_same_function(*reference.net, *p.model, 36);

    // Fewer dense neurons, the spec saying so, every conv weight kept.
    const std::vector<Eigen::Index> after = p.stats.neurons_after;
    REQUIRE(after.size() == 4);
    CHECK(after.front() == 12);  // 3 channels x 2 x 2 after the pool: inputs are never removed
    CHECK(after[1] + after[2] < 11);
    CHECK(p.spec.arch == "1x6x6:conv3k3-relu-maxpool2-flatten-linear" + std::to_string(after[1]) +
                             "-tanh-dropout0.25-linear" + std::to_string(after[2]) + "-tanh-dropout0.25-linear3");
    CHECK(p.model->state_dict()[0].value == model.net->state_dict()[0].value);
    CHECK(p.model->state_dict()[0].shape == Shape{3, 1, 3, 3});
    CHECK(p.stats.fixed_params == 3 * 9 + 3);
    CHECK(p.stats.fixed_flops == 2 * 27 * 4 * 4);  // 27 multiply-adds at each of the 4 x 4 output positions

    // lenet5 keeps its name while nothing is removed.
    const nn::Model lenet = nn::build_model({"lenet5"}, gen);
    CHECK(nn::prune({"lenet5"}, *lenet.net, 0.0f).spec.arch == "lenet5");
    CHECK_THROWS_WITH(nn::prune({"1x4x4:flatten-linear3-relu-linear2-tanh-linear2"}, *nn::build_model(
                          {"1x4x4:flatten-linear3-relu-linear2-tanh-linear2"}).net, 0.1f),
                      Catch::Contains("from token 2 on: prune: the model is not the MLP 16-3-2-2 (relu)"));
}

namespace {

// The first capture of every match of `pattern` in `text`.
std::vector<std::string> captures(const std::string& text, const std::string& pattern) {
    std::vector<std::string> out;
    const std::regex re(pattern);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

std::vector<std::string> x_ticks(std::vector<double> x, bool log) {
    const analysis::Series s{"s", "red", x, std::vector<double>(x.size(), 0.5)};
    return captures(analysis::charts_svg({{"t", "x", {s}, "", log}}), "class='tick-x'[^>]*>([^<]*)<");
}

}  // namespace

TEST_CASE("charts_svg ticks axes at readable values, 1-2-5 x 10^k", "[charts]") {
    using V = std::vector<std::string>;
    CHECK(x_ticks({1500, 20000, 240000}, true) == V{"2k", "5k", "10k", "20k", "50k", "100k", "200k"});
    CHECK(x_ticks({100, 1e6}, true) == V{"100", "1k", "10k", "100k", "1M"});  // 3+ decades: 10^k only
    CHECK(x_ticks({0.0055, 1}, true) == V{"0.01", "0.1", "1"});
    CHECK(x_ticks({150e3, 600e3}, true) == V{"200k", "300k", "400k", "500k", "600k"});  // 2 of 1-2-5: as if linear
    CHECK(x_ticks({3000, 4000}, true) == V{"3.0k", "3.5k", "4.0k"});
    CHECK(x_ticks({-1, 0, 10, 1000}, true) == V{"10", "100", "1k"});  // x <= 0 is not drawn
    CHECK(x_ticks({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, false) == V{"2", "4", "6", "8", "10"});  // epochs
    CHECK(x_ticks({1, 3}, false) == V{"1", "2", "3"});  // whole numbers: whole ticks
    CHECK(x_ticks({1, 2.5}, false) == V{"1.0", "1.5", "2.0", "2.5"});
    CHECK(x_ticks({-0.3, 0.3}, false) == V{"-0.2", "0.0", "0.2"});
    CHECK(x_ticks({1000, 2600}, false) == V{"1.0k", "1.5k", "2.0k", "2.5k"});
    CHECK(x_ticks({1e17, 1e17 + 16}, false).size() <= 6);  // ends where ++k no longer changes a double
    const analysis::Series y{"s", "red", {1, 2, 3}, {0.1, 0.55, 0.9}};
    CHECK(captures(analysis::charts_svg({{"t", "x", {y}}}), "class='tick-y'[^>]*>([^<]*)<") == V{"0.2", "0.4", "0.6", "0.8"});
}

TEST_CASE("charts_svg: whole-number axes ticked at whole numbers, non-negative ones from 0, and a title", "[charts]") {
    using V = std::vector<std::string>;
    std::vector<double> epochs(33);
    std::iota(epochs.begin(), epochs.end(), 1.0);
    CHECK(x_ticks(epochs, false) == V{"0", "10", "20", "30"});
    for (int n = 1; n <= 12; ++n) {
        INFO(n << " epochs");
        for (const std::string& tick : x_ticks(std::vector<double>(epochs.begin(), epochs.begin() + n), false))
            CHECK(tick.find('.') == std::string::npos);
    }
    CHECK(x_ticks({2}, false) == V{"2"});
    // The plot box spans y 36 to 254: a value of 0 sits on its bottom edge, not above it.
    const auto bottom_point = [](double lowest) {
        const std::string svg = analysis::charts_svg({{"t", "x", {{"s", "red", {1, 2, 3}, {lowest, 0.5, 0.9}}}}});
        return std::stod(captures(svg, "<circle cx='[0-9.]+' cy='([0-9.]+)'")[0]);
    };
    CHECK(bottom_point(0.0) == 254.0);
    CHECK(bottom_point(-0.1) < 254.0);  // a negative value keeps its margin below
    CHECK(captures(analysis::charts_svg({{"t", "x", {{"s", "red", {1, 2}, {0.0, 0.8}}}}}), "class='tick-y'[^>]*>([^<]*)<")
              .front() == "0.0");

    const analysis::Chart chart{"t", "x", {{"s", "red", {1, 2}, {1, 2}}}};
    const std::string titled = analysis::charts_svg({chart, chart}, 2, "run <1> & more");
    CHECK_THAT(titled, Catch::StartsWith("<svg xmlns='http://www.w3.org/2000/svg' width='840.0' height='332.0'"));
    CHECK(captures(titled, "class='title'[^>]*>([^<]*)<") == V{"run &lt;1&gt; &amp; more"});
    CHECK(captures(analysis::charts_svg({chart}, 2, std::string(200, 'r')), "class='title'[^>]*>([^<]*)<")[0] ==
          std::string(41, 'r') + "\u2026");  // cut to the 420 pixels of one chart
    CHECK(captures(analysis::charts_svg({chart}), "(class='title')").empty());
}

TEST_CASE("charts_svg: a y label, markers, spread bars, and a legend inside its chart whatever the names", "[charts]") {
    std::vector<analysis::Series> many;
    for (const std::string name : {"none-seed0", "l1-1e-5-abc", "l2-1e-4-xyz", "bean1-alpha1", "bean2-alpha1", "dropout0.5"}) {
        const double k = static_cast<double>(many.size());
        many.push_back({name, "#123456", {1e3, 1e4, 1e5}, {80 + k, 85 + k, 90 + k}, {79 + k, 84 + k, 89 + k}, {81 + k, 86 + k, 91 + k}});
    }
    many.push_back({std::string(60, 'w') + " & <tail>", "black", {2e3, 2e5}, {70, 95}});
    std::vector<analysis::Series> crowd;  // more names than one column holds
    for (int i = 0; i < 30; ++i) crowd.push_back({"series number " + std::to_string(i), "red", {1, 2}, {1.0 * i, 2.0 * i}});
    const std::string svg = analysis::charts_svg(
        {{"accuracy", "parameters", many, "test accuracy (%)", true}, {"no y label", "x", many}, {"crowd", "x", crowd}});

    CHECK_THAT(svg, Catch::StartsWith("<svg xmlns='http://www.w3.org/2000/svg' width='840.0' height='600.0'"));
    CHECK(captures(svg, "class='y-label'[^>]*>([^<]*)<") == std::vector<std::string>{"test accuracy (%)"});
    // Three charts in rows of two: each legend box inside its own chart's plot box.
    const std::regex box("<rect class='legend' x='([0-9.]+)' y='([0-9.]+)' width='([0-9.]+)' height='([0-9.]+)'");
    std::vector<std::array<double, 4>> legends;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), box); it != std::sregex_iterator(); ++it)
        legends.push_back({std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4])});
    REQUIRE(legends.size() == 3);
    for (size_t c = 0; c < 3; ++c) {
        INFO("chart " << c);
        const double ox = 420.0 * static_cast<double>(c % 2), oy = 300.0 * static_cast<double>(c / 2);
        const auto [x, y, w, h] = legends[c];
        CHECK(x >= ox + 62);
        CHECK(x + w <= ox + 420 - 16);
        CHECK(y >= oy + 36);
        CHECK(y + h <= oy + 300 - 46);
    }
    // Lines along the top and the bottom of the plot box: the legend goes between them.
    const std::string two = analysis::charts_svg({{"t", "x", {{"high", "red", {0, 10}, {1, 1}}, {"low", "blue", {0, 10}, {0.1, 0.1}}}}});
    const std::vector<std::string> legend_y = captures(two, "class='legend' x='[0-9.]+' y='([0-9.]+)'");
    REQUIRE(legend_y.size() == 1);
    CHECK(std::stod(legend_y[0]) > 36 + 20);
    CHECK(std::stod(legend_y[0]) + 2 * 15 + 6 < 300 - 46 - 20);
    // The long name is cut to fit, its tail gone; what is kept is escaped.
    CHECK_THAT(svg, Catch::Contains("wwwww\u2026<") && !Catch::Contains("tail") && !Catch::Contains(std::string(60, 'w')));
    const std::string escaped = analysis::charts_svg({{"a < b", "x & y", {{"p<q", "red", {1, 2}, {1, 2}}}}});
    CHECK_THAT(escaped, Catch::Contains(">a &lt; b<") && Catch::Contains(">x &amp; y<") && Catch::Contains(">p&lt;q<"));
    // Every one of the 30 crowd names is listed, in columns.
    CHECK_THAT(svg, Catch::Contains(">series num\u2026<"));
    CHECK(captures(svg, "(<line x1='[0-9.]+' y1='[0-9.]+' x2='[0-9.]+' y2='[0-9.]+' stroke='red' stroke-width='2'/>)").size() == 30);

    // Markers: one circle per point plus the legend's, while a series has at most 50 points.
    const auto circles = [](const analysis::Series& s) {
        const std::string one = analysis::charts_svg({{"t", "x", {s}}});
        return captures(one, "(<circle)").size();
    };
    CHECK(circles({"s", "red", {1, 2, 3}, {1, 2, 3}}) == 3 + 1);
    std::vector<double> x60(60);
    std::iota(x60.begin(), x60.end(), 1.0);
    CHECK(circles({"s", "red", x60, x60}) == 1);
    // Spread bars: one per point of the series that has them.
    CHECK(captures(svg, "(<path d='M)").size() == 2 * 6 * 3);
    CHECK_THROWS_WITH(analysis::charts_svg({{"t", "x", {{"s", "red", {1, 2}, {1, 2}, {1}, {1}}}}}),
                      Catch::Contains("series 's' has 2 x, 2 y, 1 y_low and 1 y_high values"));
}
