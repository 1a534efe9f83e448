// Finds where a raw deflate stream's final block starts and where the stream ends, by
// decoding only its Huffman symbols (no output, no window): about three times faster than
// inflating it with zlib, which was a sixth of a conversion to .json.gz (gzip_pieces.h
// needs both positions to join independently compressed pieces into one stream).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ftrace::convert {

struct DeflateBounds {
    uint64_t final_header_bit = 0;  // bit offset of the final block's 3-bit header
    uint64_t end_bit = 0;           // bit offset just past the final block's end-of-block code
    uint64_t uncompressed = 0;      // bytes the stream inflates to
};

// False on anything but a well-formed stream within `size` bytes.
bool find_deflate_bounds(const uint8_t* data, size_t size, DeflateBounds& out);

}  // namespace ftrace::convert
