// stb_image's implementation, compiled into the fuzz targets with their sanitizers and coverage:
// Debian's prebuilt libstb (what hebb links) is the same code (libstb-dev's header) but would be
// opaque to both. Defaults as in libstb: every format on.
// Debian's libstb is built with NDEBUG, so stb's internal asserts are off there: a JPEG whose
// Huffman codes contradict its tables then fails to decode with an error ("unknown marker"), which
// hebb reports. Here too, so that the fuzzer finds what hebb would meet; the sanitizers still check
// every memory access of that path.
#define STBI_ASSERT(x) ((void)0)
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
