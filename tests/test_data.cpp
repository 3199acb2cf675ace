#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "hebb.h"

using namespace hebb;

namespace {
// Ten samples whose single feature is their index, labelled index % 3.
data::TensorDataset numbered(int n) {
    Matrix x(n, 1);
    data::TensorDataset d{{}, {}, 3};
    for (int i = 0; i < n; ++i) {
        x(i, 0) = static_cast<float>(i);
        d.labels.push_back(i % 3);
    }
    d.values = std::move(x);
    return d;
}

std::vector<int> epoch_order(data::DataLoader& loader, std::vector<Eigen::Index>* sizes = nullptr) {
    std::vector<int> seen;
    for (const data::Batch& b : loader) {
        if (sizes) sizes->push_back(b.x.rows());
        for (Eigen::Index r = 0; r < b.x.rows(); ++r) {
            const int i = static_cast<int>(b.x.value()(r, 0));
            CHECK(b.y[static_cast<size_t>(r)] == i % 3);  // labels travel with their samples
            seen.push_back(i);
        }
    }
    return seen;
}
}  // namespace

TEST_CASE("without shuffle, batches are consecutive and the last one is partial", "[data]") {
    const auto d = numbered(10);
    data::DataLoader loader(d, 4);
    CHECK(loader.num_batches() == 3);
    std::vector<Eigen::Index> sizes;
    const auto order = epoch_order(loader, &sizes);
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(sizes == std::vector<Eigen::Index>{4, 4, 2});
    data::DataLoader dropping(d, 4, false, 0, true);
    CHECK(dropping.num_batches() == 2);
    CHECK(epoch_order(dropping).size() == 8);
}

TEST_CASE("a loader cannot be built over a temporary dataset", "[data]") {
    // The loader keeps a reference: DataLoader(load_dataset("spirals").train, 64) would read freed memory.
    static_assert(!std::is_constructible_v<data::DataLoader, data::TensorDataset&&, Eigen::Index>);
    static_assert(!std::is_constructible_v<data::DataLoader, data::TensorDataset&&, Eigen::Index, bool, std::uint64_t>);
    static_assert(std::is_constructible_v<data::DataLoader, data::TensorDataset&, Eigen::Index, bool, std::uint64_t>);
    auto d = numbered(3);
    CHECK(data::DataLoader(d, 2, true, 0).num_batches() == 2);
}

TEST_CASE("shuffling visits every sample once, differently each epoch, reproducibly", "[data]") {
    const auto d = numbered(100);
    data::DataLoader a(d, 7, true, 5), b(d, 7, true, 5);
    const auto a1 = epoch_order(a), a2 = epoch_order(a);
    CHECK(a1 != a2);
    auto sorted = a1;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 100; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
    CHECK(epoch_order(b) == a1);
    b.set_epoch(1);  // a resumed run replays epoch 1's order
    CHECK(epoch_order(b) == a2);
    CHECK(a.epoch() == 2);
}

TEST_CASE("a dataset of bytes stays bytes when cut and gives byte / 255 in its batches", "[data]") {
    // Sample i holds the bytes 50 i and 255 - i, labelled i % 3.
    data::Bytes pixels(5, 2);
    for (int i = 0; i < 5; ++i) pixels.row(i) << static_cast<unsigned char>(50 * i), static_cast<unsigned char>(255 - i);
    const data::TensorDataset d{pixels, {0, 1, 2, 0, 1}, 3};
    const data::TensorDataset tail = data::slice(d, 3, 5);
    REQUIRE(std::holds_alternative<data::Bytes>(tail.values));
    CHECK(std::get<data::Bytes>(tail.values) == pixels.bottomRows(2));
    CHECK(tail.labels == std::vector<int>{0, 1});

    data::DataLoader loader(d, 2, true, 3);
    for (const data::Batch& b : loader)
        for (Eigen::Index r = 0; r < b.x.rows(); ++r) {
            const float first = b.x.value()(r, 0), second = b.x.value()(r, 1);
            const int i = static_cast<int>(std::lround(first * 255.0f)) / 50;
            CHECK(first == static_cast<float>(50 * i) / 255.0f);  // exactly PyTorch's ToTensor
            CHECK(second == static_cast<float>(255 - i) / 255.0f);
            CHECK(b.y[static_cast<size_t>(r)] == i % 3);
        }
    Matrix out(1, 2);
    const std::vector<Eigen::Index> bad{5};
    CHECK_THROWS_WITH(d.rows(bad, out), Catch::Contains("sample 5 of 5"));
}

TEST_CASE("two spirals are balanced and bounded", "[data]") {
    Generator gen(1);
    const auto d = data::two_spirals(50, 0.0f, gen);
    CHECK(d.size() == 100);
    CHECK(std::count(d.labels.begin(), d.labels.end(), 1) == 50);
    CHECK(d.features().cwiseAbs().maxCoeff() <= 1.0f);
    // Without noise the spirals are point reflections of each other.
    CHECK(d.features().row(0) == -d.features().row(1));
    CHECK_THROWS_WITH(data::DataLoader(d, 0), Catch::Contains("batch size must be positive, got 0"));
}

TEST_CASE("slices and few-shot subsets keep samples with their labels", "[data]") {
    const auto d = numbered(100);
    const auto s = data::slice(d, 10, 20);
    CHECK(s.size() == 10);
    CHECK(s.features()(0, 0) == 10.0f);
    CHECK(s.labels[0] == 10 % 3);
    CHECK_THROWS_WITH(data::slice(d, 90, 101), Catch::Contains("[90, 101) is not inside the 100 samples"));

    const auto shots = data::few_shot(d, 4, 7, 0, 60);
    REQUIRE(shots.size() == 12);
    std::vector<int> per_class(3, 0);
    for (Eigen::Index i = 0; i < shots.size(); ++i) {
        const float index = shots.features()(i, 0);
        CHECK(index < 60.0f);                                            // only from [0, 60)
        CHECK(shots.labels[static_cast<size_t>(i)] == static_cast<int>(index) % 3);
        ++per_class[static_cast<size_t>(shots.labels[static_cast<size_t>(i)])];
    }
    CHECK(per_class == std::vector<int>{4, 4, 4});
    CHECK(data::few_shot(d, 4, 7, 0, 60).features() == shots.features());   // same seed, same samples
    CHECK(data::few_shot(d, 4, 8, 0, 60).features() != shots.features());
    CHECK_THROWS_WITH(data::few_shot(d, 5, 1, 0, 12), Catch::Contains("fewer than 5"));
}

TEST_CASE("standardisation is fitted on one split and applied to another", "[data]") {
    data::TensorDataset train{Tensor::from({{1, 5}, {3, 5}}).value(), {0, 1}, 2};
    data::TensorDataset test{Tensor::from({{2, 7}}).value(), {0}, 2};
    const auto s = data::Standardizer::fit(train);
    s.apply(train);
    s.apply(test);
    CHECK(train.features() == Tensor::from({{-1, 0}, {1, 0}}).value());  // constant feature: std 1
    CHECK(test.features() == Tensor::from({{0, 2}}).value());
}
