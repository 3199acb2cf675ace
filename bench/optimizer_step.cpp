// The optimizers' update alone: optimizer.step() for 784-1024-1024-10 (1.86 M parameters) with the
// gradients of one batch, warm (its arrays in the caches, step after step) and cold (a 64 MiB pass
// evicts them first, as a training step's products do), beside one plain pass moving the bytes
// SGD with momentum moves (20 per parameter: reads gradient, parameter and buffer, writes the last
// two), the memory-bound floor. Prints one JSON line per optimizer, medians and minima over 101 steps.
//     build/bench/optimizer_step [threads]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/ops.h"
#include "layers/mlp.h"
#include "optim/optimizer.h"

namespace {

struct Times {
    double median_ms, min_ms;
};

// f() timed 101 times, each after before() (untimed).
template <class Before, class F>
Times time(Before&& before, F&& f) {
    std::vector<double> ms;
    for (int i = 0; i < 101; ++i) {
        before();
        const auto start = std::chrono::steady_clock::now();
        f();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.front()};
}

}  // namespace

int main(int argc, char** argv) {
    hebb::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 1);
    hebb::Generator gen(0);
    const auto model = hebb::nn::mlp({{784, 1024, 1024, 10}, "relu"}, gen);
    const hebb::Tensor x(hebb::rand(256, 784, gen).value());
    std::vector<int> labels(256);
    for (int i = 0; i < 256; ++i) labels[i] = i % 10;
    hebb::cross_entropy((*model)(x), labels).backward();
    long parameters = 0;
    for (const hebb::Tensor& p : model->parameters()) parameters += static_cast<long>(p.value().size());

    std::vector<float> evict(size_t{16} << 20, 1.0f);  // 64 MiB, twice the L3 cache
    volatile float sink = 0.0f;
    const auto cold = [&] {
        float s = 0.0f;
        for (size_t i = 0; i < evict.size(); i += 16) s += evict[i];
        sink = s;
    };
    const auto warm = [] {};
    const auto print = [&](const char* what, Times w, Times c) {
        std::printf("{\"update\": \"%s\", \"parameters\": %ld, \"threads\": %d, \"warm_ms_median\": %.3f, "
                    "\"warm_ms_min\": %.3f, \"cold_ms_median\": %.3f, \"cold_ms_min\": %.3f}\n",
                    what, parameters, hebb::get_num_threads(), w.median_ms, w.min_ms, c.median_ms, c.min_ms);
    };

    hebb::optim::SGD sgd(model->parameters(), {.lr = 0.01, .momentum = 0.9});
    hebb::optim::Adam adam(model->parameters(), {.lr = 1e-4});
    print("sgd_momentum", time(warm, [&] { sgd.step(); }), time(cold, [&] { sgd.step(); }));
    print("adam", time(warm, [&] { adam.step(); }), time(cold, [&] { adam.step(); }));

    // The floor: the same 20 bytes per parameter moved by the least arithmetic, one pass reading
    // g, b and p and writing b and p.
    std::vector<float> g(parameters, 0.5f), b(parameters, 0.0f), p(parameters, 0.0f);
    const auto floor = [&] {
        for (long i = 0; i < parameters; ++i) {
            b[i] += g[i];
            p[i] += b[i];
        }
    };
    print("same_bytes_one_pass", time(warm, floor), time(cold, floor));
}
