// MLP checkpoints (nn::load_mlp): the input is the file; load_mlp reads it with load_safetensors,
// rebuilds the model from its metadata (format, format_version, arch, activation, dropout) and loads
// the weights strictly. A model that loads must then run: one forward pass of a zero sample.
#include "core/random.h"
#include "layers/mlp.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    hebb::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string path = fuzz::temp_dir() + "input.safetensors";
    fuzz::write_file(path, data, size);
    try {
        const hebb::nn::LoadedMlp m = hebb::nn::load_mlp(path);
        const auto& sizes = m.spec.sizes;
        FUZZ_CHECK(sizes.size() >= 2 && m.model);
        for (const hebb::NamedArray& a : m.extra) FUZZ_CHECK(a.name.starts_with("optim."));
        m.model->eval();
        const hebb::Tensor y = (*m.model)(hebb::Tensor::zeros(1, sizes.front()));
        FUZZ_CHECK(y.rows() == 1 && y.cols() == sizes.back());
    } catch (const hebb::Error&) {
    }
    return 0;
}
