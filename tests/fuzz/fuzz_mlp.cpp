// MLP checkpoints (training::load_checkpoint): the input is the file; load_checkpoint reads it with
// load_safetensors, rebuilds the model from its metadata (format, format_version, arch, activation,
// dropout), loads the weights strictly and reads a run's state. A model that loads must then run:
// one forward pass of a zero sample; its weights, and a run's optimizer state (one list per
// parameter), must be finite, and a run's epoch and best validation accuracy in range.
#include "core/random.h"
#include "training/checkpoint.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    hebb::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string path = fuzz::temp_dir() + "input.safetensors";
    fuzz::write_file(path, data, size);
    try {
        const hebb::training::Checkpoint m = hebb::training::load_checkpoint(path);
        const auto& sizes = m.spec.sizes;
        FUZZ_CHECK(sizes.size() >= 2 && m.model);
        for (const hebb::Tensor& p : m.model->parameters()) FUZZ_CHECK(p.value().allFinite());
        if (m.run) FUZZ_CHECK(m.run->epoch >= 0 && (m.run->best_val_acc == -1.0 || (m.run->best_val_acc >= 0.0 && m.run->best_val_acc <= 1.0)));
        if (m.run && m.run->optimizer) {
            FUZZ_CHECK(m.run->optimizer->params.size() == m.model->parameters().size());
            for (const hebb::StateDict& buffers : m.run->optimizer->params)
                for (const hebb::NamedArray& b : buffers) FUZZ_CHECK(b.value.allFinite());
        }
        m.model->eval();
        const hebb::Tensor y = (*m.model)(hebb::Tensor::zeros(1, sizes.front()));
        FUZZ_CHECK(y.rows() == 1 && y.cols() == sizes.back());
    } catch (const hebb::Error&) {
    }
    return 0;
}
