#include "datasets/splits.h"

#include <algorithm>
#include <numeric>

namespace hebb::data {

TensorDataset slice(const TensorDataset& d, Eigen::Index begin, Eigen::Index end) {
    HEBB_CHECK(0 <= begin && begin <= end && end <= d.size(), "slice: [", begin, ", ", end,
               ") is not inside the ", d.size(), " samples");
    std::vector<Eigen::Index> samples(static_cast<size_t>(end - begin));
    std::iota(samples.begin(), samples.end(), begin);
    return d.select(samples);
}

TensorDataset few_shot(const TensorDataset& d, int k, std::uint64_t seed, Eigen::Index begin,
                       Eigen::Index end) {
    HEBB_CHECK(k > 0, "few_shot: k must be positive, got ", k);
    HEBB_CHECK(0 <= begin && begin <= end && end <= d.size(), "few_shot: [", begin, ", ", end,
               ") is not inside the ", d.size(), " samples");
    std::vector<std::vector<Eigen::Index>> by_class(static_cast<size_t>(d.classes));
    for (Eigen::Index i = begin; i < end; ++i) by_class[static_cast<size_t>(d.labels[static_cast<size_t>(i)])].push_back(i);
    Generator gen(seed);
    std::vector<Eigen::Index> chosen;
    for (size_t c = 0; c < by_class.size(); ++c) {
        auto& pool = by_class[c];
        HEBB_CHECK(pool.size() >= static_cast<size_t>(k), "few_shot: class ", c, " has ", pool.size(),
                   " samples in [", begin, ", ", end, "), fewer than ", k);
        for (size_t i = 0; i < static_cast<size_t>(k); ++i) {  // partial Fisher-Yates
            std::swap(pool[i], pool[i + gen.below(pool.size() - i)]);
            chosen.push_back(pool[i]);
        }
    }
    std::sort(chosen.begin(), chosen.end());
    return d.select(chosen);
}

Standardizer Standardizer::fit(const TensorDataset& train) {
    HEBB_CHECK(train.size() > 0, "Standardizer: cannot fit on an empty dataset");
    Standardizer s;
    const Matrix x = train.features();
    s.mean = x.colwise().mean();
    const Eigen::RowVectorXf var = (x.rowwise() - s.mean).array().square().colwise().mean();
    s.std = (var.array() > 0.0f).select(var.array().sqrt(), 1.0f);
    return s;
}

void Standardizer::apply(TensorDataset& d) const {
    HEBB_CHECK(d.dim() == mean.size(), "Standardizer: fitted on ", mean.size(), " features, given ", d.dim());
    d.values = Matrix((d.features().rowwise() - mean).array().rowwise() / std.array());
}

}  // namespace hebb::data
