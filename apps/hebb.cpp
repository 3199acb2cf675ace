// The hebb command. `hebb train` trains an MLP and reports its accuracy on held-out data.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/hebb.h"

using namespace hebb;

namespace {

struct TrainOptions {
    std::string data = "spirals";
    std::string arch = "2-64-64-2";
    std::string activation = "relu";
    std::string optimizer = "adam";
    double lr = 0.01;
    double momentum = 0.0;
    double weight_decay = 0.0;
    int epochs = 40;
    int batch_size = 32;
    std::uint64_t seed = 0;
    int threads = 1;
    std::string out;
};

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainOptions& o, std::vector<Tensor> params) {
    if (o.optimizer == "sgd")
        return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay});
    if (o.optimizer == "rmsprop")
        return std::make_unique<optim::RMSprop>(params, optim::RMSpropOptions{.lr = o.lr, .weight_decay = o.weight_decay, .momentum = o.momentum});
    const optim::AdamOptions adam{.lr = o.lr, .weight_decay = o.weight_decay};
    if (o.optimizer == "adamw") return std::make_unique<optim::AdamW>(params, adam);
    return std::make_unique<optim::Adam>(params, adam);
}

// Fraction of rows whose largest logit is at the label.
double accuracy(const Matrix& logits, const std::vector<int>& labels) {
    int correct = 0;
    for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        Eigen::Index best;
        logits.row(i).maxCoeff(&best);
        correct += best == labels[static_cast<size_t>(i)];
    }
    return static_cast<double>(correct) / static_cast<double>(logits.rows());
}

int train(const TrainOptions& o) {
    set_num_threads(o.threads);
    Generator gen(o.seed);
    const nn::MlpSpec spec{nn::parse_arch(o.arch), o.activation};
    // The two spirals: 1,000 training points, and 1,000 test points drawn with another seed.
    const data::TensorDataset train = data::two_spirals(500, 0.02f, gen);
    Generator test_gen(o.seed + 1);
    const data::TensorDataset test = data::two_spirals(500, 0.02f, test_gen);
    HEBB_CHECK(spec.sizes.front() == train.features.cols() && spec.sizes.back() == train.classes,
               "--arch ", o.arch, ": the ", o.data, " data needs input size ", train.features.cols(),
               " and output size ", train.classes);
    if (!o.out.empty()) std::filesystem::create_directories(o.out);

    auto net = nn::mlp(spec, gen);
    auto opt = make_optimizer(o, net->parameters());
    nn::CrossEntropyLoss ce;
    data::DataLoader loader(train, o.batch_size, true, o.seed);
    std::cout << *net << "\n";

    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        double loss_sum = 0.0;
        int correct = 0;
        net->train();
        for (const data::Batch& batch : loader) {
            opt->zero_grad();
            const Tensor logits = (*net)(batch.x);
            const Tensor loss = ce(logits, batch.y);
            HEBB_CHECK(std::isfinite(loss.item()), "epoch ", epoch, " step ", opt->steps() + 1,
                       ": the loss is ", loss.item(), "; try a smaller --lr");
            loss.backward();
            opt->step();
            loss_sum += loss.item() * static_cast<double>(batch.x.rows());
            correct += static_cast<int>(std::lround(accuracy(logits.value(), batch.y) * static_cast<double>(batch.x.rows())));
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double n = static_cast<double>(train.size());
        std::printf("epoch %3d/%d  loss %.4f  train_acc %.4f  %.0f samples/s\n", epoch, o.epochs,
                    loss_sum / n, correct / n, n / seconds);
    }

    net->eval();
    NoGradGuard no_grad;
    const double test_acc = accuracy((*net)(Tensor(test.features)).value(), test.labels);
    std::printf("test accuracy: %.4f (%lld samples)\n", test_acc, static_cast<long long>(test.size()));
    if (!o.out.empty()) {
        StateDict extra;
        for (NamedArray a : opt->state_dict()) extra.push_back({"optim." + a.name, std::move(a.value), a.rank});
        const std::string path = o.out + "/last.safetensors";
        nn::save_mlp(path, spec, *net, extra, {{"epoch", std::to_string(o.epochs)}});
        std::printf("saved %s\n", path.c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"hebb: train and inspect MLPs, with BEAN assembly regularization"};
    app.require_subcommand(1);

    TrainOptions o;
    CLI::App* cmd = app.add_subcommand("train", "Train an MLP and report its test accuracy");
    cmd->add_option("--data", o.data, "Dataset")->check(CLI::IsMember({"spirals"}))->capture_default_str();
    cmd->add_option("--arch", o.arch, "Layer sizes, input to output")->capture_default_str();
    cmd->add_option("--act", o.activation, "Hidden activation")
        ->check(CLI::IsMember({"relu", "leaky_relu", "tanh", "sigmoid", "gelu"}))->capture_default_str();
    cmd->add_option("--optimizer", o.optimizer, "Optimizer")
        ->check(CLI::IsMember({"sgd", "adam", "adamw", "rmsprop"}))->capture_default_str();
    cmd->add_option("--lr", o.lr, "Learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--momentum", o.momentum, "Momentum (sgd, rmsprop)")->check(CLI::NonNegativeNumber);
    cmd->add_option("--weight-decay", o.weight_decay, "Weight decay")->check(CLI::NonNegativeNumber);
    cmd->add_option("--epochs", o.epochs, "Epochs")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--batch-size", o.batch_size, "Minibatch size")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--seed", o.seed, "Seed of every random choice")->capture_default_str();
    cmd->add_option("--threads", o.threads, "Threads")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--out", o.out, "Folder for the checkpoint (last.safetensors)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        return train(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
