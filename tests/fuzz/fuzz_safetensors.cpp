// Safetensors checkpoints (load_safetensors): the input is the file, header length, JSON header
// and data.
#include <set>

#include "io/safetensors.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string path = fuzz::temp_dir() + "input.safetensors";
    fuzz::write_file(path, data, size);
    try {
        const hebb::SafetensorsFile f = hebb::load_safetensors(path);
        std::set<std::string> names;
        size_t bytes = 0;
        for (const hebb::NamedArray& a : f.arrays) {
            FUZZ_CHECK(a.name != "__metadata__" && names.insert(a.name).second);
            FUZZ_CHECK(a.shape.size() <= 4 && hebb::holds(a.value, a.shape));
            bytes += static_cast<size_t>(a.value.size()) * sizeof(float);
        }
        // The data is checked to be covered exactly, so it cannot outgrow the file.
        FUZZ_CHECK(bytes + 8 <= size);
    } catch (const hebb::Error&) {
    }
    return 0;
}
