#include "analysis/assemblies.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "layers/layers.h"

namespace hebb::analysis {

namespace {

using Index = Eigen::Index;

void check_square(const Graph& g, const char* who) {
    HEBB_CHECK(g.rows() == g.cols(), who, ": the graph must be square, got (", g.rows(), "x", g.cols(), ")");
}

void check_labels(const Graph& g, std::span<const int> labels, const char* who) {
    check_square(g, who);
    HEBB_CHECK(static_cast<Index>(labels.size()) == g.rows(), who, ": ", labels.size(), " labels for ",
               g.rows(), " neurons");
}

// A uniform double in [0, 1) from 53 random bits.
double uniform53(Generator& gen) { return static_cast<double>(gen.next() >> 11) * 0x1.0p-53; }

// The most common non-negative value among `preferred` (ties: the lowest) and how often it occurs;
// (-1, 0) when there is none.
std::pair<int, long> dominant(std::span<const int> preferred) {
    std::vector<long> votes;
    for (int c : preferred)
        if (c >= 0) {
            if (static_cast<size_t>(c) >= votes.size()) votes.resize(static_cast<size_t>(c) + 1, 0);
            ++votes[static_cast<size_t>(c)];
        }
    if (votes.empty()) return {-1, 0};
    const auto best = std::max_element(votes.begin(), votes.end());  // the first of equal maxima
    return {static_cast<int>(best - votes.begin()), *best};
}

}  // namespace

Graph structural_graph(const Matrix& weight, int order, double gamma) {
    HEBB_CHECK(order == 1 || order == 2, "structural_graph: order must be 1 or 2, not ", order);
    HEBB_CHECK(weight.size() > 0, "structural_graph: the weight is empty ", shape_str(weight));
    // A (n x m) = |tanh(gamma W)| with W = weight^T: A[i,k] is how strongly neuron i reaches target k.
    const Eigen::MatrixXd a = (gamma * weight.transpose().cast<double>()).array().tanh().abs().matrix();
    Graph c = a * a.transpose();          // (n x n): weighted count of shared targets (BEAN-1)
    if (order == 2) c = c.cwiseProduct(c);  // Hadamard square: 4-cycles through two shared targets (BEAN-2)
    return c;
}

Graph functional_graph(const Matrix& activations) {
    HEBB_CHECK(activations.rows() >= 2, "functional_graph: needs at least 2 samples, got ", shape_str(activations));
    // x (B x n) centred per column; a constant column becomes exactly 0 (the sum of B equal floats
    // is exact in double, and so is dividing it by B).
    Eigen::MatrixXd x = activations.cast<double>();
    x.rowwise() -= x.colwise().mean();
    const Graph cov = x.transpose() * x;  // (n x n), B times the covariance
    const Eigen::VectorXd s = cov.diagonal().cwiseSqrt();
    const Index n = cov.rows();
    Graph r(n, n);
    for (Index j = 0; j < n; ++j)
        for (Index i = 0; i < n; ++i)
            r(i, j) = s(i) > 0 && s(j) > 0 ? std::clamp(cov(i, j) / (s(i) * s(j)), -1.0, 1.0) : 0.0;
    return r;
}

Graph zero_diagonal(Graph graph) {
    graph.diagonal().setZero();
    return graph;
}

Graph positive_affinity(const Graph& correlation) { return zero_diagonal(correlation.cwiseMax(0.0)); }

double modularity(const Graph& graph, std::span<const int> labels) {
    check_labels(graph, labels, "modularity");
    // Q = (1/2w) sum_ij (C_ij - k_i k_j / 2w) [c_i == c_j] = sum_c ( in_c / 2w - (K_c / 2w)^2 ),
    // in_c = sum of C_ij over i, j both in group c, K_c = sum of k_i over i in c.
    const Eigen::VectorXd k = graph.rowwise().sum();
    const double two_w = k.sum();
    if (two_w <= 0) return 0.0;
    const int groups = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
    std::vector<double> inside(static_cast<size_t>(std::max(groups, 0)), 0.0), total(inside);
    const Index n = graph.rows();
    for (Index j = 0; j < n; ++j) {
        const int cj = labels[static_cast<size_t>(j)];
        if (cj < 0) continue;
        total[static_cast<size_t>(cj)] += k(j);
        for (Index i = 0; i < n; ++i)
            if (labels[static_cast<size_t>(i)] == cj) inside[static_cast<size_t>(cj)] += graph(i, j);
    }
    double q = 0.0;
    for (size_t c = 0; c < inside.size(); ++c) q += inside[c] / two_w - (total[c] / two_w) * (total[c] / two_w);
    // One group of every neuron has Q = 1 - 1 = 0 exactly; summed in two orders it leaves a residue
    // of about 1e-16, which would print as -0.000.
    return std::abs(q) < 1e-12 ? 0.0 : q;
}

KMeans kmeans(const Eigen::MatrixXd& points, int k, Generator& gen, int restarts, int max_iter) {
    const Index n = points.rows();
    HEBB_CHECK(k >= 1 && k <= n, "kmeans: k = ", k, " for ", n, " points");
    HEBB_CHECK(restarts >= 1 && max_iter >= 1, "kmeans: restarts and max_iter must be positive");
    const auto sq = [&](Index i, const Eigen::MatrixXd& centres, Index c) {
        return (points.row(i) - centres.row(c)).squaredNorm();
    };
    KMeans best;
    best.inertia = std::numeric_limits<double>::infinity();
    for (int run = 0; run < restarts; ++run) {
        // k-means++: the first centre uniformly, each next one with probability proportional to
        // the squared distance to the nearest centre chosen so far.
        Eigen::MatrixXd centres(k, points.cols());
        centres.row(0) = points.row(static_cast<Index>(gen.below(static_cast<std::uint64_t>(n))));
        Eigen::VectorXd d2(n);
        for (Index i = 0; i < n; ++i) d2(i) = sq(i, centres, 0);
        for (Index c = 1; c < k; ++c) {
            const double sum = d2.sum();
            Index pick = 0;
            if (sum > 0) {
                double u = uniform53(gen) * sum;
                while (pick < n - 1 && (u -= d2(pick)) >= 0) ++pick;
                while (d2(pick) == 0 && pick > 0) --pick;  // never an already chosen point
            } else {
                pick = static_cast<Index>(gen.below(static_cast<std::uint64_t>(n)));
            }
            centres.row(c) = points.row(pick);
            for (Index i = 0; i < n; ++i) d2(i) = std::min(d2(i), sq(i, centres, c));
        }
        // Lloyd: assign each point to its nearest centre (ties: the lower), move each centre to
        // the mean of its points, until no assignment changes.
        std::vector<int> labels(static_cast<size_t>(n), -1);
        Eigen::VectorXd dist(n);
        for (int iter = 0; iter < max_iter; ++iter) {
            bool changed = false;
            for (Index i = 0; i < n; ++i) {
                int nearest = 0;
                double bestd = sq(i, centres, 0);
                for (Index c = 1; c < k; ++c)
                    if (const double d = sq(i, centres, c); d < bestd) bestd = d, nearest = static_cast<int>(c);
                dist(i) = bestd;
                if (labels[static_cast<size_t>(i)] != nearest) labels[static_cast<size_t>(i)] = nearest, changed = true;
            }
            if (!changed) break;
            std::vector<Index> count(static_cast<size_t>(k), 0);
            for (int l : labels) ++count[static_cast<size_t>(l)];
            // An empty cluster takes the point farthest from its centre (from a cluster of two or more).
            for (Index c = 0; c < k; ++c) {
                if (count[static_cast<size_t>(c)] > 0) continue;
                Index far = -1;
                for (Index i = 0; i < n; ++i)
                    if (count[static_cast<size_t>(labels[static_cast<size_t>(i)])] > 1 && (far < 0 || dist(i) > dist(far)))
                        far = i;
                --count[static_cast<size_t>(labels[static_cast<size_t>(far)])];
                labels[static_cast<size_t>(far)] = static_cast<int>(c);
                count[static_cast<size_t>(c)] = 1;
                dist(far) = 0;
            }
            centres.setZero();
            for (Index i = 0; i < n; ++i) centres.row(labels[static_cast<size_t>(i)]) += points.row(i);
            for (Index c = 0; c < k; ++c) centres.row(c) /= static_cast<double>(count[static_cast<size_t>(c)]);
        }
        double inertia = 0.0;
        for (Index i = 0; i < n; ++i) inertia += sq(i, centres, labels[static_cast<size_t>(i)]);
        if (inertia < best.inertia) best = {std::move(labels), inertia};
    }
    return best;
}

// Why spectral clustering with the eigengap: it is deterministic (an eigendecomposition, then
// k-means seeded from a fixed Generator), needs nothing beyond Eigen (Louvain would be a second
// algorithm to write, and its result depends on the visiting order), and it chooses k from the data:
// a graph made of k dense blocks joined by weak edges has k eigenvalues of the normalized Laplacian
// near 0 and then a jump, so the largest gap lambda_{k+1} - lambda_k names k. k = 1 competes too:
// without it every graph would be reported as at least two assemblies.
Partition spectral_clustering(const Graph& graph, const SpectralOptions& options) {
    check_square(graph, "spectral_clustering");
    HEBB_CHECK(options.max_k >= 1, "spectral_clustering: max_k must be at least 1, not ", options.max_k);
    const Index n = graph.rows();
    Partition p;
    p.labels.assign(static_cast<size_t>(n), -1);
    const Eigen::VectorXd degree = graph.rowwise().sum();
    const double max_degree = n > 0 ? degree.maxCoeff() : 0.0;
    std::vector<Index> connected;
    for (Index i = 0; i < n; ++i) {
        // Degree 0 up to rounding: every outgoing weight of neuron i is zero.
        if (max_degree > 0 && degree(i) > 1e-12 * max_degree) connected.push_back(i);
        else p.unassigned.push_back(static_cast<int>(i));
    }
    const Index nc = static_cast<Index>(connected.size());
    HEBB_CHECK(options.k >= 0 && options.k <= nc, "spectral_clustering: k = ", options.k, " but the graph has ",
               nc, " connected neurons (of ", n, ")");
    if (nc == 0) return p;

    // L = I - D^-1/2 C D^-1/2 on the connected neurons (nc x nc).
    Eigen::VectorXd inv_sqrt(nc);
    for (Index a = 0; a < nc; ++a) inv_sqrt(a) = 1.0 / std::sqrt(degree(connected[static_cast<size_t>(a)]));
    Graph lap(nc, nc);
    for (Index b = 0; b < nc; ++b)
        for (Index a = 0; a < nc; ++a)
            lap(a, b) = (a == b ? 1.0 : 0.0) - inv_sqrt(a) * graph(connected[static_cast<size_t>(a)],
                                                                  connected[static_cast<size_t>(b)]) * inv_sqrt(b);
    const Eigen::SelfAdjointEigenSolver<Graph> eig(lap);  // eigenvalues ascending
    HEBB_CHECK(eig.info() == Eigen::Success, "spectral_clustering: the eigensolver did not converge");
    const Eigen::VectorXd& lambda = eig.eigenvalues();
    for (Index i = 0; i < std::min<Index>(options.max_k + 1, nc); ++i) p.eigenvalues.push_back(lambda(i));

    // gap(k) = lambda[k] - lambda[k-1] (0-based): the jump after the k smallest.
    const auto gap = [&](Index k) { return k < nc ? lambda(k) - lambda(k - 1) : 0.0; };
    Index k = options.k;
    if (k == 0) {
        k = 1;
        for (Index c = 2; c <= std::min<Index>(options.max_k, nc - 1); ++c)
            if (gap(c) > gap(k)) k = c;
    }
    p.eigengap = gap(k);

    std::vector<int> labels(static_cast<size_t>(nc), 0);
    if (k > 1) {
        Eigen::MatrixXd u = eig.eigenvectors().leftCols(k);  // (nc x k)
        for (Index a = 0; a < nc; ++a)
            if (const double norm = u.row(a).norm(); norm > 0) u.row(a) /= norm;
        Generator gen(options.seed);
        labels = kmeans(u, static_cast<int>(k), gen, options.restarts).labels;
    }
    // Number the assemblies by decreasing size, then by their lowest neuron.
    std::vector<Index> size(static_cast<size_t>(k), 0), first(static_cast<size_t>(k), nc);
    for (Index a = 0; a < nc; ++a) {
        const auto l = static_cast<size_t>(labels[static_cast<size_t>(a)]);
        ++size[l];
        first[l] = std::min(first[l], a);
    }
    std::vector<int> rank(static_cast<size_t>(k));
    std::iota(rank.begin(), rank.end(), 0);
    std::sort(rank.begin(), rank.end(), [&](int x, int y) {
        const auto ux = static_cast<size_t>(x), uy = static_cast<size_t>(y);
        return size[ux] != size[uy] ? size[ux] > size[uy] : first[ux] < first[uy];
    });
    std::vector<int> new_label(static_cast<size_t>(k));
    for (size_t r = 0; r < rank.size(); ++r) new_label[static_cast<size_t>(rank[r])] = static_cast<int>(r);
    for (Index a = 0; a < nc; ++a)
        p.labels[static_cast<size_t>(connected[static_cast<size_t>(a)])] =
            new_label[static_cast<size_t>(labels[static_cast<size_t>(a)])];
    p.k = static_cast<int>(std::count_if(size.begin(), size.end(), [](Index s) { return s > 0; }));
    return p;
}

Selectivity class_selectivity(const Matrix& activations, std::span<const int> labels, int classes) {
    const Index batch = activations.rows(), n = activations.cols();
    HEBB_CHECK(static_cast<Index>(labels.size()) == batch, "class_selectivity: ", labels.size(),
               " labels for activations ", shape_str(activations));
    HEBB_CHECK(classes >= 1, "class_selectivity: classes must be positive, not ", classes);
    Selectivity s;
    s.class_means = Eigen::MatrixXd::Zero(classes, n);
    std::vector<long> count(static_cast<size_t>(classes), 0);
    for (Index b = 0; b < batch; ++b) {
        const int y = labels[static_cast<size_t>(b)];
        HEBB_CHECK(y >= 0 && y < classes, "class_selectivity: label ", y, " of sample ", b, " is not in [0, ", classes, ")");
        s.class_means.row(y) += activations.row(b).cast<double>();
        ++count[static_cast<size_t>(y)];
    }
    std::vector<int> present;
    for (int c = 0; c < classes; ++c)
        if (count[static_cast<size_t>(c)] > 0) {
            s.class_means.row(c) /= static_cast<double>(count[static_cast<size_t>(c)]);
            present.push_back(c);
        }
    s.preferred.assign(static_cast<size_t>(n), -1);
    s.index.assign(static_cast<size_t>(n), 0.0);
    for (Index i = 0; i < n; ++i) {
        int best = -1;
        double lowest = std::numeric_limits<double>::infinity(), sum = 0.0;
        for (int c : present) {
            const double m = s.class_means(c, i);
            if (best < 0 || m > s.class_means(best, i)) best = c;  // the first of equal maxima
            lowest = std::min(lowest, m);
            sum += m;
        }
        if (best < 0 || s.class_means(best, i) == lowest) continue;  // silent or no class: no preference
        const double mu_max = s.class_means(best, i);
        const double mu_rest = (sum - mu_max) / static_cast<double>(present.size() - 1);
        s.preferred[static_cast<size_t>(i)] = best;
        s.index[static_cast<size_t>(i)] = mu_max + mu_rest != 0 ? (mu_max - mu_rest) / (mu_max + mu_rest) : 0.0;
    }
    return s;
}

std::vector<Assembly> describe_assemblies(const Partition& partition, const Selectivity& selectivity) {
    HEBB_CHECK(partition.labels.size() == selectivity.preferred.size(), "describe_assemblies: ",
               partition.labels.size(), " neurons in the partition, ", selectivity.preferred.size(),
               " in the selectivity");
    std::vector<Assembly> out(static_cast<size_t>(partition.k));
    for (size_t i = 0; i < partition.labels.size(); ++i)
        if (const int l = partition.labels[i]; l >= 0) out.at(static_cast<size_t>(l)).neurons.push_back(static_cast<int>(i));
    for (Assembly& a : out) {
        std::vector<int> preferred;
        double sel = 0.0;
        for (int i : a.neurons) {
            preferred.push_back(selectivity.preferred[static_cast<size_t>(i)]);
            sel += selectivity.index[static_cast<size_t>(i)];
        }
        const auto [cls, votes] = dominant(preferred);
        a.dominant_class = cls;
        a.purity = a.neurons.empty() ? 0.0 : static_cast<double>(votes) / static_cast<double>(a.neurons.size());
        a.selectivity = a.neurons.empty() ? 0.0 : sel / static_cast<double>(a.neurons.size());
    }
    return out;
}

double mean_purity(const std::vector<Assembly>& assemblies) {
    double pure = 0.0, total = 0.0;
    for (const Assembly& a : assemblies) {
        pure += a.purity * static_cast<double>(a.neurons.size());
        total += static_cast<double>(a.neurons.size());
    }
    return total > 0 ? pure / total : 0.0;
}

double chance_purity(const std::vector<Assembly>& assemblies, std::span<const int> preferred, int permutations,
                     std::uint64_t seed) {
    std::vector<int> pool;  // the preferred classes of the assigned neurons, assembly after assembly
    for (const Assembly& a : assemblies)
        for (int i : a.neurons) pool.push_back(preferred[static_cast<size_t>(i)]);
    if (pool.empty() || permutations < 1) return 0.0;
    Generator gen(seed);
    double sum = 0.0;
    for (int p = 0; p < permutations; ++p) {
        for (size_t i = pool.size() - 1; i > 0; --i) std::swap(pool[i], pool[gen.below(i + 1)]);  // Fisher-Yates
        long pure = 0;
        size_t at = 0;
        for (const Assembly& a : assemblies) {
            pure += dominant(std::span<const int>(pool).subspan(at, a.neurons.size())).second;
            at += a.neurons.size();
        }
        sum += static_cast<double>(pure) / static_cast<double>(pool.size());
    }
    return sum / permutations;
}

Clustering cluster(const Graph& graph, const Selectivity& selectivity, const SpectralOptions& options) {
    Clustering c;
    c.partition = spectral_clustering(graph, options);
    c.modularity = modularity(graph, c.partition.labels);
    c.assemblies = describe_assemblies(c.partition, selectivity);
    c.mean_purity = mean_purity(c.assemblies);
    c.chance_purity = chance_purity(c.assemblies, selectivity.preferred, 200, options.seed);
    return c;
}

Readout readout_agreement(const Matrix& weight, std::span<const int> preferred) {
    HEBB_CHECK(static_cast<Index>(preferred.size()) == weight.cols(), "readout_agreement: ", preferred.size(),
               " neurons for a weight ", shape_str(weight), " (classes x neurons)");
    std::vector<int> pool, target;  // each counted neuron's preferred class and strongest target (-1: none)
    for (Index i = 0; i < weight.cols(); ++i) {
        const int c = preferred[static_cast<size_t>(i)];
        if (c < 0) continue;
        HEBB_CHECK(c < weight.rows(), "readout_agreement: neuron ", i, " prefers class ", c, " but the weight ",
                   shape_str(weight), " has ", weight.rows(), " outputs");
        Index best = 0;
        const float strongest = weight.col(i).cwiseAbs().maxCoeff(&best);
        pool.push_back(c);
        target.push_back(strongest > 0 ? static_cast<int>(best) : -1);
    }
    Readout r;
    r.neurons = static_cast<long>(pool.size());
    if (pool.empty()) return r;
    const double n = static_cast<double>(pool.size());
    for (size_t i = 0; i < pool.size(); ++i) {
        r.agreement += target[i] == pool[i];
        r.chance += static_cast<double>(std::count(pool.begin(), pool.end(), target[i]));
    }
    r.agreement /= n;
    r.chance /= n * n;
    return r;
}

Cohesion cohesion(const Graph& functional, std::span<const int> labels) {
    check_labels(functional, labels, "cohesion");
    double within = 0.0, between = 0.0;
    long n_within = 0, n_between = 0;
    for (Index j = 0; j < functional.cols(); ++j)
        for (Index i = 0; i < functional.rows(); ++i) {
            const int a = labels[static_cast<size_t>(i)], b = labels[static_cast<size_t>(j)];
            if (i == j || a < 0 || b < 0) continue;
            if (a == b) within += functional(i, j), ++n_within;
            else between += functional(i, j), ++n_between;
        }
    return {n_within ? within / static_cast<double>(n_within) : 0.0,
            n_between ? between / static_cast<double>(n_between) : 0.0};
}

std::vector<Index> top_samples(const Matrix& activations, std::span<const int> neurons, Index count) {
    HEBB_CHECK(!neurons.empty(), "top_samples: no neurons");
    Eigen::VectorXd score = Eigen::VectorXd::Zero(activations.rows());
    for (int i : neurons) {
        HEBB_CHECK(i >= 0 && i < activations.cols(), "top_samples: neuron ", i, " is not a column of ",
                   shape_str(activations));
        score += activations.col(i).cast<double>();
    }
    std::vector<Index> rows(static_cast<size_t>(activations.rows()));
    std::iota(rows.begin(), rows.end(), Index{0});
    const auto take = static_cast<std::ptrdiff_t>(std::clamp<Index>(count, 0, activations.rows()));
    std::partial_sort(rows.begin(), rows.begin() + take, rows.end(), [&](Index a, Index b) {
        return score(a) != score(b) ? score(a) > score(b) : a < b;
    });
    rows.resize(static_cast<size_t>(take));
    return rows;
}

Eigen::RowVectorXf preferred_mean_input(const Matrix& activations, const Matrix& inputs, std::span<const int> neurons,
                                        Index count) {
    HEBB_CHECK(activations.rows() == inputs.rows(), "preferred_mean_input: activations ", shape_str(activations),
               " and inputs ", shape_str(inputs), " differ in samples");
    const std::vector<Index> rows = top_samples(activations, neurons, count);
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(inputs.cols());
    for (Index r : rows) sum += inputs.row(r).cast<double>();
    if (!rows.empty()) sum /= static_cast<double>(rows.size());
    return sum.cast<float>();
}

double off_diagonal_quantile(const Graph& graph, double q) {
    check_square(graph, "off_diagonal_quantile");
    HEBB_CHECK(q >= 0.0 && q <= 1.0, "off_diagonal_quantile: q = ", q, " is not in [0, 1]");
    std::vector<double> v;
    for (Index j = 0; j < graph.cols(); ++j)
        for (Index i = 0; i < graph.rows(); ++i)
            if (i != j) v.push_back(graph(i, j));
    if (v.empty()) return 0.0;
    const auto at = static_cast<std::ptrdiff_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + at, v.end());
    return v[static_cast<size_t>(at)];
}

double small_weight_fraction(const Matrix& weight, double relative) {
    if (weight.size() == 0) return 0.0;
    const double largest = weight.cwiseAbs().maxCoeff();
    if (largest == 0) return 1.0;
    const auto threshold = static_cast<float>(relative * largest);
    return (weight.array().abs() < threshold).cast<double>().mean();
}

std::vector<int> LayerAnalysis::order() const {
    std::vector<int> out;
    const auto key = [&](int i) {  // preferred class, silent neurons last, then index
        const int c = i < static_cast<int>(selectivity.preferred.size()) ? selectivity.preferred[static_cast<size_t>(i)] : -1;
        return std::pair{c < 0 ? std::numeric_limits<int>::max() : c, i};
    };
    for (const Assembly& a : assemblies) {
        std::vector<int> neurons = a.neurons;
        std::sort(neurons.begin(), neurons.end(), [&](int x, int y) { return key(x) < key(y); });
        out.insert(out.end(), neurons.begin(), neurons.end());
    }
    out.insert(out.end(), partition.unassigned.begin(), partition.unassigned.end());
    return out;
}

std::vector<int> LayerAnalysis::dead() const {
    std::vector<int> out;
    for (size_t i = 0; i < partition.labels.size(); ++i)
        if (partition.labels[i] < 0 || (i < selectivity.preferred.size() && selectivity.preferred[i] < 0))
            out.push_back(static_cast<int>(i));
    return out;
}

std::vector<size_t> LayerAnalysis::block_sizes() const {
    std::vector<size_t> out;
    for (const Assembly& a : assemblies) out.push_back(a.neurons.size());
    if (!partition.unassigned.empty()) out.push_back(partition.unassigned.size());
    return out;
}

LayerAnalysis analyze_layer(const Matrix& weight, const Matrix& activations, std::span<const int> labels, int classes,
                            const LayerOptions& options) {
    HEBB_CHECK(activations.cols() == weight.cols(), "analyze_layer: activations ", shape_str(activations),
               " do not fit a weight ", shape_str(weight), " (out x in)");
    LayerAnalysis r;
    r.structural = zero_diagonal(structural_graph(weight, options.order, options.gamma));
    r.functional = functional_graph(activations);
    r.selectivity = class_selectivity(activations, labels, classes);
    Clustering s = cluster(r.structural, r.selectivity, options.spectral);
    r.partition = std::move(s.partition);
    r.modularity = s.modularity;
    r.assemblies = std::move(s.assemblies);
    r.mean_purity = s.mean_purity;
    r.chance_purity = s.chance_purity;
    SpectralOptions by_gap = options.spectral;
    by_gap.k = 0;
    r.functional_assemblies = cluster(positive_affinity(r.functional), r.selectivity, by_gap);
    if (options.feeds_output) r.readout = readout_agreement(weight, r.selectivity.preferred);
    const auto& idx = r.selectivity.index;
    r.mean_selectivity = idx.empty() ? 0.0 : std::accumulate(idx.begin(), idx.end(), 0.0) / static_cast<double>(idx.size());
    r.cohesion = cohesion(r.functional, r.partition.labels);
    r.small_weights = small_weight_fraction(weight);
    return r;
}

std::vector<Eigen::RowVectorXf> assembly_mean_inputs(const LayerAnalysis& layer, const Matrix& activations,
                                                     const Matrix& inputs, Index count) {
    std::vector<Eigen::RowVectorXf> out;
    for (const Assembly& a : layer.assemblies) out.push_back(preferred_mean_input(activations, inputs, a.neurons, count));
    return out;
}

std::vector<Matrix> layer_inputs(nn::Module& model, const Matrix& features, std::span<const size_t> linears,
                                 Index batch) {
    HEBB_CHECK(batch >= 1, "layer_inputs: batch must be positive, not ", batch);
    const std::vector<const nn::Linear*> all = nn::linear_layers(model);
    std::vector<Matrix> out;
    for (size_t l : linears) {
        HEBB_CHECK(l < all.size(), "layer_inputs: Linear ", l, " of a model with ", all.size(), " Linear layers");
        out.emplace_back(features.rows(), all[l]->weight.cols());
    }
    const bool was_training = model.is_training();
    model.eval();
    NoGradGuard no_grad;
    for (Index start = 0; start < features.rows(); start += batch) {
        const Index count = std::min(batch, features.rows() - start);
        model(Tensor(Matrix(features.middleRows(start, count))));
        for (size_t i = 0; i < linears.size(); ++i) out[i].middleRows(start, count) = all[linears[i]]->input().value();
    }
    model.train(was_training);
    return out;
}

}  // namespace hebb::analysis
