// Image files through the image-folder loader (data::read_image_folder): the input is the only
// image, ROOT/0/x.png, read as `hebb --data images:ROOT` reads it: gray, or RGB when it has colour.
// The loader tells the format from the bytes, not the name: PNG, JPEG and BMP go on to stb_image,
// anything else is refused.
#include "datasets/images.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string root = [] {
        const std::string root = fuzz::temp_dir() + "images";
        std::filesystem::create_directories(root + "/0");
        return root;
    }();
    fuzz::write_file(root + "/0/x.png", data, size);
    try {
        const hebb::data::TensorDataset d = hebb::data::read_image_folder(root);
        FUZZ_CHECK(d.classes == 1 && d.class_names.size() == 1 && d.class_names[0] == "0");
        FUZZ_CHECK(d.size() == 1 && d.labels.size() == 1 && d.labels[0] == 0);
        FUZZ_CHECK((d.image.channels == 1 || d.image.channels == 3) && d.image.height > 0 && d.image.width > 0);
        FUZZ_CHECK(d.dim() == d.image.size());
        FUZZ_CHECK(d.features().minCoeff() >= 0.0f && d.features().maxCoeff() <= 1.0f);
    } catch (const hebb::Error&) {
    }
    return 0;
}
