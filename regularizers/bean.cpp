#include "regularizers/bean.h"

#include "core/gemm.h"
#include "core/ops.h"
#include "layers/layers.h"

namespace hebb::reg {

using Eigen::Index;

namespace {

// The three forms of the term. Each keeps what its backward reads: all keep At = |tanh(gamma Wt)|
// and tanh_w = tanh(gamma Wt) (m x n), q (1 x n) = column sums of H^2 and d (1 x n) = C 1; each
// adds alpha H C into a (B x n) matrix and writes dR/dA^T / c (m x n) in its own way.
struct Common {
    Pooled At, tanh_w, q, d;
};

// Order 1: C = A A^T, never formed; H C = (H A) A^T.
struct Order1 : Common {
    Pooled P, s;  // H A (B x m), A^T 1 (m x 1)
    void add_hc(const Matrix&, Matrix& out, float alpha) const { gemm(P, false, At, false, out, alpha, 1.0f); }
    // dR/dA^T = c (s q + p 1^T - 2 (H A)^T H) with p = A^T q^T (m)
    void weight_grad(const Matrix& H, Matrix& da) const {
        gemm(P, true, H, false, da, -2.0f);
        Pooled p(At.rows(), 1);
        gemm(At, false, q, true, p);
        for (Index i = 0; i < da.rows(); ++i) da.row(i).array() += s(i, 0) * q.row(0).array() + p(i, 0);
    }
};

// Order 2 for few outputs: C = K K^T with K (n x m^2); H C = Z K^T.
struct Order2Pairs : Common {
    Pooled K, Z, M;  // K (n x m^2), Z = H K (B x m^2), M = A^T A (m x m)
    void add_hc(const Matrix&, Matrix& out, float alpha) const { gemm(Z, false, K, true, out, alpha, 1.0f); }
    // dR/dA^T[k, a] = c (2 q_a (M A^T)[k, a] + 2 (Mq A^T)[k, a] - 4 sum_l A_al Y[a, k m + l])
    // with Mq = A^T diag(q) A (m x m) and Y = H^T Z (n x m^2): the n x n form's 2 A^T E.
    void weight_grad(const Matrix& H, Matrix& da) const {
        const Index m = At.rows(), n = At.cols();
        Pooled Y(n, m * m);
        gemm(H, true, Z, false, Y);
        Pooled Aq(m, n);  // A^T diag(q)
        Aq = At.array().rowwise() * q.row(0).array();
        Pooled Mq(m, m);
        Mq.noalias() = Aq * At.transpose();
        da.noalias() = 2.0f * M * Aq;
        da.noalias() += 2.0f * Mq * At;
        for (Index a = 0; a < n; ++a)
            da.col(a).noalias() -= 4.0f * Eigen::Map<const Matrix>(Y.row(a).data(), m, m) * At.col(a);
    }
};

// Order 2 with the n x n matrices: C = S∘S, S = A A^T; H C kept from the forward pass.
struct Order2 : Common {
    Pooled S, HC;  // S = A A^T (n x n), H C (B x n)
    void add_hc(const Matrix&, Matrix& out, float alpha) const { out.noalias() += alpha * HC; }
    // dR/dS = E = 2 S∘D / n^2 with D = (q_i + q_j - 2 H^T H) / B; dR/dA^T = 2 A^T E;
    // with c = 2/(n^2 B): 2 A^T E = c * 2 A^T (S∘(B D)), B D = q_i + q_j - 2 G.
    void weight_grad(const Matrix& H, Matrix& da) const {
        Pooled e(H.cols(), H.cols());
        gram(H, e, -2.0f);
        for (Index i = 0; i < e.rows(); ++i)  // one pass over the n x n matrices
            e.row(i).array() = S.row(i).array() * (e.row(i).array() + q(0, i) + q.row(0).array());
        gemm(At, false, e, false, da, 2.0f);
    }
};

// R = c0 (<d, q> - x), x = sum((H C)∘H), as one node whose backward, with c = g c0, is
//   dR/dH = 4/(n^2 B) H L = 2c (H diag(d) - H C),
//   dR/dW = c dR/dA^T * gamma sign(W) (1 - tanh^2(gamma W)).
template <class Form>
Tensor bean_node(const char* op, const Tensor& weight, const Tensor& input, float scale, float gamma, double x,
                 Form&& form) {
    const double value = scale * (form.d.row(0).template cast<double>().dot(form.q.row(0).template cast<double>()) - x);
    Tensor out = make_result(filled(1, 1, static_cast<float>(value)), op, {weight, input}, [scale, gamma](Node& y) {
        const Form& k = saved<Form>(y);
        const float c = y.grad(0, 0) * scale;
        Node& w = *y.parents[0];
        Node& h = *y.parents[1];
        if (h.requires_grad) {
            Matrix& hg = h.grad_buffer();
            hg.array() += (2.0f * c) * (h.value.array().rowwise() * k.d.row(0).array());
            k.add_hc(h.value, hg, -2.0f * c);
        }
        if (w.requires_grad) {
            Pooled da(k.At.rows(), k.At.cols());
            k.weight_grad(h.value, da);
            w.grad_buffer().array() +=
                (c * gamma) * da.array() * k.tanh_w.array().sign() * (1.0f - k.tanh_w.array().square());
        }
    });
    save(out, std::move(form));
    return out;
}

}  // namespace

bool bean2_by_output_pairs(Index m, Index n, Index batch) {
    // Multiply-adds: 6 B n m^2 for the three products with K against about n^2 (3.25 m + 3.25 B) for
    // the n x n form (two Gram matrices at 10/16 of a full product each, H C and A^T E).
    return 6.0 * batch * m * m < 3.25 * n * (m + batch);
}

// Shapes: weight Wt (m x n) = W^T, H (B x n); A is kept as At = |tanh(gamma Wt)| (m x n).
// The sums below are over the n^2 ordered pairs (i, j) of input neurons; sum C D = (2/B) (<d, q> -
// sum((H C)∘H)). Every matrix comes from recycled storage and every product runs on gemm().
Tensor bean_term(const Tensor& weight, const Tensor& input, int order, float gamma) {
    HEBB_CHECK(order == 1 || order == 2, "BEAN: order must be 1 or 2, got ", order);
    HEBB_CHECK(weight.cols() == input.cols(), "BEAN: weight ", weight.shape(), " does not fit input ",
               input.shape(), " (out x in, batch x in)");
    HEBB_CHECK(input.rows() > 0, "BEAN: needs at least one sample");
    const Matrix& H = input.value();
    const Index m = weight.rows(), n = H.cols(), batch = H.rows();
    Common common{Pooled(m, n), Pooled(m, n), Pooled(1, n), Pooled(1, n)};
    common.tanh_w.array() = (gamma * weight.value().array()).tanh();
    common.At = common.tanh_w.cwiseAbs();
    common.q = H.array().square().colwise().sum();
    const float scale = static_cast<float>(2.0 / (static_cast<double>(n) * n * batch));

    if (order == 1) {
        // s = A^T 1 (m), d = A s = C 1 (n), and sum((H C)∘H) = ||H A||^2.
        Order1 f{std::move(common), Pooled(batch, m), Pooled(m, 1)};
        f.s = f.At.rowwise().sum();
        f.d.noalias() = f.s.transpose() * f.At;
        gemm(H, false, f.At, true, f.P);  // H A (B x m): the layer's own forward size
        const double x = f.P.cast<double>().squaredNorm();
        return bean_node("bean1", weight, input, scale, gamma, x, std::move(f));
    }
    if (bean2_by_output_pairs(m, n, batch)) {
        // K[i, k m + l] = A_ik A_il over pairs (k, l) of output neurons, so sum((H C)∘H) = ||Z||^2
        // with Z = H K (B x m^2), and d = C 1 is d_i = sum_k A_ik (A M)_ik with M = A^T A (m x m).
        Order2Pairs f{std::move(common), Pooled(n, m * m), Pooled(batch, m * m), Pooled(m, m)};
        for (Index i = 0; i < n; ++i)
            for (Index k = 0; k < m; ++k) f.K.row(i).segment(k * m, m) = f.At(k, i) * f.At.col(i).transpose();
        gemm(f.At, false, f.At, true, f.M);
        Pooled MA(m, n);
        MA.noalias() = f.M * f.At;
        f.d = (f.At.array() * MA.array()).colwise().sum();
        gemm(H, false, f.K, false, f.Z);
        const double x = f.Z.cast<double>().squaredNorm();
        return bean_node("bean2", weight, input, scale, gamma, x, std::move(f));
    }
    // C = S∘S (n x n), d = C 1.
    Order2 f{std::move(common), Pooled(n, n), Pooled(batch, n)};
    gram(f.At, f.S);
    Pooled C(n, n);
    C = f.S.array().square();
    f.d = C.colwise().sum();  // C is symmetric
    gemm(H, false, C, false, f.HC);
    const double x = (f.HC.cast<double>().array() * H.cast<double>().array()).sum();
    return bean_node("bean2", weight, input, scale, gamma, x, std::move(f));
}

BEAN::BEAN(float alpha, int order, float gamma, std::string layers)
    : alpha_(alpha), order_(order), gamma_(gamma), layers_(std::move(layers)) {
    HEBB_CHECK(alpha >= 0.0f, "BEAN: alpha must be >= 0, got ", alpha);
    HEBB_CHECK(order == 1 || order == 2, "BEAN: order must be 1 or 2, got ", order);
    HEBB_CHECK(gamma > 0.0f, "BEAN: gamma must be positive, got ", gamma);
    nn::check_linear_layer_spec(layers_);  // now rather than during training
}

std::vector<size_t> BEAN::covered(const nn::Module& model) const { return nn::select_linear_layers(layers_, model); }

Tensor BEAN::operator()(const nn::Module& model) const {
    // The lists live on between calls, so a training step allocates nothing here.
    linears_.clear();
    nn::append_linear_layers(model, linears_);
    if (covered_.empty() || covered_for_ != std::pair(&model, linears_.size())) {
        covered_ = covered(model);
        covered_for_ = {&model, linears_.size()};
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
