#include "datasets/images.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <vector>

#include <stb/stb_image.h>

namespace hebb::data {

namespace {

namespace fs = std::filesystem;

// The entries of `dir` that pass `keep`, sorted by name; names starting with '.' are skipped.
template <class Keep>
std::vector<fs::path> sorted_entries(const fs::path& dir, Keep keep) {
    std::error_code error;
    fs::directory_iterator it(dir, error);
    HEBB_CHECK(!error, dir.string(), ": cannot list the folder: ", error.message());
    std::vector<fs::path> out;
    for (const fs::directory_entry& entry : it)
        if (!entry.path().filename().string().starts_with('.') && keep(entry)) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

bool is_image(const fs::directory_entry& entry) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return entry.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp");
}

}  // namespace

TensorDataset read_image_folder(const std::string& root, bool grayscale) {
    std::error_code error;
    HEBB_CHECK(fs::is_directory(root, error), root, ": not a folder");
    TensorDataset d;
    std::vector<std::pair<fs::path, int>> files;  // each image and its label
    const auto is_folder = [](const fs::directory_entry& e) { return e.is_directory(); };
    for (const fs::path& folder : sorted_entries(root, is_folder)) {
        const std::vector<fs::path> images = sorted_entries(folder, is_image);
        HEBB_CHECK(!images.empty(), folder.string(),
                   ": a class folder without images (.png, .jpg, .jpeg, .bmp)");
        const int label = static_cast<int>(d.class_names.size());
        for (const fs::path& image : images) files.emplace_back(image, label);
        d.class_names.push_back(folder.filename().string());
    }
    HEBB_CHECK(!d.class_names.empty(), root, ": no class folders; expected ", root, "/<class>/<image>");
    d.classes = static_cast<int>(d.class_names.size());

    const int channels = grayscale ? 1 : 3;
    int width = 0, height = 0;
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string path = files[i].first.string();
        int w = 0, h = 0, channels_in_file = 0;
        // The header's size first: stb_image would allocate whatever a (possibly lying) header
        // claims, and a 0 x 0 image would be a sample without features.
        if (stbi_info(path.c_str(), &w, &h, &channels_in_file))
            HEBB_CHECK(w > 0 && h > 0 && w <= 8192 && h <= 8192, path, ": image size ", w, "x", h,
                       " is outside 1x1 to 8192x8192");
        const std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
            stbi_load(path.c_str(), &w, &h, &channels_in_file, channels), stbi_image_free);
        if (!pixels) {
            const char* reason = stbi_failure_reason();
            fail(path, ": cannot read the image: ", reason ? reason : "unknown reason");
        }
        if (i == 0) {
            width = w;
            height = h;
            d.features.resize(static_cast<Eigen::Index>(files.size()), Eigen::Index{w} * h * channels);
        }
        HEBB_CHECK(w > 0 && h > 0, path, ": the image is empty");
        HEBB_CHECK(w == width && h == height, path, " is ", w, "x", h, " but ", files[0].first.string(),
                   " is ", width, "x", height, " (width x height); all images must have the same size");
        // stb's pixels are (height x width x channels) bytes, the layout of one feature row.
        using Bytes = Eigen::Matrix<unsigned char, 1, Eigen::Dynamic>;
        d.features.row(static_cast<Eigen::Index>(i)) =
            Eigen::Map<const Bytes>(pixels.get(), d.features.cols()).cast<float>() / 255.0f;
        d.labels.push_back(files[i].second);
    }
    return d;
}

}  // namespace hebb::data
