// stb_image's implementation, compiled into the fuzz targets with their sanitizers and coverage:
// Debian's prebuilt libstb (what hebb links) is the same code (libstb-dev's header) but would be
// opaque to both. Defaults as in libstb: every format on.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
