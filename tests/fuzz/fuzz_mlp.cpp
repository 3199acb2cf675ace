// Checkpoints (training::load_checkpoint): the input is the file; load_checkpoint reads it with
// load_safetensors, rebuilds the model, an MLP or a conv net, from its metadata (format,
// format_version, arch, activation, dropout), loads the weights strictly and reads a run's state. A
// model that loads must then run: one forward pass of a zero sample (up to a million inputs: a conv
// spec without weights may name images of any size); its weights, and a run's optimizer state (one list per
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
        FUZZ_CHECK(m.model && m.input.size() > 0 && m.output.size() > 0);
        for (const hebb::Tensor& p : m.model->parameters()) FUZZ_CHECK(p.value().allFinite());
        if (m.run) FUZZ_CHECK(m.run->epoch >= 0 && (m.run->best_val_acc == -1.0 || (m.run->best_val_acc >= 0.0 && m.run->best_val_acc <= 1.0)));
        if (m.run && m.run->optimizer) {
            FUZZ_CHECK(m.run->optimizer->params.size() == m.model->parameters().size());
            for (const hebb::StateDict& buffers : m.run->optimizer->params)
                for (const hebb::NamedArray& b : buffers) FUZZ_CHECK(b.value.allFinite());
        }
        m.model->eval();
        if (m.input.size() > 1'000'000) return 0;
        const hebb::Tensor y = (*m.model)(hebb::Tensor::zeros(1, m.input.size()));
        FUZZ_CHECK(y.rows() == 1 && y.cols() == m.output.size());
    } catch (const hebb::Error&) {
    }
    return 0;
}
