#include "training/data_parallel.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "parallel/communicator.h"

namespace hebb::training {

namespace {

// FNV-1a over the parameters' bytes: equal weights give equal text on every rank.
std::string fingerprint(const std::vector<Tensor>& params) {
    std::uint64_t h = 14695981039346656037ull;
    for (const Tensor& p : params) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(p.value().data());
        for (size_t i = 0; i < static_cast<size_t>(p.value().size()) * sizeof(float); ++i)
            h = (h ^ bytes[i]) * 1099511628211ull;
    }
    return std::to_string(h);
}

}  // namespace

DataParallel::DataParallel(std::vector<Tensor> params, size_t bucket_bytes) : params_(std::move(params)) {
    const std::vector<std::string> prints = parallel::all_gather(fingerprint(params_));
    for (size_t r = 1; r < prints.size(); ++r)
        HEBB_CHECK(prints[r] == prints[0], "rank ", r, " starts from other weights than rank 0: every rank must read "
                   "the same files (a run folder or --init on a file system they share)");
    for (size_t i = params_.size(); i-- > 0;) {
        const size_t bytes = static_cast<size_t>(params_[i].value().size()) * sizeof(float);
        if (buckets_.empty() || buckets_.back().values.size() * sizeof(float) + bytes > bucket_bytes)
            buckets_.emplace_back();
        Bucket& b = buckets_.back();
        b.params.push_back(i);
        b.values.resize(b.values.size() + bytes / sizeof(float));
    }
}

void DataParallel::all_reduce(std::span<float> figures) {
    parallel::start_all_reduce_sum(figures);
    for (Bucket& b : buckets_) {
        float* at = b.values.data();
        for (size_t i : b.params) {
            const Tensor& p = params_[i];
            const auto n = static_cast<size_t>(p.value().size());
            if (p.has_grad())
                std::memcpy(at, p.grad().data(), n * sizeof(float));
            else
                std::fill(at, at + n, 0.0f);
            at += n;
        }
        parallel::start_all_reduce_sum(b.values);
    }
    parallel::wait_all();
    for (Bucket& b : buckets_) {
        const float* at = b.values.data();
        for (size_t i : b.params) {
            Tensor& p = params_[i];
            Matrix& g = p.mutable_grad();
            g.resize(p.value().rows(), p.value().cols());
            std::memcpy(g.data(), at, static_cast<size_t>(g.size()) * sizeof(float));
            at += g.size();
        }
    }
}

}  // namespace hebb::training
