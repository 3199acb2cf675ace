// Image files through the image-folder loader (data::read_image_folder): the input is the only
// image, ROOT/0/x.png, read as grayscale when its size is even (as `hebb --data images:ROOT` reads
// it) and as RGB when odd. The loader tells the format from the bytes, not
// the name: PNG, JPEG and BMP go on to stb_image, anything else is refused.
#include "datasets/images.h"
#include "fuzz.h"

namespace {

void read(const std::string& root, bool grayscale) {
    try {
        const hebb::data::TensorDataset d = hebb::data::read_image_folder(root, grayscale);
        FUZZ_CHECK(d.classes == 1 && d.class_names.size() == 1 && d.class_names[0] == "0");
        FUZZ_CHECK(d.size() == 1 && d.labels.size() == 1 && d.labels[0] == 0);
        FUZZ_CHECK(d.dim() > 0 && d.dim() % (grayscale ? 1 : 3) == 0);
        FUZZ_CHECK(d.features().minCoeff() >= 0.0f && d.features().maxCoeff() <= 1.0f);
    } catch (const hebb::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string root = [] {
        const std::string root = fuzz::temp_dir() + "images";
        std::filesystem::create_directories(root + "/0");
        return root;
    }();
    fuzz::write_file(root + "/0/x.png", data, size);
    read(root, size % 2 == 0);
    return 0;
}
