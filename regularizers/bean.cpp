#include "regularizers/bean.h"

#include <charconv>

#include "core/ops.h"
#include "layers/layers.h"

namespace hebb::reg {

using Eigen::Index;

// Shapes: weight Wt (m x n) = W^T, H (B x n); A is kept as At = |tanh(gamma Wt)| (m x n).
// The sums below are over the n^2 ordered pairs (i, j) of input neurons.
Tensor bean_term(const Tensor& weight, const Tensor& input, int order, float gamma) {
    HEBB_CHECK(order == 1 || order == 2, "BEAN: order must be 1 or 2, got ", order);
    HEBB_CHECK(weight.cols() == input.cols(), "BEAN: weight ", weight.shape(), " does not fit input ",
               input.shape(), " (out x in, batch x in)");
    HEBB_CHECK(input.rows() > 0, "BEAN: needs at least one sample");
    const Matrix& H = input.value();
    Matrix tanh_w = (gamma * weight.value().array()).tanh();  // T (m x n)
    Matrix At = tanh_w.cwiseAbs();
    const double n = static_cast<double>(H.cols()), batch = static_cast<double>(H.rows());
    const float scale = static_cast<float>(2.0 / (n * n * batch));
    const Eigen::RowVectorXf q = H.array().square().colwise().sum();  // (1 x n)

    if (order == 1) {
        // sum C D = (2/B) (<d, q> - ||H A||^2) with s = A^T 1 (m) and d = A s = C 1 (n).
        const Eigen::VectorXf s = At.rowwise().sum();
        const Eigen::RowVectorXf d = s.transpose() * At;
        Matrix P(H.rows(), At.rows());
        P.noalias() = H * At.transpose();  // H A (B x m): the layer's own forward size
        const double value = scale * (d.cast<double>().dot(q.cast<double>()) - P.cast<double>().squaredNorm());
        return make_result(
            Matrix::Constant(1, 1, static_cast<float>(value)), "bean1", {weight, input},
            [At = std::move(At), tanh_w = std::move(tanh_w), P = std::move(P), s, d, q, scale, gamma](Node& y) {
                const float c = y.grad(0, 0) * scale;
                Node& w = *y.parents[0];
                Node& h = *y.parents[1];
                const Matrix& H = h.value;  // read from the node, not copied into the closure
                // dR/dH = 4/(n^2 B) H L = 2c (H diag(d) - (H A) A^T)
                if (h.requires_grad) {
                    Matrix dh = H.array().rowwise() * d.array();
                    dh.noalias() -= P * At;
                    h.grad_buffer() += (2.0f * c) * dh;
                }
                // dR/dA^T = c (s q + p 1^T - 2 (H A)^T H) with p = A^T q^T (m);
                // dR/dW = dR/dA * gamma sign(W) (1 - tanh^2(gamma W))
                if (w.requires_grad) {
                    Matrix da(At.rows(), At.cols());
                    da.noalias() = -2.0f * P.transpose() * H;
                    const Eigen::VectorXf p = At * q.transpose();
                    da += s * q;
                    da.colwise() += p;
                    w.grad_buffer().array() +=
                        c * gamma * da.array() * tanh_w.array().sign() * (1.0f - tanh_w.array().square());
                }
            });
    }

    // Order 2: C = S∘S with S = A A^T (n x n); sum C D = (2/B) (<d, q> - sum((H C) ∘ H)), d = C 1.
    Matrix S(At.cols(), At.cols());
    S.noalias() = At.transpose() * At;
    const Matrix C = S.array().square();
    const Eigen::RowVectorXf d = C.colwise().sum();  // C is symmetric
    Matrix HC(H.rows(), H.cols());
    HC.noalias() = H * C;
    const double value = scale * (d.cast<double>().dot(q.cast<double>()) -
                                  (HC.cast<double>().array() * H.cast<double>().array()).sum());
    return make_result(
        Matrix::Constant(1, 1, static_cast<float>(value)), "bean2", {weight, input},
        [At = std::move(At), tanh_w = std::move(tanh_w), S = std::move(S), HC = std::move(HC), d, q, scale, gamma](Node& y) {
            const float c = y.grad(0, 0) * scale;
            Node& w = *y.parents[0];
            Node& h = *y.parents[1];
            const Matrix& H = h.value;  // read from the node, not copied into the closure
            // dR/dH = 4/(n^2 B) H L = 2c (H diag(d) - H C)
            if (h.requires_grad) h.grad_buffer() += (2.0f * c) * (Matrix(H.array().rowwise() * d.array()) - HC);
            // dR/dS = E = 2 S∘D / n^2 with D = (q_i + q_j - 2 H^T H) / B; dR/dA^T = 2 A^T E;
            // with c = 2/(n^2 B): 2 A^T E = c * 2 A^T (S∘(B D)), B D = q_i + q_j - 2 G.
            if (w.requires_grad) {
                Matrix bd(H.cols(), H.cols());
                bd.noalias() = -2.0f * H.transpose() * H;
                bd.colwise() += q.transpose();
                bd.rowwise() += q;
                const Matrix e = S.array() * bd.array();
                Matrix da(At.rows(), At.cols());
                da.noalias() = 2.0f * At * e;
                w.grad_buffer().array() +=
                    c * gamma * da.array() * tanh_w.array().sign() * (1.0f - tanh_w.array().square());
            }
        });
}

BEAN::BEAN(float alpha, int order, float gamma, std::string layers)
    : alpha_(alpha), order_(order), gamma_(gamma), layers_(std::move(layers)) {
    HEBB_CHECK(alpha >= 0.0f, "BEAN: alpha must be >= 0, got ", alpha);
    HEBB_CHECK(order == 1 || order == 2, "BEAN: order must be 1 or 2, got ", order);
    HEBB_CHECK(gamma > 0.0f, "BEAN: gamma must be positive, got ", gamma);
    covered(1000);  // checks the layer list's form now rather than during training
}

std::vector<size_t> BEAN::covered(size_t count) const {
    std::vector<size_t> out;
    if (layers_ == "hidden" || layers_ == "all") {
        for (size_t i = layers_ == "all" ? 0 : 1; i < count; ++i) out.push_back(i);
        return out;
    }
    const char* p = layers_.data();
    const char* end = p + layers_.size();
    while (p < end) {
        size_t index = 0;
        auto [next, ec] = std::from_chars(p, end, index);
        HEBB_CHECK(ec == std::errc() && (next == end || *next == ','), "BEAN layers '", layers_,
                   "': use hidden, all, or Linear indices such as 1,2");
        HEBB_CHECK(index < count, "BEAN layers '", layers_, "': the model has ", count,
                   " Linear layers, counted from 0");
        out.push_back(index);
        p = next == end ? end : next + 1;
    }
    HEBB_CHECK(!out.empty(), "BEAN layers '", layers_, "' names no layer");
    return out;
}

Tensor BEAN::operator()(const nn::Module& model) const {
    const std::vector<const nn::Linear*> linears = nn::linear_layers(model);
    Tensor total = Tensor::scalar(0.0f);
    for (size_t i : covered(linears.size())) {
        const nn::Linear& layer = *linears[i];
        HEBB_CHECK(layer.input().defined(), "BEAN: Linear layer ", i, " has not seen an input yet; run the forward pass first");
        total = total + bean_term(layer.weight, layer.input(), order_, gamma_);
    }
    return total * alpha_;
}

}  // namespace hebb::reg
