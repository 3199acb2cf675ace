// Neuronal assemblies in a trained network: what BEAN did, measured (bean.md, "After training").
//
// For one dense layer with weight (out x in) (PyTorch's layout, so BEAN's W (n x m) is weight^T),
// the n input neurons are the neuron set and:
//   structural graph  A = |tanh(gamma W)| (n x m), C = A A^T (n x n), or C∘C for BEAN-2;
//   functional graph  the Pearson correlation of the layer's input activations (n x n);
//   assemblies        spectral clustering of C (diagonal zeroed), k from the largest eigengap,
//                     k = 1 included: one assembly means "no assembly structure";
//   modularity        Newman's Q of that partition on C;
//   selectivity       each neuron's preferred class and class-selectivity index;
//   beside purity     views that do not restate the weights: the functional graph's own assemblies,
//                     and for the layer that feeds the logits (whose C is built from the class
//                     weights) how often a neuron's strongest readout weight goes to its preferred class.
// Everything here is computation: no printing and no files (the hebb assemblies command does both).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "layers/module.h"

namespace hebb::analysis {

// Graphs are symmetric (n x n) matrices in double: eigenvalue gaps and modularity sums over n^2
// terms need more than float's 7 digits.
using Graph = Eigen::MatrixXd;

// C for a weight (out x in) -> (in x in). order 1: A A^T; order 2: (A A^T)∘(A A^T). The diagonal
// is kept (C_ii = sum_k A_ik^2 for order 1); zero_diagonal() it before clustering.
Graph structural_graph(const Matrix& weight, int order = 1, double gamma = 1.0);

// Pearson correlation of the columns of activations (B x n) -> (n x n). A column with zero
// variance (a neuron that never changes, e.g. a dead ReLU) correlates 0 with every column,
// itself included; every other diagonal entry is 1.
Graph functional_graph(const Matrix& activations);

Graph zero_diagonal(Graph graph);

// The functional graph as an affinity to cluster: max(r, 0) with the diagonal zeroed. Spectral
// clustering needs non-negative weights, and anti-correlated neurons do not belong together.
Graph positive_affinity(const Graph& correlation);

// Newman modularity of a partition of a weighted graph (diagonal zeroed by the caller):
//   Q = (1/2w) sum_ij (C_ij - k_i k_j / 2w) [c_i == c_j],  k_i = sum_j C_ij,  2w = sum_ij C_ij.
// labels[i] < 0 (unassigned) is in no group; an isolated neuron adds nothing to Q either way.
// 0 for a graph without edges.
double modularity(const Graph& graph, std::span<const int> labels);

// Lloyd's k-means on the rows of points (N x d), seeded by k-means++ from gen, `restarts` times;
// the run with the lowest inertia (sum of squared distances to the centres) wins.
struct KMeans {
    std::vector<int> labels;  // in [0, k)
    double inertia = 0.0;
};
KMeans kmeans(const Eigen::MatrixXd& points, int k, Generator& gen, int restarts = 10, int max_iter = 300);

struct SpectralOptions {
    int k = 0;          // 0: chosen by the largest eigengap; else forced (1 <= k <= connected neurons)
    int max_k = 20;     // the eigengap looks at k = 1 .. min(max_k, n - 1), n the connected neurons
    int restarts = 10;  // of k-means
    std::uint64_t seed = 0;
};

// A partition of the neurons into assemblies. Assemblies are numbered by decreasing size (ties:
// the one holding the lower neuron index first).
struct Partition {
    std::vector<int> labels;           // each neuron's assembly in [0, k), or -1: unassigned
    int k = 0;                         // number of assemblies
    double eigengap = 0.0;             // lambda_{k+1} - lambda_k (1-based, ascending); 0 when undefined
    std::vector<double> eigenvalues;   // the smallest min(max_k + 1, n) of the normalized Laplacian
    std::vector<int> unassigned;       // the isolated neurons
};

// Spectral clustering (Ng, Jordan and Weiss) of a graph whose diagonal is zero:
// L = I - D^-1/2 C D^-1/2, its k smallest eigenvectors as columns, each row scaled to unit length,
// k-means on the rows; k = 1 (one assembly) when lambda_2 - lambda_1 is the largest gap, as for a
// graph without blocks (a dense graph has lambda_1 = 0 and the rest near 1). Isolated neurons
// (degree 0: every outgoing weight exactly zero, as after pruning) have no place in D^-1/2 and
// belong to no assembly: they are left out of the eigenproblem and reported as unassigned (label -1). Lumping them into an "assembly" of their
// own would invent a group of unrelated, disconnected neurons and change k.
// A single connected neuron forms one assembly (eigengap 0).
Partition spectral_clustering(const Graph& graph, const SpectralOptions& options = {});

// Per-neuron class preference over labelled activations (B x n), labels in [0, classes):
//   mean[c][i]   = E[h_i | y = c]  (classes with no sample are left out of everything below)
//   preferred[i] = argmax_c mean[c][i]; -1 when every class mean is the same (a silent neuron)
//   index[i]     = (mu_max - mu_rest) / (mu_max + mu_rest), mu_rest the mean of the other classes'
//                  means; 0 when the denominator is 0. In [0, 1] for non-negative activations.
struct Selectivity {
    Eigen::MatrixXd class_means;  // (classes x n)
    std::vector<int> preferred;
    std::vector<double> index;
};
Selectivity class_selectivity(const Matrix& activations, std::span<const int> labels, int classes);

struct Assembly {
    std::vector<int> neurons;  // ascending
    int dominant_class = -1;   // most common preferred class (ties: the lower class); -1 if all silent
    double purity = 0.0;       // fraction of its neurons preferring the dominant class
    double selectivity = 0.0;  // mean selectivity index of its neurons
};
std::vector<Assembly> describe_assemblies(const Partition& partition, const Selectivity& selectivity);

// Size-weighted mean purity: the fraction of assigned neurons that prefer their assembly's
// dominant class (a mean over assemblies would let singletons count as perfectly pure).
double mean_purity(const std::vector<Assembly>& assemblies);

// The mean purity that assemblies of the same sizes would have by chance: the neurons' preferred
// classes shuffled among the assigned neurons, averaged over `permutations` shuffles.
double chance_purity(const std::vector<Assembly>& assemblies, std::span<const int> preferred,
                     int permutations = 200, std::uint64_t seed = 0);

// The assemblies of one graph and how class-pure they are.
struct Clustering {
    Partition partition;
    double modularity = 0.0;  // Newman's Q of the partition on the graph
    std::vector<Assembly> assemblies;
    double mean_purity = 0.0, chance_purity = 0.0;  // 200 shuffles, seeded from options.seed
};
Clustering cluster(const Graph& graph, const Selectivity& selectivity, const SpectralOptions& options = {});

// For the neurons that feed the output layer, weight (classes x n) (PyTorch's out x in): a neuron
// agrees when its strongest outgoing weight by magnitude, argmax_c |weight[c, i]|, goes to its
// preferred class. Magnitude is what the structural graph sees (A = |tanh(gamma W)|), so this says how
// much of that graph's class structure is the readout's: under BEAN-2 the strong weights are
// excitatory, under BEAN-1 they are mostly inhibitory (a neuron silencing one class), and either way
// they define the structural assemblies of this layer. Counted over the neurons with a preferred
// class (silent ones are left out); one whose outgoing weights are all zero (as after pruning)
// favours no class and never agrees. chance is the expected agreement with the preferred classes
// shuffled among those neurons: sum_i #{j : preferred_j = target_i} / N^2 (exact, no sampling).
struct Readout {
    double agreement = 0.0, chance = 0.0;
    long neurons = 0;  // N, the neurons with a preferred class
};
Readout readout_agreement(const Matrix& weight, std::span<const int> preferred);

// Mean functional correlation over pairs i != j in the same assembly (within) and in different
// assemblies (between); unassigned neurons are left out. 0 when there is no such pair.
struct Cohesion {
    double within = 0.0, between = 0.0;
};
Cohesion cohesion(const Graph& functional, std::span<const int> labels);

// The `count` rows (samples) with the highest mean activation over `neurons`, highest first (ties:
// the lower row); all rows when there are fewer.
std::vector<Eigen::Index> top_samples(const Matrix& activations, std::span<const int> neurons,
                                      Eigen::Index count = 100);

// The mean of inputs (B x D) over the rows `top_samples` picks: what an assembly responds to.
Eigen::RowVectorXf preferred_mean_input(const Matrix& activations, const Matrix& inputs,
                                        std::span<const int> neurons, Eigen::Index count = 100);

// The q-quantile (q in [0, 1]; the lower of two neighbours) of the off-diagonal entries: a colour
// scale that one outlier cannot flatten. 0 for a graph of fewer than 2 neurons.
double off_diagonal_quantile(const Graph& graph, double q);

// Fraction of entries with |w| < relative * max |w| (as hebb inspect counts them); 1 for an all-zero
// matrix, 0 for an empty one.
double small_weight_fraction(const Matrix& weight, double relative = 1e-3);

// The whole analysis of one layer: weight (out x in), activations (B x in) that entered it.
struct LayerOptions {
    int order = 1;       // BEAN-1 or BEAN-2 graph
    double gamma = 1.0;
    SpectralOptions spectral;        // for the structural graph; the functional one always uses the eigengap
    bool feeds_output = false;       // weight is the output layer's (classes x in): compute readout
};
struct LayerAnalysis {
    Graph structural;  // C, diagonal zeroed (what was clustered)
    Graph functional;
    Partition partition;
    double modularity = 0.0;
    Selectivity selectivity;
    std::vector<Assembly> assemblies;
    double mean_purity = 0.0, chance_purity = 0.0;
    double mean_selectivity = 0.0;  // over all neurons
    Cohesion cohesion;
    double small_weights = 0.0;     // small_weight_fraction(weight)
    Clustering functional_assemblies;  // of positive_affinity(functional)
    std::optional<Readout> readout;    // only for a layer that feeds the output

    // k <= 1: the structural graph has no assembly structure.
    bool has_structure() const { return partition.k > 1; }
    // Silent (no preferred class) or unassigned (isolated) neurons, ascending.
    std::vector<int> dead() const;

    // The heatmaps' order: neurons by assembly (assembly 0 first), inside an assembly by preferred
    // class (silent neurons last) then index; unassigned neurons last.
    std::vector<int> order() const;
    // The sizes of order()'s blocks: each assembly's, then the unassigned neurons' when there are any.
    std::vector<size_t> block_sizes() const;
};
LayerAnalysis analyze_layer(const Matrix& weight, const Matrix& activations, std::span<const int> labels,
                            int classes, const LayerOptions& options = {});

// preferred_mean_input of each of the layer's assemblies, in their order.
std::vector<Eigen::RowVectorXf> assembly_mean_inputs(const LayerAnalysis& layer, const Matrix& activations,
                                                     const Matrix& inputs, Eigen::Index count = 100);

// The activations that entered the Linear layers `linears` (indices among the model's Linear layers,
// in forward order) over every row of features (N x D): one (N x in) matrix per index. The model
// runs `batch` rows at a time in eval mode, without a graph; its training mode is restored after.
std::vector<Matrix> layer_inputs(nn::Module& model, const Matrix& features, std::span<const size_t> linears,
                                 Eigen::Index batch = 1000);

}  // namespace hebb::analysis
