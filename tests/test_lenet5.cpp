// hebb's LeNet-5 ("lenet5") against PyTorch: a checkpoint PyTorch wrote (trained for one epoch on
// MNIST) loads with PyTorch's keys and shapes and gives PyTorch's logits and test accuracy; hebb's own
// checkpoint has the keys, shapes and dtype PyTorch's load_state_dict(strict=True) needs; and training
// steps from the PyTorch checkpoint (cross-entropy + BEAN-1 with Adam, cross-entropy with SGD momentum)
// give PyTorch's losses, gradients and parameters. Every expected value comes from the "lenet5" section
// of tests/fixtures/torch_reference.json and tests/fixtures/torch_lenet5.safetensors, both written by
// tests/fixtures/make_fixtures.py (PyTorch 1.13); none is computed by hebb.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "hebb.h"
#include "torch_reference.h"

using namespace hebb;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const json& lenet5_reference() { return reference().at("lenet5"); }

std::string fixture_path() {
    return std::string(HEBB_FIXTURES) + "/" + lenet5_reference().at("file").get<std::string>();
}

// The step tests compare gradients, loss values and parameter changes to 1e-4 of their scale (see
// check_checksums). hebb and PyTorch sum in different orders (im2col and GEMM blocking, BEAN's closed
// form (2/B) trace(H L H^T) against PyTorch's (B, n, n) broadcast in float64), which moves float32
// results by about 1e-6 of their scale; Adam, normalising each entry's step, turns that into up to a
// few 1e-5 of a step where a gradient is near 0. make_fixtures.py reruns the steps from weights
// perturbed by 1e-6 of themselves (more than rounding does) and requires every recorded value to
// move by less than 3e-5 of its scale (it records the largest move, "sensitivity": 1.2e-5), so no
// ReLU input, max-pool near-tie or Adam step on a near-zero gradient is close enough to flip within
// the tolerance. Measured against hebb (with oneDNN, -march=native): gradients within 1.3e-6 of their
// scale, losses 3e-6, parameter changes 2e-5 (2 float32 ulps of the parameter), parameters 3e-7.
// A wrong term moves these values by far more: Adam's lr 1 % off, SGD's momentum 0.89 for 0.9 or
// BEAN on fc2 and fc3 only each make 20 or more of these checks fail (tried when writing them).
constexpr double kStepRel = 1e-4;
// Parameters after 3 steps: their change is checked to kStepRel of the change; the values themselves,
// about 30 times larger than the change (Adam moves each by ~1.5e-3, weights are ~0.05), to 1e-5.
constexpr double kParamRel = 1e-5;

Matrix first_test_images(const data::TensorDataset& test, Eigen::Index n) {
    std::vector<Eigen::Index> rows(static_cast<size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) rows[static_cast<size_t>(i)] = i;
    Matrix out(n, test.dim());
    test.rows(rows, out);
    return out;
}

void require_mnist() {
    const std::string dir = data::data_root() + "/mnist";
    INFO("MNIST is missing from " << dir << ": run scripts/setup as root (it installs MNIST there)");
    REQUIRE(fs::exists(dir + "/t10k-images-idx3-ubyte"));
    REQUIRE(fs::exists(dir + "/t10k-labels-idx1-ubyte"));
}

// hebb's matrix against PyTorch's checksums of the same tensor (make_fixtures.py's checksums(): sum,
// sum of |.|, sum of squares in float64, and the first 5 entries in row-major order, which is PyTorch's
// memory order and hebb's layout, a conv weight's (out x C*k*k) rows included). The sums are checked to
// rel of the sum of |.| (a sum can cancel to near 0, as a softmax layer's gradient does), the sum of
// squares to rel of itself, and each first entry to rel of the larger of itself and the tensor's root
// mean square (an entry can be near 0). With `values`, a first entry of a change in parameters is
// allowed at least 4 float32 ulps of the parameter's value: the change is the difference of two float32
// values, each rounded at every step (by hebb and by PyTorch alike).
void check_checksums(const Matrix& got, const json& want, const std::string& what, double rel,
                     const Matrix* values = nullptr) {
    INFO(what << " (" << got.rows() << "x" << got.cols() << ")");
    double sum = 0.0, abs_sum = 0.0, sum_sq = 0.0;
    for (Eigen::Index i = 0; i < got.rows(); ++i)
        for (Eigen::Index j = 0; j < got.cols(); ++j) {
            const double v = got(i, j);
            sum += v;
            abs_sum += std::abs(v);
            sum_sq += v * v;
        }
    const double want_abs_sum = want.at("abs_sum").get<double>();
    const double want_sum_sq = want.at("sum_sq").get<double>();
    const double rms = std::sqrt(want_sum_sq / static_cast<double>(got.size()));

    std::ostringstream report;
    report << std::setprecision(10);
    int bad = 0;
    auto compare = [&](const std::string& name, double g, double w, double scale) {
        const double tol = rel * scale;
        if (!(std::abs(g - w) <= tol)) {  // NaN fails too
            report << "  " << name << ": hebb " << g << " torch " << w << std::setprecision(3)
                   << " |diff| " << std::abs(g - w) << " > tol " << tol << std::setprecision(10)
                   << "\n";
            ++bad;
        }
    };
    compare("sum", sum, want.at("sum").get<double>(), want_abs_sum);
    compare("sum |.|", abs_sum, want_abs_sum, want_abs_sum);
    compare("sum of squares", sum_sq, want_sum_sq, want_sum_sq);
    const std::vector<double> first = want.at("first");
    REQUIRE(static_cast<Eigen::Index>(first.size()) <= got.size());
    for (size_t k = 0; k < first.size(); ++k) {
        const auto i = static_cast<Eigen::Index>(k) / got.cols(), j = static_cast<Eigen::Index>(k) % got.cols();
        double scale = std::max(std::abs(first[k]), rms);
        if (values) scale = std::max(scale, 4 * std::ldexp(std::abs((*values)(i, j)), -23) / rel);
        compare("entry " + std::to_string(k), got(i, j), first[k], scale);
    }
    INFO(bad << " checksums differ (rel " << rel << "):\n" << report.str());
    CHECK(bad == 0);
}

training::Checkpoint load_fixture() {
    training::Checkpoint c = training::load_checkpoint(fixture_path());
    REQUIRE(c.model);
    return c;
}

// One optimizer's run from the fixture: STEP_COUNT calls of training::train_step (the step hebb's
// commands take) on the fixed batch, checking the losses before each step, the first step's gradients
// (train_step leaves them in place after its optimizer step) and the parameters after the last.
void check_training_run(const json& run, const reg::Regularizer* reg, const std::string& what) {
    const json& S = lenet5_reference().at("steps");
    const data::Batch batch{Tensor(to_matrix(S.at("input"))), S.at("labels").get<std::vector<int>>()};
    training::Checkpoint c = load_fixture();
    nn::Sequential& model = *c.model;
    const StateDict start = model.state_dict();  // the fixture file's values, PyTorch's
    model.train();
    auto opt = make_optimizer(run.at("optimizer"), run.at("options"), model.parameters(), what);

    const json& losses = run.at("losses");
    REQUIRE(losses.size() == 3);
    for (size_t s = 0; s < losses.size(); ++s) {
        const std::string at = what + ", step " + std::to_string(s + 1);
        const training::StepResult r = training::train_step(model, batch, *opt, reg);
        check_close(r.loss, losses[s].at("cross_entropy").get<double>(), at + ": cross-entropy",
                    kStepRel, 0.0);
        if (reg) {
            check_close(r.reg_loss, losses[s].at("bean").get<double>(), at + ": BEAN term", kStepRel, 0.0);
            check_close(double(r.loss) + double(r.reg_loss), losses[s].at("loss").get<double>(),
                        at + ": loss", kStepRel, 0.0);
        } else {
            CHECK(r.reg_loss == 0.0f);
        }
        if (s == 0)
            for (const auto& [name, p] : model.named_parameters())
                check_checksums(p.grad(), run.at("first_step_grads").at(name),
                                at + ": gradient of " + name + " (through train_step)", kStepRel);
    }

    const json& params = run.at("params");
    const auto named = model.named_parameters();
    REQUIRE(named.size() == params.size());
    REQUIRE(start.size() == named.size());
    for (size_t i = 0; i < named.size(); ++i) {
        const auto& [name, p] = named[i];
        REQUIRE(start[i].name == name);
        const std::string at = what + ", after 3 steps: " + name;
        check_checksums(p.value(), params.at(name), at, kParamRel);
        check_checksums(p.value() - start[i].value, params.at(name).at("change"),
                        at + " - its value in the fixture", kStepRel, &p.value());
    }
}

}  // namespace

TEST_CASE("a PyTorch-written LeNet-5 checkpoint loads and evaluates to PyTorch's accuracy", "[lenet5][torch]") {
    const json& L = lenet5_reference();
    const training::Checkpoint c = load_fixture();
    CHECK(c.spec.arch == "lenet5");
    CHECK(c.spec.activation == "relu");
    CHECK_FALSE(c.run);
    CHECK(c.input.channels == 1);
    CHECK(c.input.height == 28);
    CHECK(c.input.width == 28);

    // PyTorch's state_dict keys and shapes, in its order: conv weights 4-D on disk, biases 1-D.
    const StateDict state = c.model->state_dict();
    const std::vector<std::string> keys = L.at("keys");
    const std::vector<Shape> shapes = L.at("shapes").get<std::vector<Shape>>();
    REQUIRE(keys.size() == 10);
    REQUIRE(state.size() == keys.size());
    REQUIRE(shapes.size() == keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        INFO("state_dict entry " << i << ": hebb " << state[i].name << " " << shape_str(state[i].shape)
                                 << ", torch " << keys[i] << " " << shape_str(shapes[i]));
        CHECK(state[i].name == keys[i]);
        CHECK(state[i].shape == shapes[i]);
        CHECK(holds(state[i].value, state[i].shape));
    }

    require_mnist();
    const data::Splits mnist = data::load_dataset("mnist");
    REQUIRE(mnist.test.size() == L.at("test_images").get<Eigen::Index>());

    c.model->eval();
    {
        NoGradGuard no_grad;
        const Matrix want = to_matrix(L.at("test_logits_first4"));
        const Tensor logits = c.model->forward(Tensor(first_test_images(mnist.test, want.rows())));
        // Logits reach ~15 in size; float32 sums over up to 400 products in another order differ by
        // ~1e-5 at most.
        check_close(logits.value(), want, "logits of the first 4 MNIST test images", 1e-4, 1e-4);
    }

    const training::Evaluation e = training::evaluate(*c.model, mnist.test);
    const long want_correct = L.at("test_correct").get<long>();
    const long correct = std::lround(e.accuracy * static_cast<double>(e.n));
    INFO("hebb classes " << correct << " of " << e.n << " test images right (accuracy "
                         << std::setprecision(6) << e.accuracy << "), PyTorch " << want_correct
                         << " (" << L.at("test_accuracy").get<double>() << ")");
    CHECK(e.n == 10000);
    // hebb sums in another order than PyTorch, so a test image whose two largest logits are within
    // float32 rounding (~1e-5 here) of each other could be classed differently: one image of
    // difference is allowed. (make_fixtures.py counts PyTorch's test images with a top-2 gap under
    // 1e-4 as "test_near_ties"; for this checkpoint there are none, so the counts should be equal.)
    CHECK(std::abs(correct - want_correct) <= 1);
}

TEST_CASE("hebb's LeNet-5 checkpoint has PyTorch's keys, shapes and dtype, so load_state_dict(strict=True) takes it",
          "[lenet5][torch][checkpoint]") {
    const json& L = lenet5_reference();
    const std::vector<std::string> keys = L.at("keys");
    const std::vector<std::vector<std::int64_t>> shapes = L.at("shapes");

    Generator gen(11);
    const nn::ModelSpec spec{"lenet5"};
    const nn::Model built = nn::build_model(spec, gen);
    const fs::path dir = fs::temp_directory_path() / ("hebb_lenet5_test_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path path = dir / "lenet5.safetensors";
    training::save_checkpoint(path.string(), spec, *built.net);

    // The raw header, read as PyTorch's safetensors library reads it: an 8-byte little-endian length,
    // then that much JSON.
    std::ifstream in(path, std::ios::binary);
    unsigned char len_bytes[8];
    REQUIRE(in.read(reinterpret_cast<char*>(len_bytes), 8));
    std::uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = header_len << 8 | len_bytes[i];
    REQUIRE(header_len < (1u << 20));
    std::string text(header_len, '\0');
    REQUIRE(in.read(text.data(), static_cast<std::streamsize>(header_len)));
    const json header = json::parse(text);
    const auto file_size = static_cast<std::uint64_t>(fs::file_size(path));

    // Exactly PyTorch's keys (strict loading refuses a missing or an unexpected one), each F32 with
    // PyTorch's shape and a data range of the right length.
    REQUIRE(header.size() == keys.size() + 1);
    REQUIRE(header.contains("__metadata__"));
    const json& meta = header.at("__metadata__");
    CHECK(meta.at("format") == "hebb");
    CHECK(meta.at("format_version") == "1");
    CHECK(meta.at("arch") == "lenet5");
    CHECK(meta.at("activation") == "relu");
    for (const auto& [k, v] : L.at("metadata").items()) CHECK(meta.at(k) == v);
    std::uint64_t data_bytes = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
        INFO("key " << keys[i]);
        REQUIRE(header.contains(keys[i]));
        const json& entry = header.at(keys[i]);
        CHECK(entry.at("dtype") == "F32");
        CHECK(entry.at("shape").get<std::vector<std::int64_t>>() == shapes[i]);
        std::uint64_t count = 1;
        for (std::int64_t d : shapes[i]) count *= static_cast<std::uint64_t>(d);
        const auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
        REQUIRE(offsets.size() == 2);
        CHECK(offsets[1] - offsets[0] == 4 * count);
        data_bytes += 4 * count;
    }
    CHECK(file_size == 8 + header_len + data_bytes);

    // hebb -> file -> hebb: the same weights and the same outputs, bit for bit.
    const training::Checkpoint back = training::load_checkpoint(path.string());
    CHECK(back.spec.arch == "lenet5");
    const StateDict a = built.net->state_dict(), b = back.model->state_dict();
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        INFO(a[i].name);
        CHECK(a[i].name == b[i].name);
        CHECK(a[i].shape == b[i].shape);
        CHECK(a[i].value == b[i].value);
    }
    built.net->eval();
    back.model->eval();
    NoGradGuard no_grad;
    Generator xgen(12);
    const Tensor x(rand(5, 784, xgen).value());
    const Matrix y1 = built.net->forward(x).value();
    const Matrix y2 = back.model->forward(x).value();
    REQUIRE(y1.rows() == 5);
    REQUIRE(y1.cols() == 10);
    CHECK(y1 == y2);
    fs::remove_all(dir);
}

TEST_CASE("a LeNet-5 training step with BEAN-1 matches PyTorch", "[lenet5][torch][bean]") {
    const json& S = lenet5_reference().at("steps");
    const json& bean_ref = S.at("bean");
    REQUIRE(bean_ref.at("order") == 1);
    const float alpha = bean_ref.at("alpha").get<float>();
    const float gamma = bean_ref.at("gamma").get<float>();
    const reg::BEAN bean(alpha, 1, gamma);  // the default layers: "hidden"
    const json& adam = S.at("adam_bean1");
    REQUIRE(adam.at("bean") == true);

    SECTION("one forward and backward: the loss terms and every parameter's gradient") {
        training::Checkpoint c = load_fixture();
        nn::Sequential& model = *c.model;
        model.train();
        // BEAN covers fc1, fc2 and fc3 (keys 7, 9, 11), as the fixture's sum over the Linear layers does.
        CHECK(bean.covered(model) == std::vector<size_t>{0, 1, 2});
        REQUIRE(bean_ref.at("layers").size() == 3);

        const std::vector<int> labels = S.at("labels");
        model.zero_grad();
        const Tensor logits = model(Tensor(to_matrix(S.at("input"))));
        const Tensor ce = nn::CrossEntropyLoss{}(logits, labels);
        const Tensor term = bean(model);
        const Tensor loss = ce + term;
        const json& first = adam.at("losses").at(0);
        check_close(ce.item(), first.at("cross_entropy").get<double>(), "cross-entropy", kStepRel, 0.0);
        check_close(term.item(), first.at("bean").get<double>(), "BEAN term alpha * sum R", kStepRel, 0.0);
        check_close(loss.item(), first.at("loss").get<double>(), "loss", kStepRel, 0.0);
        loss.backward();
        for (const auto& [name, p] : model.named_parameters())
            check_checksums(p.grad(), adam.at("first_step_grads").at(name), "gradient of " + name, kStepRel);
    }

    SECTION("3 Adam steps through training::train_step") {
        check_training_run(adam, &bean, "Adam " + adam.at("options").dump() + " + BEAN-1");
    }

    SECTION("3 SGD momentum steps without BEAN through training::train_step") {
        const json& sgd = S.at("sgd_momentum");
        REQUIRE(sgd.at("bean") == false);
        check_training_run(sgd, nullptr, "SGD " + sgd.at("options").dump());
    }
}
