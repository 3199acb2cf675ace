#include "regularizers/bean.h"

#include "core/gemm.h"
#include "core/ops.h"
#include "layers/layers.h"

namespace hebb::reg {

using Eigen::Index;

namespace {
// dR/dW = dR/dA * gamma sign(W) (1 - tanh^2(gamma W)), with factor the scale of da and gamma.
void add_weight_grad(Node& w, const Matrix& tanh_w, const Matrix& da, float factor) {
    w.grad_buffer().array() += factor * da.array() * tanh_w.array().sign() * (1.0f - tanh_w.array().square());
}
}  // namespace

bool bean2_by_output_pairs(Index m, Index n, Index batch) {
    // Multiply-adds: 6 B n m^2 for the three products with K against about n^2 (3.25 m + 3.25 B) for
    // the n x n form (two Gram matrices at 10/16 of a full product each, H C and A^T E).
    return 6.0 * batch * m * m < 3.25 * n * (m + batch);
}

// Shapes: weight Wt (m x n) = W^T, H (B x n); A is kept as At = |tanh(gamma Wt)| (m x n).
// The sums below are over the n^2 ordered pairs (i, j) of input neurons. Every matrix comes from
// recycled storage and every product runs on gemm().
Tensor bean_term(const Tensor& weight, const Tensor& input, int order, float gamma) {
    HEBB_CHECK(order == 1 || order == 2, "BEAN: order must be 1 or 2, got ", order);
    HEBB_CHECK(weight.cols() == input.cols(), "BEAN: weight ", weight.shape(), " does not fit input ",
               input.shape(), " (out x in, batch x in)");
    HEBB_CHECK(input.rows() > 0, "BEAN: needs at least one sample");
    const Matrix& H = input.value();
    const Index m = weight.rows(), n = H.cols(), batch = H.rows();
    Matrix tanh_w = buffer(m, n);  // T (m x n)
    tanh_w.array() = (gamma * weight.value().array()).tanh();
    Matrix At = buffer(m, n);
    At = tanh_w.cwiseAbs();
    const float scale = static_cast<float>(2.0 / (static_cast<double>(n) * n * batch));
    Matrix q = buffer(1, n);  // column sums of H^2
    q = H.array().square().colwise().sum();

    if (order == 1) {
        // sum C D = (2/B) (<d, q> - ||H A||^2) with s = A^T 1 (m) and d = A s = C 1 (n).
        Matrix s = buffer(m, 1);
        s = At.rowwise().sum();
        Matrix d = buffer(1, n);
        d.noalias() = s.transpose() * At;
        Matrix P = buffer(batch, m);
        gemm(H, false, At, true, P);  // H A (B x m): the layer's own forward size
        const double value = scale * (d.row(0).cast<double>().dot(q.row(0).cast<double>()) - P.cast<double>().squaredNorm());
        Tensor out = make_result(
            filled(1, 1, static_cast<float>(value)), "bean1", {weight, input},
            [scale, gamma](Node& y) {
                const float c = y.grad(0, 0) * scale;
                Node& w = *y.parents[0];
                Node& h = *y.parents[1];
                const Matrix& H = h.value;
                const Matrix &At = y.saved[0], &tanh_w = y.saved[1], &P = y.saved[2], &s = y.saved[3],
                             &d = y.saved[4], &q = y.saved[5];
                // dR/dH = 4/(n^2 B) H L = 2c (H diag(d) - (H A) A^T)
                if (h.requires_grad) {
                    Matrix& hg = h.grad_buffer();
                    hg.array() += (2.0f * c) * (H.array().rowwise() * d.row(0).array());
                    gemm(P, false, At, false, hg, -2.0f * c, 1.0f);
                }
                // dR/dA^T = c (s q + p 1^T - 2 (H A)^T H) with p = A^T q^T (m)
                if (w.requires_grad) {
                    Matrix da = buffer(At.rows(), At.cols());
                    gemm(P, true, H, false, da, -2.0f);
                    Matrix p = buffer(At.rows(), 1);
                    gemm(At, false, q, true, p);
                    for (Index i = 0; i < da.rows(); ++i) da.row(i).array() += s(i, 0) * q.row(0).array() + p(i, 0);
                    add_weight_grad(w, tanh_w, da, c * gamma);
                    recycle(da);
                    recycle(p);
                }
            });
        save(out, std::move(At), std::move(tanh_w), std::move(P), std::move(s), std::move(d), std::move(q));
        return out;
    }

    if (bean2_by_output_pairs(m, n, batch)) {
        // Order 2 for few outputs: C = K K^T, where K (n x m^2) holds the columns A_k∘A_l over pairs
        // (k, l) of output neurons, K[i, k m + l] = A_ik A_il. Then sum((H C)∘H) = ||Z||^2 with
        // Z = H K (B x m^2), and d = C 1 is d_i = sum_k A_ik (A M)_ik with M = A^T A (m x m).
        Matrix K = buffer(n, m * m);
        for (Index i = 0; i < n; ++i)
            for (Index k = 0; k < m; ++k) K.row(i).segment(k * m, m) = At(k, i) * At.col(i).transpose();
        Matrix M = buffer(m, m);
        gemm(At, false, At, true, M);
        Matrix MA = buffer(m, n);
        MA.noalias() = M * At;
        Matrix d = buffer(1, n);
        d = (At.array() * MA.array()).colwise().sum();
        recycle(MA);
        Matrix Z = buffer(batch, m * m);
        gemm(H, false, K, false, Z);
        const double value = scale * (d.row(0).cast<double>().dot(q.row(0).cast<double>()) - Z.cast<double>().squaredNorm());
        Tensor out = make_result(
            filled(1, 1, static_cast<float>(value)), "bean2", {weight, input}, [scale, gamma](Node& y) {
                const float c = y.grad(0, 0) * scale;
                Node& w = *y.parents[0];
                Node& h = *y.parents[1];
                const Matrix& H = h.value;
                const Matrix &At = y.saved[0], &tanh_w = y.saved[1], &K = y.saved[2], &Z = y.saved[3],
                             &M = y.saved[4], &d = y.saved[5], &q = y.saved[6];
                const Index m = At.rows(), n = At.cols();
                // dR/dH = 2c (H diag(d) - H C) with H C = Z K^T
                if (h.requires_grad) {
                    Matrix& hg = h.grad_buffer();
                    hg.array() += (2.0f * c) * (H.array().rowwise() * d.row(0).array());
                    gemm(Z, false, K, true, hg, -2.0f * c, 1.0f);
                }
                // dR/dA^T[k, a] = c (2 q_a (M A^T)[k, a] + 2 (Mq A^T)[k, a] - 4 sum_l A_al Y[a, k m + l])
                // with Mq = A^T diag(q) A (m x m) and Y = H^T Z (n x m^2): the n x n form's 2 A^T E.
                if (w.requires_grad) {
                    Matrix Y = buffer(n, m * m);
                    gemm(H, true, Z, false, Y);
                    Matrix Aq = buffer(m, n);  // A^T diag(q)
                    Aq = At.array().rowwise() * q.row(0).array();
                    Matrix Mq = buffer(m, m);
                    Mq.noalias() = Aq * At.transpose();
                    Matrix da = buffer(m, n);
                    da.noalias() = 2.0f * M * Aq;
                    da.noalias() += 2.0f * Mq * At;
                    for (Index a = 0; a < n; ++a)
                        da.col(a).noalias() -= 4.0f * Eigen::Map<const Matrix>(Y.row(a).data(), m, m) * At.col(a);
                    add_weight_grad(w, tanh_w, da, c * gamma);
                    recycle(Y);
                    recycle(Aq);
                    recycle(Mq);
                    recycle(da);
                }
            });
        save(out, std::move(At), std::move(tanh_w), std::move(K), std::move(Z), std::move(M), std::move(d),
             std::move(q));
        return out;
    }

    // Order 2: C = S∘S with S = A A^T (n x n); sum C D = (2/B) (<d, q> - sum((H C) ∘ H)), d = C 1.
    Matrix S = buffer(n, n);
    gram(At, S);
    Matrix C = buffer(n, n);
    C = S.array().square();
    Matrix d = buffer(1, n);
    d = C.colwise().sum();  // C is symmetric
    Matrix HC = buffer(batch, n);
    gemm(H, false, C, false, HC);
    recycle(C);
    const double value = scale * (d.row(0).cast<double>().dot(q.row(0).cast<double>()) -
                                  (HC.cast<double>().array() * H.cast<double>().array()).sum());
    Tensor out = make_result(
        filled(1, 1, static_cast<float>(value)), "bean2", {weight, input}, [scale, gamma](Node& y) {
            const float c = y.grad(0, 0) * scale;
            Node& w = *y.parents[0];
            Node& h = *y.parents[1];
            const Matrix& H = h.value;
            const Matrix &At = y.saved[0], &tanh_w = y.saved[1], &S = y.saved[2], &HC = y.saved[3],
                         &d = y.saved[4], &q = y.saved[5];
            // dR/dH = 4/(n^2 B) H L = 2c (H diag(d) - H C)
            if (h.requires_grad)
                h.grad_buffer().array() += (2.0f * c) * (H.array().rowwise() * d.row(0).array() - HC.array());
            // dR/dS = E = 2 S∘D / n^2 with D = (q_i + q_j - 2 H^T H) / B; dR/dA^T = 2 A^T E;
            // with c = 2/(n^2 B): 2 A^T E = c * 2 A^T (S∘(B D)), B D = q_i + q_j - 2 G.
            if (w.requires_grad) {
                Matrix e = buffer(H.cols(), H.cols());
                gram(H, e, -2.0f);
                for (Index i = 0; i < e.rows(); ++i)  // one pass over the n x n matrices
                    e.row(i).array() = S.row(i).array() * (e.row(i).array() + q(0, i) + q.row(0).array());
                Matrix da = buffer(At.rows(), At.cols());
                gemm(At, false, e, false, da, 2.0f);
                add_weight_grad(w, tanh_w, da, c * gamma);
                recycle(e);
                recycle(da);
            }
        });
    save(out, std::move(At), std::move(tanh_w), std::move(S), std::move(HC), std::move(d), std::move(q));
    return out;
}

BEAN::BEAN(float alpha, int order, float gamma, std::string layers)
    : alpha_(alpha), order_(order), gamma_(gamma), layers_(std::move(layers)) {
    HEBB_CHECK(alpha >= 0.0f, "BEAN: alpha must be >= 0, got ", alpha);
    HEBB_CHECK(order == 1 || order == 2, "BEAN: order must be 1 or 2, got ", order);
    HEBB_CHECK(gamma > 0.0f, "BEAN: gamma must be positive, got ", gamma);
    nn::check_linear_layer_spec(layers_);  // now rather than during training
}

std::vector<size_t> BEAN::covered(size_t count) const { return nn::select_linear_layers(layers_, count); }

Tensor BEAN::operator()(const nn::Module& model) const {
    // The lists live on between calls, so a training step allocates nothing here.
    linears_.clear();
    nn::append_linear_layers(model, linears_);
    if (covered_.empty() || covered_for_ != linears_.size()) {
        covered_ = covered(linears_.size());
        covered_for_ = linears_.size();
    }
    Tensor total = Tensor::scalar(0.0f);
    for (size_t i : covered_) {
        const nn::Linear& layer = *linears_[i];
        HEBB_CHECK(layer.input().defined(), "BEAN: Linear layer ", i, " has not seen an input yet; run the forward pass first");
        total = total + bean_term(layer.weight, layer.input(), order_, gamma_);
    }
    return total * alpha_;
}

}  // namespace hebb::reg
