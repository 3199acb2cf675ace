// The two ways hebb's oneDNN backend runs a product, side by side on the products of a training
// step: a matmul primitive kept per shape (backend/onednn.h's primitive_product) and sgemm. Prints a
// JSON line per product with both rates, the best of 5 rounds, and one line per model with the sum.
//     build/bench/onednn_products [threads]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/onednn.h"
#include "core/random.h"

namespace {

struct Shape {
    const char* product;  // which of a dense layer's products
    long m, k, n;
    bool transpose_a, transpose_b;
};

// One layer from `in` to `out` at batch b: forward y = x w^T, dW = g^T x, dx = g w.
std::vector<Shape> layer(long b, long in, long out, bool first) {
    std::vector<Shape> s{{"forward", b, in, out, false, true}, {"weight gradient", out, b, in, true, false}};
    if (!first) s.push_back({"input gradient", b, out, in, false, false});
    return s;
}

template <class F>
double best_seconds(F&& f, double flops) {
    const int repeats = std::max(3, static_cast<int>(2e8 / flops));
    f();  // a primitive is created on first use
    double best = 1e9;
    for (int round = 0; round < 5; ++round) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i) f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    hebb::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 1);
    hebb::Generator gen(0);
    for (const auto& [model, sizes, batch] : {std::tuple{"784-1024-1024-10", std::vector<long>{784, 1024, 1024, 10}, 256L},
                                              std::tuple{"784-512-256-10", std::vector<long>{784, 512, 256, 10}, 64L}}) {
        double primitive_total = 0.0, sgemm_total = 0.0;
        for (size_t l = 0; l + 1 < sizes.size(); ++l)
            for (const Shape& s : layer(batch, sizes[l], sizes[l + 1], l == 0)) {
                const hebb::Matrix a = hebb::rand(s.transpose_a ? s.k : s.m, s.transpose_a ? s.m : s.k, gen).value();
                const hebb::Matrix b = hebb::rand(s.transpose_b ? s.n : s.k, s.transpose_b ? s.k : s.n, gen).value();
                hebb::Matrix c(s.m, s.n);
                const double flops = 2.0 * s.m * s.n * s.k;
                const double primitive = best_seconds([&] {
                    hebb::onednn::primitive_product(s.m, s.n, s.k, a.data(), s.transpose_a, b.data(), s.transpose_b,
                                                    c.data(), 1.0f, 0.0f);
                }, flops);
                const double sgemm = best_seconds([&] {
                    hebb::onednn::sgemm(s.transpose_a, s.transpose_b, s.m, s.n, s.k, 1.0f, a.data(), a.cols(), b.data(),
                                        b.cols(), 0.0f, c.data(), s.n);
                }, flops);
                primitive_total += primitive, sgemm_total += sgemm;
                std::printf("{\"model\": \"%s\", \"layer\": %zu, \"product\": \"%s\", \"m\": %ld, \"k\": %ld, \"n\": %ld, "
                            "\"primitive_gflops\": %.1f, \"sgemm_gflops\": %.1f, \"sgemm_over_primitive_time\": %.2f}\n",
                            model, l, s.product, s.m, s.k, s.n, flops / primitive / 1e9, flops / sgemm / 1e9,
                            sgemm / primitive);
            }
        std::printf("{\"model\": \"%s\", \"batch\": %ld, \"threads\": %d, \"primitive_ms\": %.3f, \"sgemm_ms\": %.3f}\n", model,
                    batch, hebb::get_num_threads(), 1e3 * primitive_total, 1e3 * sgemm_total);
    }
}
