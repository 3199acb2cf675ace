// Image folders: ROOT/<class>/<image>, one sub-folder per class, as torchvision's ImageFolder.
#pragma once

#include <string>

#include "datasets/dataset.h"

namespace hebb::data {

// Reads every PNG, JPEG and BMP image (by extension, any case) in the sub-folders of `root` with
// stb_image. The classes are the sub-folder names in sorted order (class_names), the images of a
// class are taken in file-name order (byte-wise: "10.png" before "9.png"); other files, and names
// starting with '.', are ignored.
//
// Returns features (N x channels*height*width) holding pixel / 255 in [0, 1] in PyTorch's order
// (torchvision's ToTensor): channel by channel, each row by row; `image` is channels x height x
// width. The channels are 3 (RGB) when any image has colour, converting gray ones to RGB as
// torchvision's ImageFolder does, and 1 when all are gray; alpha is dropped.
// Every image's size is read from its header before any image is decoded, and the memory the folder
// needs (images x width x height x channels bytes) is checked against max_memory_bytes (io/file.h).
// Throws hebb::Error when `root` is not a folder or has no class folders, when a class folder has no
// images, when an image file is not a regular file or cannot be read (naming it and stb's reason),
// when an image's size differs from the first one's (naming both files and sizes), or when the
// folder would need more memory than the cap (naming the folder, the bytes and the cap).
TensorDataset read_image_folder(const std::string& root);

}  // namespace hebb::data
