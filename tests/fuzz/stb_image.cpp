// stb_image's implementation, compiled into the fuzz targets with their sanitizers and coverage:
// Debian's prebuilt libstb (what hebb links) is the same code (libstb-dev's header) but would be
// opaque to both. Defaults as in libstb: every format on.
// Debian's libstb is built with NDEBUG, so stb's internal asserts are off there. Here too, so that
// the fuzzer meets what hebb meets: what such an assert guards (a JPEG scan decoding with a Huffman
// table never defined reads out of stb's arrays) must be refused by hebb's own checks before
// stb_image (datasets/images.cpp), and the sanitizers check every access.
#define STBI_ASSERT(x) ((void)0)
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
