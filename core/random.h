// Seeds and threads: every random call takes a Generator (the default one unless given), so a run
// is reproducible from one seed, and one call sets the thread count of OpenMP and Eigen together.
#pragma once

#include <cstdint>
#include <random>

#include "core/tensor.h"

namespace hebb {

class Generator {
public:
    explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}
    void seed(std::uint64_t seed) { engine_.seed(seed); }
    std::uint64_t next() { return engine_(); }
    void discard(std::uint64_t n) { engine_.discard(n); }  // as n calls of next() or uniform()
    float uniform();                  // in [0, 1), from 24 random bits, the same on every platform
    float uniform(float lo, float hi);  // in [lo, hi)
    float normal();                   // standard normal (Box-Muller)
    std::uint64_t below(std::uint64_t n);  // uniform in [0, n), unbiased
    // The engine's exact state as text, so a resumed run continues the same random sequence.
    std::string state() const;
    void set_state(const std::string& state);

private:
    std::mt19937_64 engine_;
};

Generator& default_generator();
void manual_seed(std::uint64_t seed);  // reseeds the default generator

Tensor rand(Eigen::Index rows, Eigen::Index cols, Generator& gen = default_generator());   // U[0,1)
Tensor randn(Eigen::Index rows, Eigen::Index cols, Generator& gen = default_generator());  // N(0,1)

void set_num_threads(int n);  // OpenMP and Eigen
int get_num_threads();

}  // namespace hebb
