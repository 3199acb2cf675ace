#include "datasets/dataset.h"

#include <cmath>
#include <numbers>

namespace hebb::data {

TensorDataset two_spirals(Eigen::Index n, float noise, Generator& gen) {
    HEBB_CHECK(n > 0 && noise >= 0.0f, "two_spirals: need n > 0 and noise >= 0");
    TensorDataset d{Matrix(2 * n, 2), std::vector<int>(static_cast<size_t>(2 * n)), 2};
    for (Eigen::Index i = 0; i < n; ++i) {
        // Radius grows with the angle over 1.75 turns; the second spiral is the first turned by pi.
        const float t = static_cast<float>(i) / static_cast<float>(n);
        const float angle = 1.75f * 2.0f * std::numbers::pi_v<float> * t;
        const float radius = 0.1f + 0.9f * t;
        for (int label = 0; label < 2; ++label) {
            const Eigen::Index row = 2 * i + label;
            const float sign = label == 0 ? 1.0f : -1.0f;
            d.features(row, 0) = sign * radius * std::cos(angle) + noise * gen.normal();
            d.features(row, 1) = sign * radius * std::sin(angle) + noise * gen.normal();
            d.labels[static_cast<size_t>(row)] = label;
        }
    }
    return d;
}

}  // namespace hebb::data
