// Pruning: small hand-built MLPs whose pruned form is worked out by hand, then `hebb prune` end to end.
#include <catch2/catch.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

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

    const cli::Result r = cli::hebb("prune --data spirals --model " + source + " --threshold " + str(t) + " --out " + out.string());
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
    CHECK(std::stof(pruned.notes.at("threshold")) == t);
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

TEST_CASE("hebb prune --sweep prints a table per model and writes its plot", "[prune]") {
    const fs::path a = cli::scratch("a"), b = cli::scratch("b"), plot = cli::scratch("sweep.svg");
    REQUIRE(cli::hebb("train " + spirals + " --epochs 3 --out " + a.string()).status == 0);
    REQUIRE(cli::hebb("train " + spirals + " --epochs 3 --seed 1 --reg l1 --alpha 0.001 --out " + b.string()).status == 0);
    const std::string ma = (a / "last.safetensors").string(), mb = (b / "last.safetensors").string();
    const cli::Result r = cli::hebb("prune --sweep --data spirals --model " + ma + " --model " + mb + " --plot " + plot.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    for (const char* row : {"| 1 |", "| 0.5 |", "| 0.2 |", "| 0.1 |", "| 0.05 |", "| 0.02 |", "| 0.01 |"})
        CHECK_THAT(r.output, Catch::Contains(row));
    CHECK_THAT(r.output, Catch::Contains("| fraction kept | " + fs::path(a).filename().string() + "/last | " +
                                         fs::path(b).filename().string() + "/last |"));
    // Keeping every weight is the model itself.
    const auto [full_a, full_b] = table_row(r.output, "1");
    CHECK(Json::parse(cli::hebb("eval --json --data spirals --model " + ma).output)["accuracy"].get<double>() ==
          Approx(full_a).margin(5e-5));
    CHECK(Json::parse(cli::hebb("eval --json --data spirals --model " + mb).output)["accuracy"].get<double>() ==
          Approx(full_b).margin(5e-5));

    REQUIRE(fs::exists(plot));
    std::stringstream svg;
    svg << std::ifstream(plot).rdbuf();
    CHECK_THAT(svg.str(), Catch::StartsWith("<svg") && Catch::Contains("log10(fraction of weights kept)") &&
                              Catch::Contains("a/last") && Catch::Contains("b/last"));
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
        {"prune" + m + " --threshold -1 --out " + out.string(), "--threshold: must be non-negative, got -1"},
        {"prune" + m + " --threshold nan --out " + out.string(), "--threshold: must be non-negative, got nan"},
        {"prune --data spirals --model " + not_mlp.string() + " --threshold 0.1 --out " + out.string(), "--model: "},
        {"prune --data spirals --model " + not_mlp.string() + " --threshold 0.1 --out " + out.string(), "'arch'"},
        {"prune --model /nonexistent.safetensors --threshold 0.1 --out " + out.string(), "--model: File does not exist"},
        {"prune" + m + " --out " + out.string(), "--threshold is required"},
        {"prune" + m + " --threshold 0.1", "--out is required"},
        {"prune" + m + " --model " + model.string() + " --threshold 0.1 --out " + out.string(), "prune takes one checkpoint"},
        {"prune" + m + " --threshold 0.1 --out " + model.string(), "is the --model file"},
        {"prune --sweep" + m + " --threshold 0.1", "--threshold"},
        {"prune" + m + " --threshold 0.1 --out " + out.string() + " --plot p.svg", "--plot"},
        {"prune" + m + " --threshold 0.1 --out /proc/hebb.safetensors", "--out /proc/hebb.safetensors"},
        {"prune --data fashion-mnist --model " + model.string() + " --threshold 0.1 --out " + out.string(),
         "takes 2 inputs"},
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
