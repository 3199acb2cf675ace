// Data parallelism over the ranks of an MPI job (parallel/communicator.h). Every rank holds the whole
// model and steps on its own rows of each global batch (DataLoader::set_shard), its loss weighted by
// its share of the rows; the gradients summed over the ranks are then the gradient of the global
// batch in one process, to float rounding: the mean cross-entropy and BEAN's term are sums over
// samples divided by the batch's rows (../docs/scaling.md), and a term of the weights alone (L1, L2)
// is counted once since the shares add up to 1.
#pragma once

#include <span>
#include <vector>

#include "core/tensor.h"

namespace hebb::training {

class DataParallel {
public:
    // A collective: every rank must start from the same weights, and a rank whose parameters differ
    // from rank 0's (a run folder or --init that is not the same file everywhere) is an error on
    // every rank. Gradients are summed in buckets of about bucket_bytes, the last parameters first,
    // as the backward pass finishes them.
    explicit DataParallel(std::vector<Tensor> params, size_t bucket_bytes = size_t{1} << 20);

    // Replaces every parameter's gradient by its sum over the ranks (a rank without rows in this
    // batch adds zeros), and `figures` by theirs.
    void all_reduce(std::span<float> figures);

    size_t buckets() const { return buckets_.size(); }

private:
    struct Bucket {
        std::vector<size_t> params;  // indices into params_, each packed whole
        std::vector<float> values;
    };
    std::vector<Tensor> params_;
    std::vector<Bucket> buckets_;
};

}  // namespace hebb::training
