// hebb bench: full training steps (forward, loss, regularizer, backward, optimizer step),
// inference, or a step's matrix products alone, on synthetic MNIST-shaped data, one JSON line per
// case. The cases run in turn, round after round, so that their ratios come from the same stretch
// of time on a shared machine. Under mpirun, training steps are data-parallel: --batch-size is the
// global batch, split across the ranks, and each case also times the gradients' all-reduce alone.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/resource.h>

#include "apps/allocations.h"
#include "apps/commands.h"
#include "core/gemm.h"
#include "hebb.h"

namespace hebb::app {

namespace {

struct Case {
    std::string arch, optimizer, reg;
    int batch;
    std::shared_ptr<nn::Sequential> net;
    std::unique_ptr<optim::Optimizer> opt;
    std::unique_ptr<reg::Regularizer> regularizer;
    data::Batch input;  // synthetic: uniform inputs, random labels; in an MPI job this rank's part
    std::unique_ptr<training::DataParallel> ranks;  // in an MPI job
    // --products: per layer, its input X (B x in), weight W (out x in), output Y and its gradient G
    // (B x out), and the gradients dW and dX.
    std::vector<Matrix> X{}, W{}, Y{}, G{}, dW{}, dX{};
    std::vector<double> step_seconds{};  // one figure per round: the mean step time of that round
    std::vector<double> all_reduce_seconds{};  // the same for the all-reduce alone
    long long allocations = 0, allocated_bytes = 0;  // over all timed steps
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// The machine's ceiling: GFLOP/s of hebb's product of two n x n matrices, the median of `rounds`.
double matmul_gflops(Eigen::Index n, int rounds, Generator& gen) {
    const Matrix a = rand(n, n, gen).value(), b = rand(n, n, gen).value();
    Matrix c(n, n);
    gemm(a, false, b, false, c);  // warm up
    std::vector<double> seconds;
    for (int r = 0; r < rounds; ++r) {
        const int repeats = 10;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i) gemm(a, false, b, false, c);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats);
    }
    return 2.0 * static_cast<double>(n) * n * n / median(seconds) / 1e9;
}

// The units one sample passes through: its input and every module's output.
double units_per_sample(nn::Sequential& net, Eigen::Index inputs) {
    NoGradGuard no_grad;
    Tensor x = Tensor::zeros(1, inputs);
    double units = static_cast<double>(inputs);
    for (size_t i = 0; i < net.size(); ++i) {
        x = net[i](x);
        units += static_cast<double>(x.cols());
    }
    return units;
}

}  // namespace

Command add_bench(CLI::App& app) {
    struct Options {
        std::string archs = "784-512-256-10", optimizers = "sgd", regs = "none", batches = "64";
        int threads = 1, steps = 50, rounds = 5, matmul = 0;
        bool inference = false, products = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("bench", "Time training steps (or inference) on synthetic data");
    cmd->add_option("--arch", o->archs, "Architectures, comma-separated: MLP sizes such as 784-512-10, lenet5, or a conv spec such as 1x28x28:conv6k5-relu-maxpool2-flatten-linear10")->capture_default_str();
    cmd->add_option("--optimizer", o->optimizers, "sgd (momentum 0.9) and/or adam, comma-separated")->capture_default_str();
    cmd->add_option("--reg", o->regs, "none, l1, l2, bean1, bean2, comma-separated")->capture_default_str();
    cmd->add_option("--batch-size", o->batches, "Batch sizes, comma-separated")->capture_default_str();
    cmd->add_option("--threads", o->threads, "Threads for the products and ops")->check(positive)->check(at_most(max_threads))->capture_default_str();
    cmd->add_option("--steps", o->steps, "Steps per case and round")->check(positive)->check(at_most(1e6))->capture_default_str();
    cmd->add_option("--rounds", o->rounds, "Rounds: in each the cases take turns, one JSON line per case and round")->check(positive)->check(at_most(1000))->capture_default_str();
    cmd->add_flag("--inference", o->inference, "Time the forward pass alone, without a graph");
    cmd->add_flag("--products", o->products,
                  "Time only a training step's matrix products (Y = X W^T, dW = G^T X, dX = G W), on the "
                  "product backend without the engine: the share of a step that the kernel sets");
    cmd->add_option("--matmul", o->matmul, "Instead, time the product of two N x N matrices (GFLOP/s)")->check(positive);
    return [o] {
        set_num_threads(o->threads);
        const int rank = parallel::rank(), ranks = parallel::size();
        check_on_all_ranks(ranks == 1 || (!o->inference && !o->products && o->matmul == 0), "--inference, --products "
                           "and --matmul time one process; run them without mpirun");
        Generator gen(0);
        if (o->matmul > 0) {
            reading_flag("--matmul", [&] { check_memory("three " + std::to_string(o->matmul) + " x " + std::to_string(o->matmul) + " matrices", 12.0 * o->matmul * o->matmul); });
            std::printf("%s\n", nlohmann::json{{"mode", "matmul"}, {"n", o->matmul}, {"threads", o->threads},
                                               {"backend", gemm_backend()},
                                               {"gflops", matmul_gflops(o->matmul, o->rounds, gen)}}.dump().c_str());
            return 0;
        }
        std::vector<Case> cases;
        for (const std::string& arch : split_list(o->archs))
            for (const std::string& optimizer : split_list(o->optimizers))
                for (const std::string& r : split_list(o->regs))
                    for (int b : positive_ints(o->batches, "--batch-size")) {
                        nn::Model model = reading_flag("--arch", [&] { return nn::build_model({arch}, gen); });
                        const Eigen::Index inputs = model.input.size();
                        // A batch's inputs, activations and their gradients: 8 bytes per unit and sample.
                        reading_flag("--batch-size", [&] {
                            check_memory("a batch of " + std::to_string(b) + " through arch " + arch,
                                         8.0 * b * units_per_sample(*model.net, inputs));
                        });
                        Case c{arch, optimizer, r, b, std::move(model.net), nullptr,
                               reading_flag("--reg", [&] { return reg::make_regularizer(r, 1e-4f); }), {}, {}, {}};
                        check_usage(optimizer == "sgd" || optimizer == "adam", "--optimizer: '", optimizer, "' is not sgd or adam");
                        if (optimizer == "sgd") c.opt = std::make_unique<optim::SGD>(c.net->parameters(), optim::SGDOptions{.lr = 0.01, .momentum = 0.9});
                        else c.opt = std::make_unique<optim::Adam>(c.net->parameters(), optim::AdamOptions{.lr = 1e-4});
                        check_on_all_ranks(b >= ranks, "--batch-size ", b, ": ", ranks, " ranks need at least one sample each");
                        // Every rank draws the whole batch and keeps its rows, as DataLoader::set_shard.
                        const Matrix x = rand(b, inputs, gen).value();
                        std::vector<int> y;
                        const auto classes = static_cast<std::uint64_t>(model.output.size());
                        for (int i = 0; i < b; ++i) y.push_back(static_cast<int>(gen.below(classes)));
                        const int first = b * rank / ranks, last = b * (rank + 1) / ranks;
                        c.input = {Tensor(x.middleRows(first, last - first)), {y.begin() + first, y.begin() + last}, b};
                        if (ranks > 1) c.ranks = std::make_unique<training::DataParallel>(c.net->parameters());
                        cases.push_back(std::move(c));
                    }
        if (o->products)
            for (Case& c : cases) {
                check_usage(nn::is_mlp_spec(c.arch), "--products: times the products of MLPs only; ", c.arch, " is not one");
                const auto sizes = nn::parse_arch(c.arch);
                for (size_t l = 0; l + 1 < sizes.size(); ++l) {
                    const Eigen::Index in = sizes[l], out = sizes[l + 1];
                    c.X.push_back(rand(c.batch, in, gen).value());
                    c.W.push_back(rand(out, in, gen).value());
                    c.G.push_back(rand(c.batch, out, gen).value());
                    c.Y.emplace_back(c.batch, out);
                    c.dW.emplace_back(out, in);
                    c.dX.emplace_back(c.batch, in);
                }
            }
        const auto step = [&](Case& c) {
            if (o->products) {
                for (size_t l = 0; l < c.W.size(); ++l) gemm(c.X[l], false, c.W[l], true, c.Y[l]);
                for (size_t l = c.W.size(); l-- > 0;) {
                    gemm(c.G[l], true, c.X[l], false, c.dW[l]);
                    if (l > 0) gemm(c.G[l], false, c.W[l], false, c.dX[l]);  // the data needs no gradient
                }
                return;
            }
            if (o->inference) {
                NoGradGuard no_grad;
                (*c.net)(c.input.x);
                return;
            }
            training::train_step(*c.net, c.input, *c.opt, c.regularizer.get(), c.ranks.get());
        };
        for (Case& c : cases)  // warm up: buffers allocated and recycled, caches filled
            for (int s = 0; s < 3; ++s) step(c);
        for (int round = 0; round < o->rounds; ++round)
            for (Case& c : cases) {
                const long long allocations = heap_allocations(), bytes = heap_bytes();
                const auto start = std::chrono::steady_clock::now();
                for (int s = 0; s < o->steps; ++s) step(c);
                c.step_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / o->steps);
                c.allocations += heap_allocations() - allocations;
                c.allocated_bytes += heap_bytes() - bytes;
                if (!c.ranks) continue;
                const auto reduce_start = std::chrono::steady_clock::now();
                std::array<float, 3> figures{};
                for (int s = 0; s < o->steps; ++s) c.ranks->all_reduce(figures);
                c.all_reduce_seconds.push_back(
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - reduce_start).count() / o->steps);
            }
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        const int timed_steps = o->rounds * o->steps;
        for (const Case& c : cases) {
            const double med = median(c.step_seconds);
            const auto per_step = [&](long long total) {
                return heap_allocations() < 0 ? nlohmann::json() : nlohmann::json(static_cast<double>(total) / timed_steps);
            };
            const auto [lo, hi] = std::minmax_element(c.step_seconds.begin(), c.step_seconds.end());
            nlohmann::json line{{"arch", c.arch}, {"batch", c.batch}, {"optimizer", c.optimizer},
                                {"reg", c.reg}, {"threads", o->threads}, {"mode", o->products ? "products" : o->inference ? "inference" : "train"},
                                {"samples_per_s", c.batch / med}, {"step_ms_median", 1e3 * med},
                                {"step_ms_min", 1e3 * *lo}, {"step_ms_max", 1e3 * *hi},
                                {"peak_rss_kb_process", usage.ru_maxrss},
                                {"allocs_per_step", per_step(c.allocations)},
                                {"alloc_bytes_per_step", per_step(c.allocated_bytes)}, {"backend", gemm_backend()}};
            if (c.ranks) {
                long params = 0;
                for (const Tensor& p : c.net->parameters()) params += static_cast<long>(p.value().size());
                line.update({{"ranks", ranks}, {"parameters", params}, {"buckets", c.ranks->buckets()},
                             {"all_reduce_ms_median", 1e3 * median(c.all_reduce_seconds)}});
            }
            std::printf("%s\n", line.dump().c_str());
        }
        return 0;
    };
}

}  // namespace hebb::app
