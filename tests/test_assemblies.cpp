// Assemblies after training: the graphs, spectral clustering, modularity, selectivity, and the
// hebb assemblies command end to end.
#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stb/stb_image.h>
#include <sys/wait.h>

#include "hebb.h"
#include "tests/cli.h"
#include "analysis/assemblies.h"
#include "analysis/pictures.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace hebb;

namespace {

// True when a and b put the same pairs of neurons together (equal up to renaming the groups).
bool same_partition(const std::vector<int>& a, const std::vector<int>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        for (size_t j = 0; j < a.size(); ++j)
            if ((a[i] == a[j]) != (b[i] == b[j])) return false;
    return true;
}

// Two triangles {0,1,2} and {3,4,5} joined by the edge 2-3, unit weights.
analysis::Graph two_triangles() {
    analysis::Graph g = analysis::Graph::Zero(6, 6);
    for (auto [i, j] : std::vector<std::pair<int, int>>{{0, 1}, {0, 2}, {1, 2}, {3, 4}, {3, 5}, {4, 5}, {2, 3}})
        g(i, j) = g(j, i) = 1.0;
    return g;
}

// RFC 4648 base64 back to bytes (the inverse of analysis::base64), to read an embedded PNG.
std::string from_base64(const std::string& text) {
    const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t bits = 0;
    int held = 0;
    for (char c : text) {
        if (c == '=') break;
        bits = (bits << 6 | static_cast<std::uint32_t>(digits.find(c))) & 0xffffff;
        if ((held += 6) >= 8) out += static_cast<char>((bits >> (held -= 8)) & 0xff);
    }
    return out;
}

// The PNG embedded in an SVG heatmap, decoded to RGB.
struct Decoded {
    int width = 0, height = 0;
    std::vector<std::uint8_t> rgb;
};
Decoded embedded_png(const std::string& svg) {
    const std::string key = "href='data:image/png;base64,";
    const size_t at = svg.find(key);
    REQUIRE(at != std::string::npos);
    const size_t from = at + key.size();
    const std::string png = from_base64(svg.substr(from, svg.find('\'', from) - from));
    int w = 0, h = 0, ch = 0;
    stbi_uc* px = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(png.data()), static_cast<int>(png.size()), &w,
                                        &h, &ch, 3);
    REQUIRE(px);
    Decoded d{w, h, std::vector<std::uint8_t>(px, px + static_cast<size_t>(w) * static_cast<size_t>(h) * 3)};
    stbi_image_free(px);
    return d;
}

// A small spirals model, trained once per test run and shared by the test cases.
std::string spirals_model(const std::string& name, const std::string& arch, const std::string& extra) {
    const fs::path out = cli::scratch("model_" + name);
    if (!fs::exists(out / "last.safetensors")) {
        const cli::Result r = cli::hebb("train --data spirals --arch " + arch + " --lr 0.01 --batch-size 50 --threads 1 " +
                                  extra + " --out " + out.string());
        INFO(r.output);
        REQUIRE(r.status == 0);
    }
    return (out / "last.safetensors").string();
}

}  // namespace

TEST_CASE("the structural graph is A A^T of A = |tanh(gamma W)|, or its Hadamard square", "[assemblies]") {
    // weight (out x in) = (2 x 3): BEAN's W (3 x 2) is its transpose.
    const Matrix weight = Tensor::from({{0.5f, -1.0f, 0.0f}, {2.0f, 0.25f, -0.75f}}).value();
    const double gamma = 0.7;
    const analysis::Graph c1 = analysis::structural_graph(weight, 1, gamma);
    const analysis::Graph c2 = analysis::structural_graph(weight, 2, gamma);
    REQUIRE(c1.rows() == 3);
    REQUIRE(c1.cols() == 3);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double expected = 0.0;
            for (int k = 0; k < 2; ++k)
                expected += std::abs(std::tanh(gamma * weight(k, i))) * std::abs(std::tanh(gamma * weight(k, j)));
            CHECK(c1(i, j) == Approx(expected).epsilon(1e-6));
            CHECK(c2(i, j) == Approx(expected * expected).epsilon(1e-6));
        }
    CHECK(analysis::zero_diagonal(c1).diagonal().isZero());
    CHECK_THROWS_WITH(analysis::structural_graph(weight, 3), Catch::Contains("order must be 1 or 2"));
}

TEST_CASE("a planted block structure is recovered exactly, with k = 3 from the eigengap", "[assemblies]") {
    // 30 neurons in 3 planted blocks (shuffled, so the answer is not the index order) and 24
    // targets in 3 groups: neuron i reaches the targets of its own group strongly and the others
    // only through small noise, so C = A A^T is block-diagonal plus noise. Neuron 30 has no
    // outgoing weight at all (pruned): it must come out unassigned.
    const int n = 31, m = 24;
    Generator gen(7);
    std::vector<int> block(30);
    for (int i = 0; i < 30; ++i) block[static_cast<size_t>(i)] = i % 3;
    for (size_t i = block.size() - 1; i > 0; --i) std::swap(block[i], block[gen.below(i + 1)]);
    Matrix weight(m, n);  // (out x in)
    for (int t = 0; t < m; ++t)
        for (int i = 0; i < n; ++i)
            weight(t, i) = i == 30                          ? 0.0f
                           : block[static_cast<size_t>(i)] == t % 3 ? 1.5f + 0.2f * gen.normal()
                                                                    : 0.05f * gen.normal();
    const analysis::Graph c = analysis::zero_diagonal(analysis::structural_graph(weight));
    const analysis::Partition p = analysis::spectral_clustering(c);
    CHECK(p.k == 3);
    CHECK(p.eigengap > 0.5);
    REQUIRE(p.eigenvalues.size() == 21);
    CHECK(p.eigenvalues[0] == Approx(0.0).margin(1e-9));
    CHECK(p.unassigned == std::vector<int>{30});
    CHECK(p.labels[30] == -1);
    const std::vector<int> found(p.labels.begin(), p.labels.begin() + 30);
    CHECK(same_partition(found, block));
    for (int a = 0; a < 3; ++a) CHECK(std::count(found.begin(), found.end(), a) == 10);
    // Three equal blocks: Q = (fraction of the weight inside blocks) - 1/3. Inside, C_ij is about
    // 8 * 0.9^2 = 6.5 over 9 partners; across, about 16 * 0.9 * 0.04 = 0.6 over 20: Q ~ 0.83 - 0.33.
    CHECK(analysis::modularity(c, p.labels) > 0.45);
    CHECK(analysis::modularity(c, p.labels) < 2.0 / 3.0);

    // Forcing k works, and the same input gives the same answer (a fixed seed).
    const analysis::Partition p2 = analysis::spectral_clustering(c, {.k = 2});
    CHECK(p2.k == 2);
    CHECK(analysis::spectral_clustering(c, {.k = 2}).labels == p2.labels);
    CHECK_THROWS_WITH(analysis::spectral_clustering(c, {.k = 31}), Catch::Contains("30 connected neurons"));

    // The whole layer analysis, with activations where block b fires for class b (neuron 30 never
    // fires): every assembly is class-pure and fires together.
    Matrix h(90, n);
    std::vector<int> y(90);
    for (int b = 0; b < 90; ++b) {
        y[static_cast<size_t>(b)] = b % 3;
        for (int i = 0; i < n; ++i)
            h(b, i) = i == 30 ? 0.0f : (block[static_cast<size_t>(i)] == b % 3 ? 1.0f : 0.0f) + 0.1f * std::abs(gen.normal());
    }
    const analysis::LayerAnalysis a = analysis::analyze_layer(weight, h, y, 3);
    CHECK(a.partition.labels == p.labels);
    REQUIRE(a.assemblies.size() == 3);
    std::vector<int> classes;
    for (const analysis::Assembly& as : a.assemblies) {
        CHECK(as.purity == 1.0);
        CHECK(as.selectivity > 0.7);
        classes.push_back(as.dominant_class);
    }
    std::sort(classes.begin(), classes.end());
    CHECK(classes == std::vector<int>{0, 1, 2});
    CHECK(a.mean_purity == 1.0);
    CHECK(a.chance_purity < 0.7);
    CHECK(a.cohesion.within > 0.8);
    CHECK(a.cohesion.between < 0.0);
    CHECK(a.selectivity.preferred[30] == -1);
    const std::vector<int> order = a.order();
    REQUIRE(order.size() == 31);
    CHECK(order.back() == 30);
    for (size_t i = 1; i < 30; ++i)  // assembly by assembly
        CHECK(a.partition.labels[static_cast<size_t>(order[i - 1])] <= a.partition.labels[static_cast<size_t>(order[i])]);
    CHECK(a.block_sizes() == std::vector<size_t>{10, 10, 10, 1});  // three assemblies, then neuron 30
    const float tiny = 1e-3f * weight.cwiseAbs().maxCoeff();
    long small = 0;
    for (Eigen::Index i = 0; i < weight.size(); ++i) small += std::abs(weight.data()[i]) < tiny;
    CHECK(small >= 24);  // neuron 30's zero column, and some of the noise
    CHECK(a.small_weights == Approx(static_cast<double>(small) / (24 * 31)));
}

TEST_CASE("modularity of two triangles joined by one edge, by hand", "[assemblies]") {
    // 7 unit edges, so 2w = 14 (the sum of all C_ij counts each edge twice). Degrees: 2, 2, 3, 3, 2, 2.
    // Q = sum over groups of (in_c / 2w - (K_c / 2w)^2), in_c = sum of C_ij inside c (each inner edge twice).
    // Split into the two triangles: each has in_c = 6 and K_c = 2 + 2 + 3 = 7, so
    //   Q = 2 * (6/14 - (7/14)^2) = 6/7 - 1/2 = 5/14 = 0.357142...
    // Everything in one group: Q = 14/14 - 1 = 0. Every node alone: Q = -(4*2^2 + 2*3^2) / 14^2 = -34/196.
    const analysis::Graph g = two_triangles();
    CHECK(analysis::modularity(g, std::vector<int>{0, 0, 0, 1, 1, 1}) == Approx(5.0 / 14.0));
    CHECK(analysis::modularity(g, std::vector<int>{1, 1, 1, 0, 0, 0}) == Approx(5.0 / 14.0));
    CHECK(analysis::modularity(g, std::vector<int>(6, 0)) == 0.0);  // one group: exactly 0, not -0.000
    CHECK(analysis::modularity(g, std::vector<int>{0, 1, 2, 3, 4, 5}) == Approx(-34.0 / 196.0));
    CHECK(analysis::modularity(analysis::Graph::Zero(3, 3), std::vector<int>{0, 0, 1}) == 0.0);
    CHECK_THROWS_WITH(analysis::modularity(g, std::vector<int>{0, 1}), Catch::Contains("2 labels for 6 neurons"));

    // Spectral clustering finds the two triangles, with k = 2 from the eigengap.
    const analysis::Partition p = analysis::spectral_clustering(g);
    CHECK(p.k == 2);
    CHECK(same_partition(p.labels, {0, 0, 0, 1, 1, 1}));
    CHECK(p.labels[0] == 0);  // equal sizes: the assembly holding neuron 0 is numbered first
}

TEST_CASE("the eigengap may choose k = 1: a graph without blocks is one assembly", "[assemblies]") {
    // A complete graph's normalized Laplacian has eigenvalues 0 and n/(n-1) (n - 1 times): the only
    // gap is the first, so k = 1. A random dense graph (weights in [0.5, 1]) is nearly the same.
    const int n = 20;
    const analysis::Graph complete = analysis::zero_diagonal(analysis::Graph::Ones(n, n));
    const analysis::Partition p = analysis::spectral_clustering(complete);
    CHECK(p.k == 1);
    CHECK(p.eigengap == Approx(20.0 / 19.0));
    CHECK(p.labels == std::vector<int>(n, 0));
    Generator gen(11);
    analysis::Graph dense(n, n);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) dense(i, j) = dense(j, i) = 0.5 + 0.5 * static_cast<double>(gen.next() >> 11) * 0x1.0p-53;
    CHECK(analysis::spectral_clustering(analysis::zero_diagonal(dense)).k == 1);

    // Two dense blocks of 10 (weight 1 inside) joined by weak edges (0.05 across): k = 2.
    analysis::Graph blocks(n, n);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) blocks(i, j) = (i < 10) == (j < 10) ? 1.0 : 0.05;
    blocks = analysis::zero_diagonal(blocks);
    const analysis::Partition two = analysis::spectral_clustering(blocks);
    CHECK(two.k == 2);
    std::vector<int> planted(n, 0);
    std::fill(planted.begin() + 10, planted.end(), 1);
    CHECK(same_partition(two.labels, planted));
    // Forcing k still works either way.
    CHECK(analysis::spectral_clustering(blocks, {.k = 1}).labels == std::vector<int>(n, 0));
    CHECK(analysis::spectral_clustering(complete, {.k = 3}).k == 3);
    // Two connected neurons have one gap, lambda_2 - lambda_1 = 2: one assembly.
    analysis::Graph pair = analysis::Graph::Zero(2, 2);
    pair(0, 1) = pair(1, 0) = 1.0;
    const analysis::Partition one = analysis::spectral_clustering(pair);
    CHECK(one.k == 1);
    CHECK(one.eigengap == Approx(2.0));
}

TEST_CASE("readout agreement by hand, its chance against every shuffle", "[assemblies]") {
    // weight (3 classes x 6 neurons), column i is neuron i's outgoing weights:
    //   neuron 0 prefers 0, strongest weight to 0: agrees
    //   neuron 1 prefers 1, strongest to 2: does not
    //   neuron 2 prefers 2, strongest (-0.9, inhibitory) to 2: agrees
    //   neuron 3 prefers 1, every weight 0 (pruned): favours no class, does not agree
    //   neuron 4 prefers 2, strongest to 2 (-0.3 to class 1 is weaker): agrees
    //   neuron 5 is silent (-1): left out
    // Agreement 3 / 5. Chance: targets 0, 2, 2, none, 2 against the pool of preferred classes
    // {0, 1, 2, 1, 2}: (1 + 2 + 2 + 0 + 2) / 25 = 7/25.
    const Matrix weight = Tensor::from({{0.9f, 0.2f, -0.1f, 0.0f, 0.1f, 0.3f},
                                        {0.1f, 0.5f, -0.2f, 0.0f, -0.3f, 0.1f},
                                        {-0.2f, 0.7f, -0.9f, 0.0f, 0.8f, 0.2f}}).value();
    const std::vector<int> preferred{0, 1, 2, 1, 2, -1};
    const analysis::Readout r = analysis::readout_agreement(weight, preferred);
    CHECK(r.neurons == 5);
    CHECK(r.agreement == Approx(0.6));
    CHECK(r.chance == Approx(7.0 / 25.0));
    // The chance is the mean agreement over every arrangement of the pool (each distinct one occurs
    // equally often among the 5! shuffles).
    std::vector<int> pool{0, 1, 1, 2, 2};
    const std::vector<int> counted{0, 1, 2, 3, 4};
    double sum = 0;
    int arrangements = 0;
    do {
        std::vector<int> shuffled = preferred;
        for (size_t i = 0; i < counted.size(); ++i) shuffled[static_cast<size_t>(counted[i])] = pool[i];
        sum += analysis::readout_agreement(weight, shuffled).agreement;
        ++arrangements;
    } while (std::next_permutation(pool.begin(), pool.end()));
    CHECK(arrangements == 30);
    CHECK(r.chance == Approx(sum / arrangements));

    CHECK(analysis::readout_agreement(weight, std::vector<int>(6, -1)).neurons == 0);
    CHECK_THROWS_WITH(analysis::readout_agreement(weight, std::vector<int>{0, 1}), Catch::Contains("2 neurons for a weight"));
    CHECK_THROWS_WITH(analysis::readout_agreement(weight, std::vector<int>{0, 3, 0, 0, 0, 0}),
                      Catch::Contains("neuron 1 prefers class 3"));
}

TEST_CASE("functional assemblies find two planted correlated groups that the weights do not show", "[assemblies]") {
    // 13 neurons over 300 samples: 6 follow a latent z1, 6 follow z2 (independent), each with its own
    // noise; neuron 12 is constant. The class is 0 when z1 > z2, else 1, so group 1 prefers class 0
    // and group 2 class 1. The weight is unstructured (all equal): the structural graph says k = 1.
    Generator gen(5);
    std::vector<int> group(12);
    for (int i = 0; i < 12; ++i) group[static_cast<size_t>(i)] = i % 2;
    for (size_t i = group.size() - 1; i > 0; --i) std::swap(group[i], group[gen.below(i + 1)]);
    const int batch = 300;
    Matrix h(batch, 13);
    std::vector<int> y(batch);
    for (int b = 0; b < batch; ++b) {
        const float z1 = gen.normal(), z2 = gen.normal();
        y[static_cast<size_t>(b)] = z1 > z2 ? 0 : 1;
        for (int i = 0; i < 12; ++i) h(b, i) = (group[static_cast<size_t>(i)] == 0 ? z1 : z2) + 0.3f * gen.normal();
        h(b, 12) = 1.0f;
    }
    // The affinity keeps positive correlations only: anti-correlated neurons do not belong together.
    analysis::Graph r(3, 3);
    r << 1, -0.5, 0.3, -0.5, 1, 0.2, 0.3, 0.2, 1;
    analysis::Graph expected(3, 3);
    expected << 0, 0, 0.3, 0, 0, 0.2, 0.3, 0.2, 0;
    CHECK(analysis::positive_affinity(r) == expected);

    const Matrix weight = Matrix::Constant(4, 13, 0.5f);
    const analysis::LayerAnalysis a = analysis::analyze_layer(weight, h, y, 2);
    CHECK(a.partition.k == 1);
    CHECK_FALSE(a.has_structure());
    CHECK_FALSE(a.readout.has_value());  // not a layer that feeds the output
    const analysis::Clustering& f = a.functional_assemblies;
    CHECK(f.partition.k == 2);
    CHECK(f.partition.unassigned == std::vector<int>{12});  // constant: no correlation with anything
    CHECK(same_partition(std::vector<int>(f.partition.labels.begin(), f.partition.labels.begin() + 12), group));
    CHECK(f.modularity > 0.4);  // two equal groups with nearly all the weight inside: Q near 1/2
    CHECK(f.mean_purity == 1.0);
    CHECK(f.chance_purity < 0.8);
    CHECK(a.dead() == std::vector<int>{12});  // silent (its weights are not zero: not isolated in C)

    // As the output layer (2 classes x 13), the readout is computed.
    const analysis::LayerAnalysis out = analysis::analyze_layer(Matrix::Constant(2, 13, 0.5f), h, y, 2,
                                                                {.spectral = {}, .feeds_output = true});
    REQUIRE(out.readout.has_value());
    CHECK(out.readout->neurons == 12);
    CHECK(out.readout->agreement == Approx(0.5));  // equal weights: the first class is the strongest
    CHECK(out.readout->chance == Approx(0.5));
}

TEST_CASE("k-means separates obvious clusters and prefers the lowest inertia", "[assemblies]") {
    Eigen::MatrixXd points(6, 2);
    points << 0, 0, 0.1, 0, 0, 0.1, 5, 5, 5.1, 5, 5, 5.1;
    Generator gen(0);
    const analysis::KMeans km = analysis::kmeans(points, 2, gen);
    CHECK(same_partition(km.labels, {0, 0, 0, 1, 1, 1}));
    CHECK(km.inertia == Approx(4 * 0.1 * 0.1 * 2.0 / 3.0).epsilon(1e-9));
    Generator gen6(0);
    CHECK(analysis::kmeans(points, 6, gen6).inertia == Approx(0.0).margin(1e-12));  // every point its own centre
}

TEST_CASE("preferred class and selectivity on hand-made activations", "[assemblies]") {
    // 6 samples, labels 0 0 1 1 2 2 (class 3 has no sample and is left out), 3 neurons:
    //   neuron 0: 1 3 | 0 0 | 1 1  class means 2, 0, 1: prefers 0, mu_rest = (0 + 1)/2 = 0.5,
    //             selectivity (2 - 0.5) / (2 + 0.5) = 0.6
    //   neuron 1: all 0 (silent): no preferred class (-1), selectivity 0
    //   neuron 2: 0 0 | 4 4 | 0 0  means 0, 4, 0: prefers 1, selectivity (4 - 0) / (4 + 0) = 1
    const Matrix h = Tensor::from({{1, 0, 0}, {3, 0, 0}, {0, 0, 4}, {0, 0, 4}, {1, 0, 0}, {1, 0, 0}}).value();
    const std::vector<int> y{0, 0, 1, 1, 2, 2};
    const analysis::Selectivity s = analysis::class_selectivity(h, y, 4);
    CHECK(s.preferred == std::vector<int>{0, -1, 1});
    CHECK(s.index[0] == Approx(0.6));
    CHECK(s.index[1] == 0.0);
    CHECK(s.index[2] == Approx(1.0));
    CHECK(s.class_means(0, 0) == Approx(2.0));
    CHECK(s.class_means(2, 0) == Approx(1.0));
    CHECK_THROWS_WITH(analysis::class_selectivity(h, std::vector<int>{0, 0, 1, 1, 2, 9}, 4), Catch::Contains("label 9"));

    // Assemblies {0, 1} and {2}: the first has preferred classes {0, -}: dominant 0, purity 1/2,
    // selectivity (0.6 + 0) / 2; the second is class 1, pure, selectivity 1.
    analysis::Partition p;
    p.labels = {0, 0, 1};
    p.k = 2;
    const std::vector<analysis::Assembly> a = analysis::describe_assemblies(p, s);
    REQUIRE(a.size() == 2);
    CHECK(a[0].neurons == std::vector<int>{0, 1});
    CHECK(a[0].dominant_class == 0);
    CHECK(a[0].purity == Approx(0.5));
    CHECK(a[0].selectivity == Approx(0.3));
    CHECK(a[1].dominant_class == 1);
    CHECK(a[1].purity == Approx(1.0));
    CHECK(analysis::mean_purity(a) == Approx(2.0 / 3.0));  // (0.5 * 2 + 1 * 1) / 3
    const double chance = analysis::chance_purity(a, s.preferred, 500);
    CHECK(chance > 0.5);  // a singleton is always pure, so chance is at least 1/3 + ...
    CHECK(chance < 1.0);
}

TEST_CASE("the functional graph is the Pearson correlation, 0 for a constant neuron", "[assemblies]") {
    Generator gen(3);
    Matrix h(50, 5);
    for (Eigen::Index b = 0; b < 50; ++b) {
        for (Eigen::Index i = 0; i < 5; ++i) h(b, i) = gen.normal();
        h(b, 1) = 0.5f * h(b, 0) + 0.2f * gen.normal();  // correlated with neuron 0
        h(b, 3) = 2.5f;                                   // constant: zero variance
    }
    const analysis::Graph r = analysis::functional_graph(h);
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) {
            // r_ij = sum_b (x_bi - mean_i)(x_bj - mean_j) / sqrt(sum_b (x_bi - mean_i)^2 sum_b (x_bj - mean_j)^2)
            double mi = 0, mj = 0;
            for (int b = 0; b < 50; ++b) mi += h(b, i) / 50.0, mj += h(b, j) / 50.0;
            double sij = 0, sii = 0, sjj = 0;
            for (int b = 0; b < 50; ++b) {
                sij += (h(b, i) - mi) * (h(b, j) - mj);
                sii += (h(b, i) - mi) * (h(b, i) - mi);
                sjj += (h(b, j) - mj) * (h(b, j) - mj);
            }
            const double expected = i == 3 || j == 3 ? 0.0 : sij / std::sqrt(sii * sjj);
            INFO(i << ", " << j);
            CHECK(r(i, j) == Approx(expected).margin(1e-9));
        }
    CHECK(r(0, 1) > 0.8);
    CHECK(r(3, 3) == 0.0);

    // Within and between assemblies: {0, 1} against the rest.
    const analysis::Cohesion c = analysis::cohesion(r, std::vector<int>{0, 0, 1, 1, -1});
    CHECK(c.within == Approx((2 * r(0, 1) + 2 * r(2, 3)) / 4));
    CHECK(c.between == Approx((r(0, 2) + r(0, 3) + r(1, 2) + r(1, 3)) / 4));
}

TEST_CASE("an assembly's preferred samples and their mean input", "[assemblies]") {
    const Matrix h = Tensor::from({{0, 1, 9}, {3, 3, 0}, {1, 0, 0}, {2, 2, 0}, {3, 3, 5}}).value();
    const Matrix x = Tensor::from({{1, 1}, {2, 4}, {3, 9}, {4, 16}, {5, 25}}).value();
    const std::vector<int> neurons{0, 1};  // mean activation per sample: 0.5, 3, 0.5, 2, 3
    CHECK(analysis::top_samples(h, neurons, 3) == std::vector<Eigen::Index>{1, 4, 3});
    CHECK(analysis::top_samples(h, neurons, 100).size() == 5);
    const Eigen::RowVectorXf mean = analysis::preferred_mean_input(h, x, neurons, 2);
    CHECK(mean(0) == Approx(3.5));
    CHECK(mean(1) == Approx(14.5));
    analysis::LayerAnalysis layer;
    layer.assemblies = {{.neurons = {0, 1}}, {.neurons = {2}}};  // neuron 2 fires for samples 0 and 4
    const std::vector<Eigen::RowVectorXf> means = analysis::assembly_mean_inputs(layer, h, x, 2);
    REQUIRE(means.size() == 2);
    CHECK(means[0] == mean);
    CHECK(means[1](0) == Approx(3.0));  // (1 + 5) / 2
    CHECK(analysis::small_weight_fraction(Tensor::from({{1, 0.0005f}, {-0.002f, 0}}).value()) == Approx(0.5));
}

TEST_CASE("the off-diagonal quantile leaves the diagonal out", "[assemblies]") {
    analysis::Graph g(3, 3);
    g << 100, 1, 2, 1, 100, 3, 2, 3, 100;  // off-diagonal: 1, 1, 2, 2, 3, 3
    CHECK(analysis::off_diagonal_quantile(g, 0.0) == 1.0);
    CHECK(analysis::off_diagonal_quantile(g, 0.5) == 2.0);  // the lower neighbour of 2.5
    CHECK(analysis::off_diagonal_quantile(g, 1.0) == 3.0);
    CHECK(analysis::off_diagonal_quantile(analysis::Graph::Ones(1, 1), 0.5) == 0.0);
    CHECK_THROWS_WITH(analysis::off_diagonal_quantile(g, 1.5), Catch::Contains("q = 1.5 is not in [0, 1]"));
}

TEST_CASE("layer_inputs reads what entered each Linear, in eval mode, in batches", "[assemblies]") {
    Generator gen(3);
    auto net = nn::mlp({{4, 6, 5, 3}, "relu", 0.5f}, gen);
    const Matrix x = randn(7, 4, gen).value();
    const std::vector<size_t> which{0, 2};
    const std::vector<Matrix> in = analysis::layer_inputs(*net, x, which, 3);  // batches of 3, 3 and 1 rows
    CHECK(net->is_training());  // restored
    REQUIRE(in.size() == 2);
    CHECK(in[0] == x);
    net->eval();
    (*net)(Tensor(x));
    CHECK(in[1].isApprox(nn::linear_layers(*net)[2]->input().value()));  // dropout off, as in eval
    CHECK_THROWS_WITH(analysis::layer_inputs(*net, x, std::vector<size_t>{3}), Catch::Contains("Linear 3 of a model with 3"));
}

TEST_CASE("heatmaps draw neurons in order, scale pixels a neuron", "[assemblies]") {
    analysis::Graph g(2, 2);
    g << 0, 1, 1, 0;
    const analysis::Image img = analysis::heatmap(g, std::vector<int>{1, 0}, 0.0, 1.0, analysis::viridis, 16);
    REQUIRE(img.width == 32);
    REQUIRE(img.height == 32);
    const auto pixel = [&](int x, int y) {
        const size_t p = (static_cast<size_t>(y) * static_cast<size_t>(img.width) + static_cast<size_t>(x)) * 3;
        return std::array<int, 3>{img.pixels[p], img.pixels[p + 1], img.pixels[p + 2]};
    };
    CHECK(pixel(0, 0) == std::array<int, 3>{68, 1, 84});      // g(1, 1) = 0: viridis(0)
    CHECK(pixel(15, 15) == std::array<int, 3>{68, 1, 84});
    CHECK(pixel(16, 0) == std::array<int, 3>{253, 231, 37});  // g(1, 0) = 1: viridis(1)
    CHECK(analysis::heatmap(g, std::vector<int>{0}, 0.0, 1.0, analysis::viridis).width == 1);
    CHECK_THROWS_WITH(analysis::heatmap(g, std::vector<int>{2}, 0, 1, analysis::coolwarm), Catch::Contains("neuron 2"));
    const analysis::Rgb grey = analysis::coolwarm(0.5);
    CHECK((grey.r == 221 && grey.g == 221 && grey.b == 221));
}

TEST_CASE("base64 matches RFC 4648's test vectors", "[assemblies]") {
    CHECK(analysis::base64("") == "");
    CHECK(analysis::base64("f") == "Zg==");
    CHECK(analysis::base64("fo") == "Zm8=");
    CHECK(analysis::base64("foo") == "Zm9v");
    CHECK(analysis::base64("foob") == "Zm9vYg==");
    CHECK(analysis::base64("fooba") == "Zm9vYmE=");
    CHECK(analysis::base64("foobar") == "Zm9vYmFy");
    CHECK(analysis::base64(std::string("\xff\xfe\x00", 3)) == "//4A");  // the last two digits and a zero byte
}

TEST_CASE("an SVG heatmap carries its title, scale, boundaries, marks and a decodable PNG", "[assemblies]") {
    // Two triangles, drawn in the order 3 4 5 0 1 2 as blocks {3, 4, 5} and {0, 1, 2}, neuron 4 marked.
    const analysis::Graph g = two_triangles();
    analysis::HeatmapLabels labels;
    labels.title = "m/best.safetensors, layer2: 6 neurons → 10 <&>";
    labels.subtitle = "structural graph C = A Aᵀ";
    labels.scale_label = "C, 0 to its 99th percentile";
    labels.block_labels = {"A0 (3): 7 Sneaker", "A1 (3): 1 Trouser"};
    labels.marked = {4};
    const std::string svg = analysis::heatmap_svg(g, std::vector<int>{3, 4, 5, 0, 1, 2}, std::vector<size_t>{3, 3},
                                                  -0.5, 1.5, analysis::viridis, labels);
    CHECK_THAT(svg, Catch::StartsWith("<svg xmlns='http://www.w3.org/2000/svg'") && Catch::EndsWith("</svg>\n"));
    CHECK_THAT(svg, Catch::Contains(">m/best.safetensors, layer2: 6 neurons → 10 &lt;&amp;&gt;</text>"));
    CHECK_THAT(svg, Catch::Contains(">structural graph C = A Aᵀ</text>"));
    CHECK_THAT(svg, Catch::Contains(">A0 (3): 7 Sneaker</text>") && Catch::Contains(">A1 (3): 1 Trouser</text>"));
    // The scale bar: its gradient, lo and hi at its ends, and what it measures.
    CHECK_THAT(svg, Catch::Contains("fill='url(#scale)'") && Catch::Contains(">-0.5</text>") &&
                        Catch::Contains(">1.5</text>") && Catch::Contains(">C, 0 to its 99th percentile</text>"));
    // 6 neurons at 32 pixels each from (24, 56): one boundary, after the third neuron (96 pixels in).
    CHECK_THAT(svg, Catch::Contains("<path d='M120,56V248M24,152H216' stroke='white'"));
    CHECK(svg.find("V248M") == svg.rfind("V248M"));  // and no other
    // Neuron 4 is at position 1: a red mark on the left at y = 56 + 32; the legend counts it.
    CHECK_THAT(svg, Catch::Contains("<rect x='14' y='88' width='7' height='32' fill='red'/>"));
    CHECK_THAT(svg, Catch::Contains("dead/silent neuron (1)"));
    // A subtitle longer than the picture widens the document rather than run past its edge.
    const auto width = [&](const std::string& subtitle) {
        labels.subtitle = subtitle;
        const std::string s = analysis::heatmap_svg(g, std::vector<int>{0, 1, 2, 3, 4, 5}, {}, 0, 1, analysis::viridis, labels);
        return std::stod(s.substr(s.find("width='") + 7));
    };
    CHECK(width("short") == 480);  // the narrowest
    CHECK(width(std::string(150, 's')) >= 24 + 150 * 6.5);

    // The embedded PNG is the heatmap itself: 192 x 192, (row 0, column 1) = C(3, 4) = 1 of lo..hi
    // = -0.5..1.5 is viridis(0.75); (row 0, column 3) = C(3, 0) = 0 is viridis(0.25).
    const Decoded png = embedded_png(svg);
    REQUIRE(png.width == 192);
    REQUIRE(png.height == 192);
    const auto at = [&](int x, int y) {
        const size_t p = (static_cast<size_t>(y) * 192 + static_cast<size_t>(x)) * 3;
        return std::array<int, 3>{png.rgb[p], png.rgb[p + 1], png.rgb[p + 2]};
    };
    const analysis::Rgb hi = analysis::viridis(0.75), lo = analysis::viridis(0.25);
    CHECK(at(40, 5) == std::array<int, 3>{hi.r, hi.g, hi.b});
    CHECK(at(100, 5) == std::array<int, 3>{lo.r, lo.g, lo.b});

    CHECK_THROWS_WITH(analysis::heatmap_svg(g, std::vector<int>{0, 1}, std::vector<size_t>{3}, 0, 1, analysis::viridis, {}),
                      Catch::Contains("blocks of 3 neurons for 2"));
    CHECK_THROWS_WITH(analysis::heatmap_svg(g, std::vector<int>{}, {}, 0, 1, analysis::viridis, {}),
                      Catch::Contains("no neurons"));
}

TEST_CASE("images encode to PNG bytes that decode to the same pixels", "[assemblies]") {
    const analysis::Image img{2, 1, 3, {255, 0, 0, 10, 20, 30}};
    const std::string png = analysis::encode_png(img);
    int w = 0, h = 0, ch = 0;
    stbi_uc* px = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(png.data()), static_cast<int>(png.size()),
                                        &w, &h, &ch, 3);
    REQUIRE(px);
    CHECK(w == 2);
    CHECK(h == 1);
    CHECK(std::vector<std::uint8_t>(px, px + 6) == img.pixels);
    stbi_image_free(px);
    CHECK_THROWS_WITH(analysis::encode_png({2, 2, 3, {1, 2, 3}}), Catch::Contains("3 bytes for a 2x2x3 image"));
}

TEST_CASE("hebb assemblies writes its JSON, report and pictures, with a baseline", "[assemblies]") {
    const std::string model = spirals_model("l1", "2-32-32-2", "--epochs 4 --reg l1 --alpha 0.0005");
    const std::string base = spirals_model("plain", "2-32-32-2", "--epochs 4 --seed 1");
    const fs::path out = cli::scratch("run");
    const cli::Result r = cli::hebb("assemblies --model " + model + " --baseline " + base + " --data spirals --out " +
                              out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.output, Catch::Contains("layer1") && Catch::Contains("layer2") && Catch::Contains("baseline") &&
                             Catch::Contains("wrote"));
    // Off a terminal, a line per layer analysed: the model's two, then the baseline's.
    CHECK_THAT(r.output, Catch::Contains("[1/4] " + model + " layer1: ") && Catch::Contains("[2/4] " + model + " layer2: ") &&
                             Catch::Contains("[4/4] " + base + " layer2: "));
    for (const char* f : {"assemblies.json", "assemblies.md", "layer1_structural.svg", "layer1_functional.svg",
                          "layer2_structural.svg", "layer2_functional.svg", "baseline_layer1_structural.svg",
                          "baseline_layer2_functional.svg"})
        CHECK(fs::exists(out / f));
    CHECK_FALSE(fs::exists(out / "layer0_structural.svg"));     // the input is not covered by default
    CHECK_FALSE(fs::exists(out / "layer1_mean_images.png"));    // spirals are not 28x28 images
    CHECK_FALSE(fs::exists(out / "layer1_structural.png"));     // one picture per graph

    const Json j = Json::parse(cli::read_text(out / "assemblies.json"));
    REQUIRE(j["layers"].size() == 2);
    for (const Json& layer : j["layers"]) {
        for (const char* key : {"layer", "k", "structure", "eigengap", "modularity", "mean_purity", "mean_selectivity",
                                "small_weight_fraction", "assemblies", "neurons", "unassigned", "readout_agreement",
                                "readout_agreement_chance", "functional"})
            CHECK(layer.contains(key));
        CHECK(layer["neurons"].size() == 32);
        const int k = layer["k"];
        CHECK(k >= 1);
        CHECK(k <= 20);
        CHECK(layer["structure"] == (k == 1 ? "none" : "assemblies"));
        const Json& f = layer["functional"];
        for (const char* key : {"structure", "k", "eigengap", "modularity", "mean_purity", "chance_purity"})
            CHECK(f.contains(key));
        CHECK(f["k"].get<int>() >= 1);
        CHECK(f["mean_purity"].get<double>() <= 1.0);
        REQUIRE(layer["assemblies"].size() == static_cast<size_t>(k));
        size_t total = layer["unassigned"].size();
        for (const Json& a : layer["assemblies"]) {
            for (const char* key : {"size", "dominant_class", "purity", "selectivity", "neurons"}) CHECK(a.contains(key));
            CHECK(a["neurons"].size() == a["size"].get<size_t>());
            total += a["size"].get<size_t>();
        }
        CHECK(total == 32);
        for (const Json& n : layer["neurons"])
            for (const char* key : {"preferred_class", "selectivity", "assembly"}) CHECK(n.contains(key));
        CHECK(layer["modularity"].get<double>() <= 1.0);
    }
    CHECK(j["layers"][0]["layer"] == "layer1");
    CHECK(j["baseline"]["layers"].size() == 2);
    // Only layer2 feeds the logits (Linear 2 is the last): only it has a readout agreement.
    CHECK(j["layers"][0]["readout_agreement"].is_null());
    CHECK(j["layers"][0]["readout_agreement_chance"].is_null());
    const double agreement = j["layers"][1]["readout_agreement"], chance = j["layers"][1]["readout_agreement_chance"];
    CHECK(agreement >= 0.0);
    CHECK(agreement <= 1.0);
    CHECK(chance > 0.0);  // a 2-class pool: each target matches some neuron's preferred class
    CHECK(j["layers"][1]["pictures"] == Json::array({"layer2_structural.svg", "layer2_functional.svg"}));

    const std::string md = cli::read_text(out / "assemblies.md");
    CHECK_THAT(md, Catch::Contains("## layer1") && Catch::Contains("## Model and baseline") &&
                       Catch::Contains("| layer2 | modularity Q |") && Catch::Contains("weights below 1e-3 max") &&
                       Catch::Contains("Readout agreement: ") && Catch::Contains("| layer2 | readout agreement (chance) |") &&
                       Catch::Contains("Functional (activation correlations only): k = ") &&
                       Catch::Contains("| layer1 | functional purity (chance) |") && Catch::Contains("`layer1_structural.svg`"));
    CHECK_THAT(md, !Catch::Contains("| layer1 | readout agreement"));

    // A heatmap: titled with the model and layer, a scale, and a square PNG of 25 pixels a neuron.
    const std::string svg = cli::read_text(out / "layer1_structural.svg");
    CHECK_THAT(svg, Catch::Contains("model_l1/last.safetensors, layer1: 32 neurons → 32 (structural)") &&
                        Catch::Contains("structural graph C = A Aᵀ") && Catch::Contains("fill='url(#scale)'") &&
                        Catch::Contains("dead/silent neuron ("));
    const Decoded png = embedded_png(svg);
    CHECK(png.width == 32 * 25);
    CHECK(png.height == 32 * 25);
    CHECK_THAT(cli::read_text(out / "layer2_functional.svg"), Catch::Contains("activation correlation r over the") &&
                                                                 Catch::Contains(">Pearson r</text>"));

    // --layers all adds the input (2 neurons: one assembly needs no eigengap), --order 2 and --k.
    const fs::path all = cli::scratch("all");
    const cli::Result r2 = cli::hebb("assemblies --model " + model + " --data spirals --layers all --order 2 --out " + all.string());
    INFO(r2.output);
    REQUIRE(r2.status == 0);
    CHECK(fs::exists(all / "layer0_functional.svg"));
    const Json j2 = Json::parse(cli::read_text(all / "assemblies.json"));
    CHECK(j2["layers"].size() == 3);
    CHECK(j2["order"] == 2);
    CHECK_FALSE(j2.contains("baseline"));
    const cli::Result r3 = cli::hebb("assemblies --model " + model + " --data spirals --layers 2 --k 4 --out " + all.string());
    REQUIRE(r3.status == 0);
    const Json j3 = Json::parse(cli::read_text(all / "assemblies.json"));
    REQUIRE(j3["layers"].size() == 1);
    CHECK(j3["layers"][0]["k"] == 4);
    CHECK(j3["layers"][0]["k_forced"] == true);
    CHECK(j3["layers"][0]["structure"] == "assemblies");
    // --k 1 forces "no assembly structure".
    const cli::Result r4 = cli::hebb("assemblies --model " + model + " --data spirals --layers 2 --k 1 --out " + all.string());
    INFO(r4.output);
    REQUIRE(r4.status == 0);
    CHECK_THAT(r4.output, Catch::Contains("k = 1: no assembly structure"));
    const Json j4 = Json::parse(cli::read_text(all / "assemblies.json"));
    CHECK(j4["layers"][0]["k"] == 1);
    CHECK(j4["layers"][0]["structure"] == "none");
    CHECK(j4["layers"][0]["assemblies"].size() == 1);
}

TEST_CASE("hebb assemblies on Fashion-MNIST draws each assembly's mean image", "[assemblies]") {
    INFO("Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (or scripts/setup)");
    REQUIRE(fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"));
    const fs::path run = cli::scratch("fashion_model"), out = cli::scratch("fashion");
    const cli::Result t = cli::hebb("train --data fashion-mnist --arch 784-24-10 --subset 2000 --epochs 1 --threads 1 --out " +
                              run.string());
    INFO(t.output);
    REQUIRE(t.status == 0);
    const cli::Result r = cli::hebb("assemblies --model " + (run / "last.safetensors").string() + " --out " + out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    int w = 0, h = 0, ch = 0;
    stbi_uc* px = stbi_load((out / "layer1_mean_images.png").c_str(), &w, &h, &ch, 3);
    REQUIRE(px);
    stbi_image_free(px);
    const Json j = Json::parse(cli::read_text(out / "assemblies.json"));
    const size_t k = j["layers"][0]["assemblies"].size();
    CHECK(w == 4 + static_cast<int>(std::min<size_t>(k, 8)) * (84 + 4));  // 28 x 3 pixels per image
    CHECK(j["class_names"][0] == "T-shirt/top");
    CHECK(j["layers"][0]["readout_agreement"].is_number());  // 24 neurons feeding the 10 logits
}

TEST_CASE("hebb assemblies refuses bad settings, naming the flag or file", "[assemblies]") {
    const std::string model = spirals_model("l1", "2-32-32-2", "--epochs 4 --reg l1 --alpha 0.0005");
    const std::string small = spirals_model("small", "2-8-2", "--epochs 1");
    const fs::path out = cli::scratch("bad");
    struct Case {
        std::string args, expected;
    };
    const std::string m = "assemblies --data spirals --model " + model + " --out " + out.string();
    const std::vector<Case> cases{
        {"assemblies --model /nonexistent.safetensors --out " + out.string(), "--model: File does not exist"},
        {m + " --order 3", "--order"},
        {m + " --gamma 0", "--gamma"},
        {m + " --k 0", "--k"},
        {m + " --k 40", "--k 40: layer1 has only 32 neurons"},
        {m + " --layers 5", "layers '5': Linear 5 is out of range; the model has 3 Linear layers"},
        {m + " --layers 1,x", "layers '1,x': 'x' is not a Linear index; use hidden, all or a comma list"},
        {m + " --baseline " + small, "is not the model's 2-32-32-2"},
        {"assemblies --data nothing --model " + model + " --out " + out.string(), "dataset 'nothing' is unknown"},
        {"assemblies --data spirals --model " + model + " --out /proc/hebb", "--out /proc/hebb"},
        {"assemblies --data spirals --model " + std::string(HEBB_FIXTURES) + "/../meson.build --out " + out.string(),
         "header length"},
    };
    for (const Case& c : cases) {
        INFO(c.args);
        const cli::Result r = cli::hebb(c.args);
        CHECK(r.status != 0);
        CHECK_THAT(r.output, Catch::Contains(c.expected));
    }
    CHECK_FALSE(fs::exists(out / "assemblies.json"));
}
