// BEAN, Biologically-Enhanced Artificial Neuronal assembly regularization (Gao, Ascoli and Zhao,
// 2021). For a dense layer from n neurons to m, with W (n x m) = weight^T and H (B x n) the
// activations that entered it on this minibatch:
//   A = |tanh(gamma W)|,  C = A A^T (order 1) or (A A^T)∘(A A^T) (order 2),
//   D[i,j] = (1/B) sum_b (H[b,i] - H[b,j])^2,   R = (1/n^2) sum_ij C[i,j] D[i,j].
// The loss gains alpha * sum of R over the covered layers. Neurons that share downstream targets are
// pulled to fire alike, and weights between neurons that fire differently shrink towards zero.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "layers/layers.h"
#include "regularizers/regularizer.h"

namespace hebb::reg {

// R for one layer as one graph node with inputs weight (m x n, PyTorch's layout) and H (B x n),
// computed in closed form with a hand-written backward for both: with q = column sums of H^2 and
// L = diag(C 1) - C, sum_ij C D = (2/B) trace(H L H^T). Order 1 never forms an n x n matrix.
Tensor bean_term(const Tensor& weight, const Tensor& input, int order, float gamma = 1.0f);

// Whether order 2 on a layer from n neurons to m, batch B, works with the m^2 pairs of output
// neurons (fewer multiply-adds when m is small, as for a 10-class output layer) rather than with
// the n x n matrix C.
bool bean2_by_output_pairs(Eigen::Index m, Eigen::Index n, Eigen::Index batch);

// The reference's strength: LeNet-5 on MNIST, BEAN-1, alpha 3 (hebb train's default with --reg bean1|bean2).
inline constexpr float reference_alpha = 3.0f;

class BEAN : public Regularizer {
public:
    // layers: "hidden" (every Linear whose input is not the raw data: an MLP's but the first, a conv
    // net's fc layers), "all", or Linear indices counted from 0 in forward order, e.g. "1,2"
    // (nn::select_linear_layers).
    BEAN(float alpha, int order = 1, float gamma = 1.0f, std::string layers = "hidden");
    // Reads each covered Linear's weight and the input of its last forward pass: call it after the
    // forward pass of the minibatch.
    Tensor operator()(const nn::Module& model) const override;
    // The Linear indices this covers in `model`.
    std::vector<size_t> covered(const nn::Module& model) const;

private:
    float alpha_;
    int order_;
    float gamma_;
    std::string layers_;
    mutable std::vector<const nn::Linear*> linears_;  // the model's, in forward order
    mutable std::vector<size_t> covered_;  // covered(model) for the model and Linear count in covered_for_
    mutable std::pair<const nn::Module*, size_t> covered_for_{nullptr, 0};
};

}  // namespace hebb::reg
