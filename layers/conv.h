// Convolution and pooling on 2-D activations: a row per sample holding its C x H x W values in
// PyTorch's NCHW flatten order (channel, then row, then column), so Flatten costs nothing and a
// Linear after it has exactly PyTorch's weights. The activations do not carry their geometry: the
// functions take it as an argument and the layers are told it (set_input_shape) before their first
// forward. A conv weight is held 2-D, (out x C*k*k), in the memory order of PyTorch's 4-D
// (out x C x k x k), the shape its state_dict() entry carries for files.
#pragma once

#include <string>

#include "core/random.h"
#include "layers/layers.h"

namespace hebb {

// x (B x C*H*W) with in = C x H x W, weight (out x C*k*k), bias (1 x out) or undefined
// -> y (B x out*H'*W') with H' = (H + 2 padding - k) / stride + 1 (W' alike):
// y[b, o, i, j] = bias[o] + sum_{c, u, v} weight[o, c, u, v] x[b, c, i stride + u - padding, j stride + v - padding]
// (x is 0 outside the image). The kernel size k comes from the weight's columns.
Tensor conv2d(const Tensor& x, ImageShape in, const Tensor& weight, const Tensor& bias, int stride = 1,
              int padding = 0);
// x (B x C*H*W) -> (B x C*H'*W') with H' = (H - kernel) / stride + 1: the largest value of each window
// (the first one met, row by row, on a tie, as PyTorch).
Tensor max_pool2d(const Tensor& x, ImageShape in, int kernel_size, int stride);
// x (B x C*H*W) -> (B x C*H'*W'): the mean of each kernel x kernel window.
Tensor avg_pool2d(const Tensor& x, ImageShape in, int kernel_size, int stride);

// The output shapes of the above; an error naming the op and the shapes when the window does not fit.
ImageShape conv2d_output_shape(ImageShape in, Eigen::Index out_channels, int kernel_size, int stride, int padding);
ImageShape pool2d_output_shape(const char* op, ImageShape in, int kernel_size, int stride);

}  // namespace hebb

namespace hebb::nn {

// A layer that reads its input as images: it must be told their shape before its first forward.
class ImageModule : public Module {
public:
    // Takes the shape of each input sample and returns that of each output sample; throws, naming
    // the layer and both shapes, when the input does not fit.
    virtual ImageShape set_input_shape(ImageShape in) = 0;
    const ImageShape& input_shape() const { return in_; }

protected:
    // The input shape, after checking that it is set and that x (B x in.size()) fits it.
    const ImageShape& checked_input(const Tensor& x) const;
    ImageShape in_;  // 0x0x0 until set
};

// Tells every ImageModule in `model` (in forward order, through nested Sequentials) the shape of
// its input, starting from the model's input shape `in`, and returns the model's output shape.
// Elementwise layers keep the shape; a Linear needs a flat input (after Flatten) of in_features
// values and gives out_features x 1 x 1. Throws naming the layer (by its dotted key) and both shapes
// where a layer does not fit.
ImageShape set_input_shape(Module& model, ImageShape in);

// PyTorch's Conv2d with square kernels: weight (out x in*k*k), bias (1 x out), both initialised
// uniform in +-1/sqrt(in*k*k) as PyTorch's kaiming_uniform_(a = sqrt(5)) gives.
class Conv2d : public ImageModule {
public:
    Conv2d(Eigen::Index in_channels, Eigen::Index out_channels, int kernel_size, int stride = 1, int padding = 0,
           bool bias = true, Generator& gen = default_generator());
    ImageShape set_input_shape(ImageShape in) override;
    ImageShape output_shape() const;  // each output sample's, for the input shape set
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "Conv2d"; }
    std::string extra_repr() const override;

    Tensor weight;
    Tensor bias;  // undefined when built with bias = false

private:
    Eigen::Index in_channels_;
    int kernel_size_, stride_, padding_;
};

// What MaxPool2d and AvgPool2d share: a kernel x kernel window swept with `stride` (by default the
// kernel size, as PyTorch), without padding.
class Pool2d : public ImageModule {
public:
    ImageShape set_input_shape(ImageShape in) override;
    std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0"

protected:
    Pool2d(const char* name, int kernel_size, int stride);  // stride 0: the kernel size
    int kernel_size_, stride_;
};

class MaxPool2d : public Pool2d {
public:
    explicit MaxPool2d(int kernel_size, int stride = 0) : Pool2d("MaxPool2d", kernel_size, stride) {}
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "MaxPool2d"; }
    std::string extra_repr() const override { return Pool2d::extra_repr() + ", dilation=1, ceil_mode=False"; }
};

class AvgPool2d : public Pool2d {
public:
    explicit AvgPool2d(int kernel_size, int stride = 0) : Pool2d("AvgPool2d", kernel_size, stride) {}
    Tensor forward(const Tensor& x) override;
    std::string name() const override { return "AvgPool2d"; }
};

// The identity: activations are already (B x C*H*W). It turns the shape into C*H*W x 1 x 1.
class Flatten : public ImageModule {
public:
    ImageShape set_input_shape(ImageShape in) override;
    Tensor forward(const Tensor& x) override { return x; }
    std::string name() const override { return "Flatten"; }
    std::string extra_repr() const override { return "start_dim=1, end_dim=-1"; }
};

}  // namespace hebb::nn
