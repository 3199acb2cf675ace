#include "backend/onednn.h"

#include <algorithm>
#include <dnnl.h>
#include <map>
#include <vector>

#include "core/tensor.h"

namespace hebb::onednn {

namespace {

void check(dnnl_status_t status, const char* what) {
    HEBB_CHECK(status == dnnl_success, "oneDNN: ", what, " failed with status ", static_cast<int>(status));
}

// c = alpha op(a) op(b) (+ bias, then ReLU) + beta c: the shapes and constants of one kind of product.
struct ProductKind {
    Eigen::Index m, n, k;
    bool transpose_a, transpose_b;
    float alpha, beta;
    bool bias, relu;
    auto operator<=>(const ProductKind&) const = default;
};

// oneDNN's matmul primitive for one kind of product, and its arguments as memory objects whose data
// pointers are set at each call. Creating it takes about a millisecond, so it is kept; running it
// uses hebb's scratch memory, where oneDNN's sgemm allocates packing buffers on every call.
struct Product {
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, c, bias, scratch;
};

// A row-major matrix, or the transpose of one, as oneDNN sees it: rows x cols over its storage.
dnnl_memory_desc_t describe(Eigen::Index rows, Eigen::Index cols, bool transposed) {
    dnnl_memory_desc_t md;
    const dnnl_dims_t dims{rows, cols}, strides{transposed ? 1 : cols, transposed ? rows : 1};
    check(dnnl_memory_desc_init_by_strides(&md, 2, dims, dnnl_f32, strides), "memory descriptor");
    return md;
}

// Per thread: a product inside one of hebb's parallel regions runs on its caller's thread.
class Products {
public:
    Products() {
        check(dnnl_engine_create(&engine_, dnnl_cpu, 0), "engine");
        check(dnnl_stream_create(&stream_, engine_, dnnl_stream_default_flags), "stream");
    }
    ~Products() {
        clear();
        dnnl_stream_destroy(stream_);
        dnnl_engine_destroy(engine_);
    }

    void run(const ProductKind& kind, const float* a, const float* b, const float* bias, float* c) {
        Product& p = get(kind);
        // oneDNN reads a, b and bias only; its interface takes every data pointer as writable.
        check(dnnl_memory_set_data_handle(p.a, const_cast<float*>(a)), "a");
        check(dnnl_memory_set_data_handle(p.b, const_cast<float*>(b)), "b");
        check(dnnl_memory_set_data_handle(p.c, c), "c");
        check(dnnl_memory_set_data_handle(p.bias, const_cast<float*>(bias)), "bias");
        check(dnnl_memory_set_data_handle(p.scratch, scratch_.data()), "scratch");
        const dnnl_exec_arg_t args[]{{DNNL_ARG_SRC, p.a}, {DNNL_ARG_WEIGHTS, p.b}, {DNNL_ARG_DST, p.c},
                                     {DNNL_ARG_SCRATCHPAD, p.scratch}, {DNNL_ARG_BIAS, p.bias}};
        check(dnnl_primitive_execute(p.primitive, stream_, bias ? 5 : 4, args), "matmul");
        check(dnnl_stream_wait(stream_), "matmul");
    }

private:
    Product& get(const ProductKind& kind) {
        if (const auto found = cache_.find(kind); found != cache_.end()) return found->second;
        if (cache_.size() >= 256) clear();  // a program of ever new shapes must not fill memory with them
        const dnnl_memory_desc_t a_md = describe(kind.m, kind.k, kind.transpose_a);
        const dnnl_memory_desc_t b_md = describe(kind.k, kind.n, kind.transpose_b);
        const dnnl_memory_desc_t c_md = describe(kind.m, kind.n, false), bias_md = describe(1, kind.n, false);
        dnnl_matmul_desc_t desc;
        check(dnnl_matmul_desc_init(&desc, &a_md, &b_md, kind.bias ? &bias_md : nullptr, &c_md), "matmul");
        dnnl_primitive_attr_t attr;
        check(dnnl_primitive_attr_create(&attr), "attributes");
        check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode");
        if (kind.alpha != 1.0f) check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &kind.alpha), "alpha");
        dnnl_post_ops_t post_ops;
        check(dnnl_post_ops_create(&post_ops), "post-ops");
        if (kind.beta != 0.0f) check(dnnl_post_ops_append_sum(post_ops, kind.beta), "beta");
        if (kind.relu) check(dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), "ReLU");
        check(dnnl_primitive_attr_set_post_ops(attr, post_ops), "post-ops");
        dnnl_primitive_desc_t pd;
        check(dnnl_primitive_desc_create(&pd, &desc, attr, engine_, nullptr), "matmul primitive");
        Product p{};
        const dnnl_memory_desc_t* scratch_md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        scratch_.resize(std::max(scratch_.size(), dnnl_memory_desc_get_size(scratch_md)));
        check(dnnl_primitive_create(&p.primitive, pd), "matmul primitive");
        for (auto [memory, md] : {std::pair{&p.a, &a_md}, {&p.b, &b_md}, {&p.c, &c_md}, {&p.bias, &bias_md},
                                  {&p.scratch, scratch_md}})
            check(dnnl_memory_create(memory, md, engine_, DNNL_MEMORY_NONE), "memory");
        dnnl_primitive_desc_destroy(pd);
        dnnl_post_ops_destroy(post_ops);
        dnnl_primitive_attr_destroy(attr);
        return cache_.emplace(kind, p).first->second;
    }

    void clear() {
        for (auto& [kind, p] : cache_) {
            for (dnnl_memory_t m : {p.a, p.b, p.c, p.bias, p.scratch}) dnnl_memory_destroy(m);
            dnnl_primitive_destroy(p.primitive);
        }
        cache_.clear();
    }

    dnnl_engine_t engine_ = nullptr;
    dnnl_stream_t stream_ = nullptr;
    std::map<ProductKind, Product> cache_;
    std::vector<char> scratch_;  // as much as the most demanding primitive needs
};

Products& products() {
    thread_local Products p;
    return p;
}

// Whether a product of m x n outputs runs on a matmul primitive rather than on sgemm. Measured on
// AVX-512 (build/bench/onednn_products): the primitive's blocked kernels were up to 2x faster where
// both dimensions are wide (a dense layer's products, batch 64 and up), and up to 1.7x slower where
// one is narrow (a 10-class output, the few channels of a convolution), where sgemm stays.
bool on_primitive(Eigen::Index m, Eigen::Index n, Eigen::Index k) { return m >= 32 && n >= 32 && k > 0; }

}  // namespace

void primitive_product(Eigen::Index m, Eigen::Index n, Eigen::Index k, const float* a, bool transpose_a,
                       const float* b, bool transpose_b, float* c, float alpha, float beta, const float* bias, bool relu) {
    products().run({m, n, k, transpose_a, transpose_b, alpha, beta, bias != nullptr, relu}, a, b, bias, c);
}

void product(Eigen::Index m, Eigen::Index n, Eigen::Index k, const float* a, bool transpose_a, const float* b,
             bool transpose_b, float* c, float alpha, float beta, const float* bias, bool relu) {
    if (on_primitive(m, n, k)) {
        primitive_product(m, n, k, a, transpose_a, b, transpose_b, c, alpha, beta, bias, relu);
        return;
    }
    sgemm(transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b, transpose_b ? k : n, beta, c, n);
    if (!bias && !relu) return;
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> out(c, m, n);
    if (bias) out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, n);
    if (relu) out = out.cwiseMax(0.0f);
}

void sgemm(bool transpose_a, bool transpose_b, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha,
           const float* a, Eigen::Index lda, const float* b, Eigen::Index ldb, float beta, float* c, Eigen::Index ldc) {
    check(dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
          "sgemm");
}

}  // namespace hebb::onednn
