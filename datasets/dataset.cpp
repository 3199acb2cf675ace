#include "datasets/dataset.h"

#include <cmath>
#include <numbers>
#include <numeric>

namespace hebb::data {

Eigen::Index TensorDataset::size() const {
    return std::visit([](const auto& v) { return v.rows(); }, values);
}

Eigen::Index TensorDataset::dim() const {
    return std::visit([](const auto& v) { return v.cols(); }, values);
}

std::string TensorDataset::scaling() const {
    return std::holds_alternative<Bytes>(values) ? "byte/255" : "as read";
}

void TensorDataset::rows(std::span<const Eigen::Index> samples, Matrix& out) const {
    HEBB_CHECK(out.rows() == static_cast<Eigen::Index>(samples.size()) && out.cols() == dim(),
               "TensorDataset::rows: ", samples.size(), " samples of ", dim(), " features into a ",
               out.rows(), " x ", out.cols(), " matrix");
    std::visit([&](const auto& v) {
        for (size_t r = 0; r < samples.size(); ++r) {
            const Eigen::Index i = samples[r];
            HEBB_CHECK(0 <= i && i < v.rows(), "TensorDataset::rows: sample ", i, " of ", v.rows());
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Bytes>)
                out.row(static_cast<Eigen::Index>(r)) = v.row(i).template cast<float>() / 255.0f;
            else
                out.row(static_cast<Eigen::Index>(r)) = v.row(i);
        }
    }, values);
}

Matrix TensorDataset::features() const {
    std::vector<Eigen::Index> all(static_cast<size_t>(size()));
    std::iota(all.begin(), all.end(), 0);
    Matrix out(size(), dim());
    rows(all, out);
    return out;
}

TensorDataset TensorDataset::select(std::span<const Eigen::Index> samples) const {
    TensorDataset out{{}, {}, classes, class_names, image};
    std::visit([&](const auto& v) {
        std::decay_t<decltype(v)> picked(static_cast<Eigen::Index>(samples.size()), v.cols());
        for (size_t r = 0; r < samples.size(); ++r) {
            const Eigen::Index i = samples[r];
            HEBB_CHECK(0 <= i && i < v.rows(), "TensorDataset::select: sample ", i, " of ", v.rows());
            picked.row(static_cast<Eigen::Index>(r)) = v.row(i);
            out.labels.push_back(labels[static_cast<size_t>(i)]);
        }
        out.values = std::move(picked);
    }, values);
    return out;
}

TensorDataset two_spirals(Eigen::Index n, float noise, Generator& gen) {
    HEBB_CHECK(n > 0 && noise >= 0.0f, "two_spirals: need n > 0 and noise >= 0");
    Matrix x(2 * n, 2);
    std::vector<int> labels(static_cast<size_t>(2 * n));
    for (Eigen::Index i = 0; i < n; ++i) {
        // Radius grows with the angle over 1.75 turns; the second spiral is the first turned by pi.
        const float t = static_cast<float>(i) / static_cast<float>(n);
        const float angle = 1.75f * 2.0f * std::numbers::pi_v<float> * t;
        const float radius = 0.1f + 0.9f * t;
        for (int label = 0; label < 2; ++label) {
            const Eigen::Index row = 2 * i + label;
            const float sign = label == 0 ? 1.0f : -1.0f;
            x(row, 0) = sign * radius * std::cos(angle) + noise * gen.normal();
            x(row, 1) = sign * radius * std::sin(angle) + noise * gen.normal();
            labels[static_cast<size_t>(row)] = label;
        }
    }
    return {std::move(x), std::move(labels), 2, {}, {2, 1, 1}};
}

}  // namespace hebb::data
