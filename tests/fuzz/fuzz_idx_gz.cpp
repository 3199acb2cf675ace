// Gzipped IDX files (read_file under data::read_idx): the input is the file as it arrives, a
// gzip stream, so the mutations damage the stream itself: bad headers and flags, corrupt deflate
// data, wrong CRC or length, streams cut short, several members, trailing bytes. As in fuzz_idx the
// file is read as labels or images by its rank byte, here the 4th decompressed byte.
#include <zlib.h>

#include "idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string path = fuzz::temp_dir() + "input.idx.gz";
    fuzz::write_file(path, data, size);
    std::uint8_t head[4] = {0, 0, 0, 0};  // what the first 4 decompressed bytes are, if there are 4
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) == Z_OK) {  // 15 + 16: a gzip stream
        z.next_in = const_cast<Bytef*>(data);
        z.avail_in = static_cast<uInt>(size);
        z.next_out = head;
        z.avail_out = sizeof head;
        inflate(&z, Z_SYNC_FLUSH);
        inflateEnd(&z);
    }
    fuzz::read_idx_input(path, head, sizeof head);
    return 0;
}
