#include "layers/conv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <omp.h>
#include <vector>

#include "core/gemm.h"
#include "core/random.h"

namespace hebb {

using Eigen::Index;

namespace {

Node& parent(Node& y, size_t i) { return *y.parents[i]; }

void check_input(const char* op, const Tensor& x, ImageShape in) {
    HEBB_CHECK(in.channels > 0 && in.height > 0 && in.width > 0, op, ": image shape ", in.str(),
               " is not positive");
    HEBB_CHECK(x.cols() == in.size(), op, ": input ", x.shape(), " does not fit ", in.str(), " images (",
               in.size(), " columns)");
}

// Checks that a kernel x kernel window swept with `stride` fits `in` images padded by `padding`.
void check_window(const char* op, ImageShape in, int kernel, int stride, int padding) {
    HEBB_CHECK(kernel > 0 && stride > 0 && padding >= 0, op, ": kernel_size ", kernel, ", stride ", stride,
               " and padding ", padding, " must be positive (padding may be 0)");
    HEBB_CHECK(in.height + 2 * padding >= kernel && in.width + 2 * padding >= kernel, op, ": kernel_size ", kernel,
               " with padding ", padding, " does not fit ", in.str(), " images");
}

// Calls f(b, r, j, xi, lo, hi) for every run of the im2col matrix of samples [first, first + count)
// of x (B x C*H*W): the W' entries (r, j) .. (r, j + W' - 1) of one output row, with r = (c k + u) k + v
// (the weight's column order) and j = (b - first) H'W' + i W' (sample, then output position). Entry j + jj copies column xi + jj stride of row b of
// x, pixel (c, i stride + u - padding, jj stride + v - padding), for jj in [lo, hi); the others lie in
// the padding (lo = hi = 0 when the whole row does).
template <class F>
void for_each_tap_row(Index first, Index count, ImageShape in, ImageShape out, int k, int stride, int padding, F&& f) {
    const Index positions = out.height * out.width;
    for (Index b = first; b < first + count; ++b)
        for (Index c = 0; c < in.channels; ++c)
            for (int u = 0; u < k; ++u)
                for (int v = 0; v < k; ++v) {
                    const Index r = (c * k + u) * k + v;
                    // The output columns whose pixel column jj stride + v - padding is inside [0, W).
                    const Index lo = std::min<Index>(out.width, std::max<Index>(0, (padding - v + stride - 1) / stride));
                    const Index hi = std::max<Index>(lo, std::min<Index>(out.width, (in.width - 1 + padding - v) / stride + 1));
                    for (Index i = 0; i < out.height; ++i) {
                        const Index h = i * stride + u - padding;
                        const bool inside = h >= 0 && h < in.height;
                        f(b, r, (b - first) * positions + i * out.width, (c * in.height + h) * in.width + v - padding,
                          inside ? lo : 0, inside ? hi : 0);
                    }
                }
}

// dst (nj x ni*p) from src (ni x nj*p), both read as [outer][inner][p] blocks: dst[j][i] = src[i][j].
// It turns a batch's rows (B x O*P) into one row per channel (O x B*P), and back.
void swap_outer_axes(const float* src, Index ni, Index nj, Index p, float* dst) {
    for (Index i = 0; i < ni; ++i)
        for (Index j = 0; j < nj; ++j) std::copy_n(src + (i * nj + j) * p, p, dst + (j * ni + i) * p);
}

struct ConvSaved {
    ImageShape in, out;
    int kernel, stride, padding;
};

// Samples per piece of a batch: the piece's im2col matrix (C*k*k x n*P) is about 512 KiB at most, so
// the product reads it from cache right after it is written, and no B-sized one is ever formed.
// (Measured on LeNet-5: 256 KiB is as fast with twice the products, 1 MiB 10-15 % slower.)
Index piece_samples(Index taps, Index positions) { return std::max<Index>(1, 131072 / (taps * positions)); }

// The threads that share a batch's pieces: those set (set_num_threads), at most one per piece.
int piece_threads(Index batch, Index piece) {
    return static_cast<int>(std::min<Index>(get_num_threads(), (batch + piece - 1) / piece));
}

// f(first, n, t) for each piece [first, first + n) of a batch, the pieces dealt to `threads` threads
// in fixed blocks (the same split every step); t is the thread's index. One thread opens no parallel
// region (even a serial one allocates in libgomp). A product inside runs on its caller's thread.
template <class F>
void for_pieces(Index batch, Index piece, int threads, F&& f) {
    const Index pieces = (batch + piece - 1) / piece;
    if (threads <= 1) {
        for (Index p = 0; p < pieces; ++p) f(p * piece, std::min(piece, batch - p * piece), 0);
        return;
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (Index p = 0; p < pieces; ++p) f(p * piece, std::min(piece, batch - p * piece), omp_get_thread_num());
}

// f(first, n, t) over the batch in one block of samples per thread: for per-sample work, which
// needs no cache-sized pieces.
template <class F>
void for_sample_blocks(Index batch, F&& f) {
    const int threads = static_cast<int>(std::min<Index>(get_num_threads(), std::max<Index>(1, batch)));
    for_pieces(batch, std::max<Index>(1, (batch + threads - 1) / threads), threads, f);
}

// im2col for stride 1 and output rows as wide as the input's ("same" padding, as LeNet-5's first
// layer): a tap's inside runs of consecutive output rows then follow each other in x as in cols, so
// they are copied as one run, and the few entries that wrap around into the padding columns are
// zeroed after. One copy per sample and tap instead of one per output row.
void im2col_same_width(const Matrix& x, Index first, Index count, const ConvSaved& g, Matrix& cols) {
    const Index width = g.in.width, positions = g.out.height * width, p = g.padding;
    for (Index b = first; b < first + count; ++b)
        for (Index c = 0; c < g.in.channels; ++c)
            for (int u = 0; u < g.kernel; ++u)
                for (int v = 0; v < g.kernel; ++v) {
                    float* plane = &cols((c * g.kernel + u) * g.kernel + v, (b - first) * positions);
                    // Output rows [i_lo, i_hi) and columns [lo, hi) read pixels inside the image.
                    const Index i_lo = std::clamp<Index>(p - u, 0, g.out.height);
                    const Index i_hi = std::clamp<Index>(g.in.height + p - u, i_lo, g.out.height);
                    const Index lo = std::clamp<Index>(p - v, 0, width), hi = std::clamp<Index>(width + p - v, lo, width);
                    std::fill(plane, plane + i_lo * width, 0.0f);
                    std::fill(plane + i_hi * width, plane + positions, 0.0f);
                    if (i_hi == i_lo || hi == lo) {
                        std::fill(plane + i_lo * width, plane + i_hi * width, 0.0f);
                        continue;
                    }
                    const float* from = x.data() + b * x.cols() + (c * g.in.height + i_lo + u - p) * width + lo + v - p;
                    std::copy(from, from + (i_hi - 1 - i_lo) * width + (hi - lo), plane + i_lo * width + lo);
                    for (Index i = i_lo; i < i_hi; ++i) {
                        std::fill(plane + i * width, plane + i * width + lo, 0.0f);
                        std::fill(plane + i * width + hi, plane + (i + 1) * width, 0.0f);
                    }
                }
}

// cols (C*k*k x count*P) = im2col of samples [first, first + count) of x.
void im2col(const Matrix& x, Index first, Index count, const ConvSaved& g, Matrix& cols) {
    const int stride = g.stride;
    if (stride == 1 && g.out.width == g.in.width) return im2col_same_width(x, first, count, g, cols);
    for_each_tap_row(first, count, g.in, g.out, g.kernel, stride, g.padding,
                     [&](Index b, Index r, Index j, Index xi, Index lo, Index hi) {
                         float* to = &cols(r, j);
                         const float* from = x.data() + b * x.cols() + xi;
                         std::fill(to, to + lo, 0.0f);
                         if (stride == 1) std::copy(from + lo, from + hi, to + lo);  // the common case, vectorized
                         else
                             for (Index jj = lo; jj < hi; ++jj) to[jj] = from[jj * stride];
                         std::fill(to + hi, to + g.out.width, 0.0f);
                     });
}

// dx (its rows [first, first + count)) += col2im(dcols), the adjoint of im2col.
void col2im_add(const Matrix& dcols, Index first, Index count, const ConvSaved& g, Matrix& dx) {
    const int stride = g.stride;
    for_each_tap_row(first, count, g.in, g.out, g.kernel, stride, g.padding,
                     [&](Index b, Index r, Index j, Index xi, Index lo, Index hi) {
                         const float* from = &dcols(r, j);
                         float* to = dx.data() + b * dx.cols() + xi;
                         if (stride == 1)
                             for (Index jj = lo; jj < hi; ++jj) to[jj] += from[jj];
                         else
                             for (Index jj = lo; jj < hi; ++jj) to[jj * stride] += from[jj];
                     });
}

// What max_pool2d's backward needs: for each output entry (B x C*H'*W', row-major), the column of its
// row of x that held the maximum.
struct MaxPoolSaved {
    std::vector<int, Recycling<int>> argmax;
};

struct AvgPoolSaved {
    ImageShape in, out;
    int kernel, stride;
};

// Calls f(b, c, j, origin) for each output entry (b, c * H'W' + j) of a pooling window sweep, with origin
// the column of row b of x at the window's top-left corner.
template <class F>
void for_each_window(Index batch, ImageShape in, ImageShape out, int stride, F&& f) {
    for (Index b = 0; b < batch; ++b)
        for (Index c = 0; c < in.channels; ++c)
            for (Index i = 0; i < out.height; ++i)
                for (Index jj = 0; jj < out.width; ++jj)
                    f(b, c * out.height * out.width + i * out.width + jj,
                      (c * in.height + i * stride) * in.width + jj * stride);
}

}  // namespace

ImageShape conv2d_output_shape(ImageShape in, Index out_channels, int kernel, int stride, int padding) {
    check_window("conv2d", in, kernel, stride, padding);
    return {out_channels, (in.height + 2 * padding - kernel) / stride + 1,
            (in.width + 2 * padding - kernel) / stride + 1};
}

ImageShape pool2d_output_shape(const char* op, ImageShape in, int kernel, int stride) {
    check_window(op, in, kernel, stride, 0);
    return {in.channels, (in.height - kernel) / stride + 1, (in.width - kernel) / stride + 1};
}

// For each piece of n samples: cols = im2col(x) (C*k*k x n*P), Y = W cols + bias (O x n*P), y = Y with
// the batch and channel axes swapped (n x O*P), P = H'*W'; with G = g swapped the same way (O x n*P):
// dW += G cols^T, dbias += sum of G over n*P, dx = col2im(W^T G). The backward pass forms each
// piece's cols again rather than keeping the batch's (9 x larger than x for LeNet-5's first layer).
Tensor conv2d(const Tensor& x, ImageShape in, const Tensor& weight, const Tensor& bias, int stride, int padding) {
    check_input("conv2d", x, in);
    const Index taps = weight.cols() / in.channels;
    const int k = static_cast<int>(std::lround(std::sqrt(static_cast<double>(taps))));
    HEBB_CHECK(weight.rows() > 0 && in.channels * k * k == weight.cols(), "conv2d: weight ", weight.shape(),
               " is not (out x C*k*k) for ", in.str(), " images");
    const ImageShape out = conv2d_output_shape(in, weight.rows(), k, stride, padding);
    if (bias.defined())
        HEBB_CHECK(bias.rows() == 1 && bias.cols() == weight.rows(), "conv2d: bias ", bias.shape(),
                   " does not fit weight ", weight.shape());
    ConvSaved geometry{in, out, k, stride, padding};
    const Index batch = x.rows(), positions = out.height * out.width;
    const Index piece = piece_samples(weight.cols(), positions);

    Pooled y(batch, out.size());
    for_pieces(batch, piece, piece_threads(batch, piece), [&](Index first, Index n, int) {
        Pooled cols(weight.cols(), n * positions), per_channel(out.channels, n * positions);
        im2col(x.value(), first, n, geometry, cols);
        gemm(weight.value(), false, cols, false, per_channel);
        if (bias.defined()) per_channel.colwise() += bias.value().row(0).transpose();
        swap_outer_axes(per_channel.data(), out.channels, n, positions, y.data() + first * y.cols());
    });

    Tensor result = make_result(std::move(y), "conv2d", {x, weight, bias}, [](Node& y) {
        const ConvSaved& s = saved<ConvSaved>(y);
        Node& x = parent(y, 0);
        Node& w = parent(y, 1);
        Node* b = y.parents.size() == 3 && parent(y, 2).requires_grad ? &parent(y, 2) : nullptr;
        const Index batch = y.value.rows(), positions = s.out.height * s.out.width;
        const Index piece = piece_samples(w.value.cols(), positions);
        const int threads = piece_threads(batch, piece);
        // The buffers are reached before the threads start (they are allocated on first use). Each
        // thread but the first sums its pieces' weight and bias gradients apart, added in at the end.
        Matrix* dx = x.requires_grad ? &x.grad_buffer() : nullptr;
        Matrix* dw = w.requires_grad ? &w.grad_buffer() : nullptr;
        Matrix* db = b ? &b->grad_buffer() : nullptr;
        std::vector<Pooled> dw_part, db_part;
        for (int t = 1; t < threads; ++t) {
            if (dw) dw_part.push_back(filled(dw->rows(), dw->cols(), 0.0f));
            if (db) db_part.push_back(filled(1, db->cols(), 0.0f));
        }
        for_pieces(batch, piece, threads, [&](Index first, Index n, int t) {
            Pooled g(s.out.channels, n * positions);
            swap_outer_axes(y.grad.data() + first * y.grad.cols(), n, s.out.channels, positions, g.data());
            if (dw) {
                Pooled cols(w.value.cols(), n * positions);
                im2col(x.value, first, n, s, cols);
                gemm(g, false, cols, true, t == 0 ? *dw : dw_part[t - 1], 1.0f, 1.0f);
            }
            if (db) (t == 0 ? *db : db_part[t - 1]) += g.rowwise().sum().transpose();
            if (!dx) return;
            Pooled dcols(w.value.cols(), n * positions);
            gemm(w.value, true, g, false, dcols);
            col2im_add(dcols, first, n, s, *dx);
        });
        for (const Pooled& part : dw_part) *dw += part;
        for (const Pooled& part : db_part) *db += part;
    });
    save(result, std::move(geometry));
    return result;
}

// Max pooling of samples [first, first + count) of x (rows of `cols` floats) into y and, for each
// output entry, the column of its row of x that held the maximum. Each output row of each channel
// at once, window entry by window entry, so the inner loop runs over output columns without a
// branch. As PyTorch: a later entry wins only when strictly larger (or NaN, which then propagates).
void max_pool_rows(const float* x, Index cols, Index first, Index count, ImageShape in, ImageShape out, int kernel,
                   int stride, float* y, int* argmax) {
    const Index positions = out.height * out.width;
    for (Index b = first; b < first + count; ++b)
        for (Index c = 0; c < in.channels; ++c)
            for (Index i = 0; i < out.height; ++i) {
                const Index at = b * out.size() + c * positions + i * out.width;  // y's entry for jj = 0
                float* max = y + at;
                int* best = argmax + at;
                const Index origin = (c * in.height + i * stride) * in.width;
                std::fill(max, max + out.width, -std::numeric_limits<float>::infinity());
                std::fill(best, best + out.width, static_cast<int>(origin));
                for (int u = 0; u < kernel; ++u)
                    for (int v = 0; v < kernel; ++v) {
                        const Index col = origin + u * in.width + v;
                        const float* from = x + b * cols + col;
                        for (Index jj = 0; jj < out.width; ++jj) {
                            const float value = from[jj * stride];
                            const bool take = value > max[jj] || value != value;
                            max[jj] = take ? value : max[jj];
                            best[jj] = take ? static_cast<int>(col + jj * stride) : best[jj];
                        }
                    }
            }
}

// max_pool_rows for 2 x 2 windows at stride 2 on images of even width (LeNet-5's pools), in two
// passes whose inner loops are long and branch-free: the larger of each pair of neighbours in every
// image row (rows of C*H*W/2 pairs: pair t is columns 2t and 2t + 1), then the larger of each pair of
// rows. Row by row, the earlier entry wins a tie, so the window's first maximum in row-major order
// wins, as in max_pool_rows; a NaN wins as there.
void max_pool_2x2_rows(const float* x, Index cols, Index first, Index count, ImageShape in, ImageShape out, float* y,
                       int* argmax) {
    const Index pairs = cols / 2, half = in.width / 2;  // pairs per sample and per image row
    Pooled wider(1, pairs);
    std::vector<int, Recycling<int>> at(static_cast<size_t>(pairs));
    for (Index b = first; b < first + count; ++b) {
        const float* row = x + b * cols;
        float* w = wider.data();
        for (Index t = 0; t < pairs; ++t) {
            const float left = row[2 * t], right = row[2 * t + 1];
            const bool take = right > left || right != right;
            w[t] = take ? right : left;
            at[static_cast<size_t>(t)] = static_cast<int>(2 * t + (take ? 1 : 0));
        }
        for (Index c = 0; c < in.channels; ++c)
            for (Index i = 0; i < out.height; ++i) {
                const Index top = (c * in.height + 2 * i) * half, bottom = top + half;  // pairs of rows 2i, 2i + 1
                const Index o = b * out.size() + (c * out.height + i) * out.width;
                for (Index jj = 0; jj < out.width; ++jj) {
                    const float upper = w[top + jj], lower = w[bottom + jj];
                    const bool take = lower > upper || lower != lower;
                    y[o + jj] = take ? lower : upper;
                    argmax[o + jj] = take ? at[static_cast<size_t>(bottom + jj)] : at[static_cast<size_t>(top + jj)];
                }
            }
    }
}

// y[b, c, i, j] = max of the window of x at (i stride, j stride); dx = g at each window's argmax, summed
Tensor max_pool2d(const Tensor& x, ImageShape in, int kernel, int stride) {
    check_input("max_pool2d", x, in);
    const ImageShape out = pool2d_output_shape("max_pool2d", in, kernel, stride);
    const Matrix& xv = x.value();
    Pooled y(x.rows(), out.size());
    MaxPoolSaved s;
    s.argmax.resize(static_cast<size_t>(y.size()));
    // The samples split among the threads (max_pool_rows takes its arguments by value, so nothing it
    // reads is shared memory that the compiler must reload in its inner loop).
    float* ys = y.data();
    int* best = s.argmax.data();
    for_sample_blocks(x.rows(), [&, ys, best](Index first, Index n, int) {
        if (kernel == 2 && stride == 2 && in.width % 2 == 0)
            max_pool_2x2_rows(xv.data(), xv.cols(), first, n, in, out, ys, best);
        else
            max_pool_rows(xv.data(), xv.cols(), first, n, in, out, kernel, stride, ys, best);
    });
    Tensor result = make_result(std::move(y), "max_pool2d", {x}, [](Node& y) {
        const auto& argmax = saved<MaxPoolSaved>(y).argmax;
        Matrix& dx = parent(y, 0).grad_buffer();
        const Index outputs = y.grad.cols(), inputs = dx.cols();
        for_sample_blocks(y.grad.rows(), [&](Index first, Index n, int) {
                       for (Index b = first; b < first + n; ++b) {
                           float* to = dx.data() + b * inputs;
                           const float* g = y.grad.data() + b * outputs;
                           const int* from = argmax.data() + b * outputs;
                           for (Index j = 0; j < outputs; ++j) to[from[j]] += g[j];
                       }
                   });
    });
    save(result, std::move(s));
    return result;
}

// y[b, c, i, j] = mean of the window of x at (i stride, j stride); dx = g / k^2 over each window, summed
Tensor avg_pool2d(const Tensor& x, ImageShape in, int kernel, int stride) {
    check_input("avg_pool2d", x, in);
    const ImageShape out = pool2d_output_shape("avg_pool2d", in, kernel, stride);
    const Matrix& xv = x.value();
    const float scale = 1.0f / static_cast<float>(kernel * kernel);
    Pooled y(x.rows(), out.size());
    for_each_window(x.rows(), in, out, stride, [&](Index b, Index j, Index origin) {
        float total = 0.0f;
        for (int u = 0; u < kernel; ++u) total += xv.row(b).segment(origin + u * in.width, kernel).sum();
        y(b, j) = total * scale;
    });
    Tensor result = make_result(std::move(y), "avg_pool2d", {x}, [](Node& y) {
        const AvgPoolSaved& s = saved<AvgPoolSaved>(y);
        const float scale = 1.0f / static_cast<float>(s.kernel * s.kernel);
        Matrix& dx = parent(y, 0).grad_buffer();
        for_each_window(y.grad.rows(), s.in, s.out, s.stride, [&](Index b, Index j, Index origin) {
            for (int u = 0; u < s.kernel; ++u)
                dx.row(b).segment(origin + u * s.in.width, s.kernel).array() += scale * y.grad(b, j);
        });
    });
    save(result, AvgPoolSaved{in, out, kernel, stride});
    return result;
}

}  // namespace hebb

namespace hebb::nn {

const ImageShape& ImageModule::checked_input(const Tensor& x) const {
    HEBB_CHECK(in_.size() > 0, name(), "(", extra_repr(), "): its input shape is not set; call set_input_shape ",
               "on it, or nn::set_input_shape(model, C x H x W) on the model, before forward");
    HEBB_CHECK(x.cols() == in_.size(), name(), "(", extra_repr(), "): input ", x.shape(), " does not fit its ",
               in_.str(), " images (", in_.size(), " columns)");
    return in_;
}

namespace {
ImageShape walk(Module& m, const std::string& key, ImageShape shape) {
    const std::string layer = "layer " + (key.empty() ? std::string("(the model)") : key) + " (" + m.name() + ")";
    if (auto* image = dynamic_cast<ImageModule*>(&m)) {
        try {
            return image->set_input_shape(shape);
        } catch (const Error& e) {
            fail(layer, ": ", e.what());
        }
    }
    if (auto* fc = dynamic_cast<Linear*>(&m)) {
        HEBB_CHECK(shape.height == 1 && shape.width == 1 && shape.channels == fc->weight.cols(), layer,
                   ": takes ", fc->weight.cols(), " features, but its input is ", shape.str(),
                   shape.height == 1 && shape.width == 1 ? "" : " images (put a Flatten before it)");
        return {fc->weight.rows(), 1, 1};
    }
    for (const auto& [name, child] : m.children()) shape = walk(*child, key.empty() ? name : key + "." + name, shape);
    return shape;
}
}  // namespace

ImageShape set_input_shape(Module& model, ImageShape in) { return walk(model, "", in); }

Conv2d::Conv2d(Index in_channels, Index out_channels, int kernel_size, int stride, int padding, bool with_bias,
               Generator& gen)
    : in_channels_(in_channels), kernel_size_(kernel_size), stride_(stride), padding_(padding) {
    HEBB_CHECK(in_channels > 0 && out_channels > 0 && kernel_size > 0 && stride > 0 && padding >= 0,
               "Conv2d: channels, kernel_size and stride must be positive and padding not negative, got ",
               in_channels, ", ", out_channels, ", ", kernel_size, ", ", stride, ", ", padding);
    const Index fan_in = in_channels * kernel_size * kernel_size;
    const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
    weight = register_parameter("weight", uniform_parameter(out_channels, fan_in, bound, gen),
                                {out_channels, in_channels, kernel_size, kernel_size});
    if (with_bias) bias = register_parameter("bias", uniform_parameter(1, out_channels, bound, gen), {out_channels});
}

ImageShape Conv2d::set_input_shape(ImageShape in) {
    HEBB_CHECK(in.channels == in_channels_, "Conv2d(", extra_repr(), "): input ", in.str(), " has ", in.channels,
               " channels, the layer takes ", in_channels_);
    const ImageShape out = conv2d_output_shape(in, weight.rows(), kernel_size_, stride_, padding_);
    in_ = in;
    return out;
}

ImageShape Conv2d::output_shape() const {
    return conv2d_output_shape(in_, weight.rows(), kernel_size_, stride_, padding_);
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, checked_input(x), weight, bias, stride_, padding_); }

std::string Conv2d::extra_repr() const {
    const auto pair = [](int v) { return "(" + std::to_string(v) + ", " + std::to_string(v) + ")"; };
    return std::to_string(in_channels_) + ", " + std::to_string(weight.rows()) + ", kernel_size=" +
           pair(kernel_size_) + ", stride=" + pair(stride_) + (padding_ ? ", padding=" + pair(padding_) : "") +
           (bias.defined() ? "" : ", bias=False");
}

Pool2d::Pool2d(const char* name, int kernel_size, int stride)
    : kernel_size_(kernel_size), stride_(stride ? stride : kernel_size) {
    HEBB_CHECK(kernel_size > 0 && stride >= 0, name, ": kernel_size ", kernel_size, " must be positive and stride ",
               stride, " not negative");
}

ImageShape Pool2d::set_input_shape(ImageShape in) {
    const ImageShape out = pool2d_output_shape(name().c_str(), in, kernel_size_, stride_);
    in_ = in;
    return out;
}

std::string Pool2d::extra_repr() const {
    return "kernel_size=" + std::to_string(kernel_size_) + ", stride=" + std::to_string(stride_) + ", padding=0";
}

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, checked_input(x), kernel_size_, stride_); }
Tensor AvgPool2d::forward(const Tensor& x) { return avg_pool2d(x, checked_input(x), kernel_size_, stride_); }

ImageShape Flatten::set_input_shape(ImageShape in) {
    in_ = in;
    return {in.size(), 1, 1};
}

}  // namespace hebb::nn
