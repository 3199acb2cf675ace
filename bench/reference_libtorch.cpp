// The workloads of `hebb bench`, run with Debian's libtorch-dev (PyTorch's C++ API), one JSON line per
// case: same flags, same JSON keys (allocs_per_step is null: libtorch does not count them).
// Model: torch::nn::Linear layers with ReLU between them (none after the last), or the LeNet-5 of
// `--arch lenet5` (as bench/reference_mlp.py's: rows of 784 pixels viewed as 1 x 28 x 28 images),
// libtorch's default init (PyTorch's), cross-entropy (mean); data: x uniform in [0, 1) of shape
// (batch, in), labels uniform in [0, classes). A training step is zero_grad, forward, loss, backward, optimizer step; SGD is lr 0.01
// momentum 0.9, Adam lr 1e-4. The cases take turns round after round, as in hebb's, and each case's
// figure is the median over rounds of that round's mean step time. The first line ({"mode":"config"})
// says what ran. Built by bench/compare when libtorch-dev is installed:
//   g++ -O2 -std=c++17 bench/reference_libtorch.cpp -I/usr/include/torch/csrc/api/include \
//       -ltorch -ltorch_cpu -lc10 -o build/bench/reference_libtorch
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace {

struct Options {
    std::string archs = "784-512-256-10", optimizers = "sgd", regs = "none", batches = "64";
    int threads = 1, steps = 50, rounds = 5, warmup = 3, matmul = 0;
    bool inference = false, config = true;
};

struct Case {
    std::string arch, optimizer;
    int batch = 0;
    torch::nn::Sequential net;
    std::unique_ptr<torch::optim::Optimizer> opt;
    torch::Tensor x, y;
    std::vector<double> step_seconds;  // one figure per round: the mean step time of that round
};

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, sep);)
        if (!item.empty()) out.push_back(item);
    return out;
}

int positive_int(const std::string& flag, const std::string& text) {
    std::size_t used = 0;
    int value = 0;
    try {
        value = std::stoi(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || value < 1) throw std::runtime_error(flag + ": '" + text + "' is not a positive integer");
    return value;
}

std::vector<int64_t> layer_sizes(const std::string& arch) {
    if (arch == "lenet5") return {784, 10};
    std::vector<int64_t> sizes;
    for (const std::string& s : split(arch, '-')) sizes.push_back(positive_int("--arch", s));
    if (sizes.size() < 2) throw std::runtime_error("--arch: '" + arch + "' needs at least two widths, like 784-512-10");
    return sizes;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
            return argv[++i];
        };
        if (flag == "--arch") o.archs = value();
        else if (flag == "--optimizer") o.optimizers = value();
        else if (flag == "--reg") o.regs = value();
        else if (flag == "--batch-size") o.batches = value();
        else if (flag == "--threads") o.threads = positive_int(flag, value());
        else if (flag == "--steps") o.steps = positive_int(flag, value());
        else if (flag == "--rounds") o.rounds = positive_int(flag, value());
        else if (flag == "--warmup") o.warmup = positive_int(flag, value());
        else if (flag == "--matmul") o.matmul = positive_int(flag, value());
        else if (flag == "--inference") o.inference = true;
        else if (flag == "--no-config") o.config = false;
        else if (flag == "-h" || flag == "--help") {
            std::puts("reference_libtorch [--arch A|lenet5,..] [--optimizer sgd,adam] [--reg none] [--batch-size B,..] [--threads T]\n"
                      "                   [--steps S] [--rounds R] [--warmup W] [--inference] [--matmul N] [--no-config]");
            std::exit(0);
        } else throw std::runtime_error("unknown flag '" + flag + "' (try --help)");
    }
    for (const std::string& r : split(o.regs, ','))
        if (r != "none") throw std::runtime_error("--reg: '" + r + "': only none here (BEAN exists in hebb and bench/reference_mlp.py)");
    return o;
}

std::string json_string(const char* s) { return s ? "\"" + std::string(s) + "\"" : "null"; }

// The BLAS libraries mapped into this process, read from /proc/self/maps after a product has run.
std::string loaded_blas() {
    std::ifstream maps("/proc/self/maps");
    std::set<std::string> paths;
    for (std::string line; std::getline(maps, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const std::string path = line.substr(slash);
        const std::string name = path.substr(path.rfind('/') + 1);
        if (name.find("blas") != std::string::npos || name.find("blis") != std::string::npos ||
            name.find("dnnl") != std::string::npos || name.find("mkl") != std::string::npos)
            paths.insert(path);
    }
    std::string out = "[";
    for (const std::string& p : paths) out += (out.size() > 1 ? "," : "") + json_string(p.c_str());
    return out + "]";
}

void print_config(const Options& o) {
    torch::mm(torch::rand({64, 64}), torch::rand({64, 64}));  // load and initialise the BLAS
    std::string env = "{";
    for (const char* key : {"OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY",
                            "LD_LIBRARY_PATH", "LD_PRELOAD", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                            "ATEN_CPU_CAPABILITY"})
        env += std::string(env.size() > 1 ? "," : "") + "\"" + key + "\":" + json_string(std::getenv(key));
    env += "}";
    std::string capability;
    std::stringstream show(torch::show_config());
    for (std::string line; std::getline(show, line);)
        if (const auto at = line.find("CPU capability usage: "); at != std::string::npos) capability = line.substr(at + 22);
    // OpenBLAS's kernel core, when the BLAS behind torch is OpenBLAS (found among the loaded libraries).
    const char* core = nullptr;
    if (auto* corename = reinterpret_cast<char* (*)()>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"))) core = corename();
    std::printf("{\"mode\":\"config\",\"impl\":\"libtorch\",\"torch\":\"%d.%d.%d\",\"threads\":%d,\"warmup\":%d,"
                "\"cpu_capability\":\"%s\",\"blas\":%s,\"openblas_core\":%s,\"env\":%s}\n",
                TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH, torch::get_num_threads(), o.warmup,
                capability.c_str(), loaded_blas().c_str(), json_string(core).c_str(), env.c_str());
}

// The BEAN paper's LeNet-5 on (batch, 784) rows of 28 x 28 images, as hebb's `lenet5` spec and
// bench/reference_mlp.py's LeNet5.
void add_lenet5(torch::nn::Sequential& net) {
    namespace nn = torch::nn;
    net->push_back(nn::Functional([](const torch::Tensor& x) { return x.view({-1, 1, 28, 28}); }));
    net->push_back(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)));
    net->push_back(nn::ReLU());
    net->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    net->push_back(nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
    net->push_back(nn::ReLU());
    net->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    net->push_back(nn::Flatten());
    net->push_back(nn::Linear(400, 120));
    net->push_back(nn::ReLU());
    net->push_back(nn::Linear(120, 84));
    net->push_back(nn::ReLU());
    net->push_back(nn::Linear(84, 10));
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

int run(const Options& o) {
    torch::set_num_threads(o.threads);
    torch::manual_seed(0);
    if (o.config) print_config(o);
    if (o.matmul) {  // the N x N float product: the ceiling as this BLAS sees it
        const int64_t n = o.matmul;
        auto a = torch::rand({n, n}), b = torch::rand({n, n}), c = torch::empty({n, n});
        torch::mm_out(c, a, b);
        const int reps = std::max<int64_t>(1, static_cast<int64_t>(2e9) * o.threads / (2 * n * n * n));
        std::vector<double> times;
        for (int r = 0; r < std::max(o.rounds, 3); ++r) {
            const auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < reps; ++i) torch::mm_out(c, a, b);
            times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps);
        }
        const double flops = 2.0 * n * n * n;
        std::printf("{\"mode\":\"matmul\",\"impl\":\"libtorch\",\"n\":%lld,\"threads\":%d,\"gflops\":%.6g,\"gflops_best\":%.6g}\n",
                    static_cast<long long>(n), o.threads, flops / median(times) / 1e9,
                    flops / *std::min_element(times.begin(), times.end()) / 1e9);
        return 0;
    }

    std::vector<Case> cases;
    for (const std::string& arch : split(o.archs, ','))
        for (const std::string& optimizer : split(o.optimizers, ','))
            for (const std::string& b : split(o.batches, ',')) {
                Case c;
                c.arch = arch;
                c.optimizer = optimizer;
                c.batch = positive_int("--batch-size", b);
                const auto sizes = layer_sizes(arch);
                if (arch == "lenet5") add_lenet5(c.net);
                else
                    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
                        c.net->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
                        if (i + 2 < sizes.size()) c.net->push_back(torch::nn::ReLU());
                    }
                if (optimizer == "sgd")
                    c.opt = std::make_unique<torch::optim::SGD>(c.net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
                else if (optimizer == "adam")
                    c.opt = std::make_unique<torch::optim::Adam>(c.net->parameters(), torch::optim::AdamOptions(1e-4));
                else throw std::runtime_error("--optimizer: '" + optimizer + "' is not sgd or adam");
                c.x = torch::rand({c.batch, sizes.front()});
                c.y = torch::randint(sizes.back(), {c.batch}, torch::kLong);
                cases.push_back(std::move(c));
            }
    const auto step = [&](Case& c) {
        if (o.inference) {
            c10::InferenceMode guard;
            c.net->forward(c.x);
            return;
        }
        c.opt->zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(c.net->forward(c.x), c.y);
        loss.backward();
        c.opt->step();
    };
    for (Case& c : cases)  // warm up: allocator, OpenMP pool, optimizer state
        for (int s = 0; s < o.warmup; ++s) step(c);
    for (int round = 0; round < o.rounds; ++round)
        for (Case& c : cases) {
            const auto start = std::chrono::steady_clock::now();
            for (int s = 0; s < o.steps; ++s) step(c);
            c.step_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / o.steps);
        }
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    for (const Case& c : cases) {
        const double med = median(c.step_seconds);
        const auto [lo, hi] = std::minmax_element(c.step_seconds.begin(), c.step_seconds.end());
        std::printf("{\"arch\":\"%s\",\"batch\":%d,\"optimizer\":\"%s\",\"reg\":\"none\",\"threads\":%d,\"mode\":\"%s\","
                    "\"samples_per_s\":%.6g,\"step_ms_median\":%.6g,\"step_ms_min\":%.6g,\"step_ms_max\":%.6g,"
                    "\"peak_rss_kb_process\":%ld,\"allocs_per_step\":null,\"impl\":\"libtorch\"}\n",
                    c.arch.c_str(), c.batch, c.optimizer.c_str(), o.threads, o.inference ? "inference" : "train",
                    c.batch / med, 1e3 * med, 1e3 * *lo, 1e3 * *hi, usage.ru_maxrss);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
