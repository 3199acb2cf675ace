#include "core/random.h"

#include <cmath>
#include <numbers>
#include <sstream>

#include <omp.h>

namespace hebb {

float Generator::uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }

float Generator::uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

float Generator::normal() {
    const double u1 = (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(next() >> 11) * 0x1.0p-53;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) *
                              std::cos(2.0 * std::numbers::pi * u2));
}

std::uint64_t Generator::below(std::uint64_t n) {
    HEBB_CHECK(n > 0, "Generator::below: n must be positive");
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // reject the uneven tail
    std::uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
}

std::string Generator::state() const {
    std::ostringstream out;
    out << engine_;
    return out.str();
}

void Generator::set_state(const std::string& state) {
    std::istringstream in(state);
    std::mt19937_64 engine;
    in >> engine;
    HEBB_CHECK(!in.fail(), "Generator::set_state: not a generator state");
    engine_ = engine;
}

Generator& default_generator() {
    static Generator gen(0);
    return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

Tensor rand(Eigen::Index rows, Eigen::Index cols, Generator& gen) {
    Matrix m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = gen.uniform();  // row by row
    return Tensor(std::move(m));
}

Tensor randn(Eigen::Index rows, Eigen::Index cols, Generator& gen) {
    Matrix m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = gen.normal();
    return Tensor(std::move(m));
}

void set_num_threads(int n) {
    HEBB_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
    omp_set_num_threads(n);
    Eigen::setNbThreads(n);
}

int get_num_threads() { return Eigen::nbThreads(); }

}  // namespace hebb
