#include "gzip_pieces.h"

#include <libdeflate.h>
#include <zlib.h>

#include "deflate_blocks.h"

namespace ftrace::convert {

struct PieceCompressor::State {
    libdeflate_compressor* c = nullptr;
    z_stream z{};
    bool z_ready = false;
    std::vector<unsigned char> scratch;  // inflate output of the check pass
    ~State() {
        if (c) libdeflate_free_compressor(c);
        if (z_ready) inflateEnd(&z);
    }
};

// The slow way (inflating the piece), only if the block walker disagrees with libdeflate.
bool PieceCompressor::zlib_bounds(const std::string& bytes, size_t size, uint64_t& final_header_bit,
                                  uint64_t& end_bit, std::string& error) {
    // Walk the blocks: Z_BLOCK stops at every block boundary, where data_type's low 3 bits
    // are the unused bits of the last byte read, so total_in * 8 - unused is the next header.
    z_stream& z = s_->z;
    inflateReset(&z);
    if (s_->scratch.size() < size + 1) s_->scratch.resize(size + 1);
    z.next_in = reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = s_->scratch.data();
    z.avail_out = static_cast<uInt>(s_->scratch.size());
    bool saw_end = false;
    for (;;) {
        int rc = inflate(&z, Z_BLOCK);
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK) {
            error = "compressed piece does not inflate (libdeflate/zlib mismatch)";
            return false;
        }
        // At a boundary; 64: the block that just ended was the final one. (Z_STREAM_END comes
        // after the padding bits were dropped, so the end is taken here.)
        if (z.data_type & 128) {
            uint64_t bit = z.total_in * 8 - (z.data_type & 7);
            if (z.data_type & 64) {
                end_bit = bit;
                saw_end = true;
            } else {
                final_header_bit = bit;
            }
        }
    }
    if (z.total_out != size || !saw_end) {
        error = "compressed piece inflates to the wrong size";
        return false;
    }
    return true;
}

PieceCompressor::PieceCompressor(int level) : s_(std::make_unique<State>()) {
    s_->c = libdeflate_alloc_compressor(level);
    s_->z_ready = inflateInit2(&s_->z, -15) == Z_OK;
}

PieceCompressor::~PieceCompressor() = default;

bool PieceCompressor::compress(const char* data, size_t size, DeflatedPiece& out, std::string& error) {
    out.bytes.clear();
    out.size = size;
    out.crc = static_cast<uint32_t>(libdeflate_crc32(0, data, size));
    if (size == 0) return true;
    if (!s_->c || !s_->z_ready) {
        error = "cannot initialise the compressor (out of memory?)";
        return false;
    }
    out.bytes.resize(libdeflate_deflate_compress_bound(s_->c, size) + 8);
    size_t n = libdeflate_deflate_compress(s_->c, data, size, out.bytes.data(), out.bytes.size());
    if (n == 0) {
        error = "libdeflate failed to compress a piece";
        return false;
    }
    out.bytes.resize(n);

    uint64_t final_header_bit = 0, end_bit = 0;
    DeflateBounds bounds;
    if (find_deflate_bounds(reinterpret_cast<const uint8_t*>(out.bytes.data()), n, bounds) &&
        bounds.uncompressed == size) {
        final_header_bit = bounds.final_header_bit;
        end_bit = bounds.end_bit;
    } else if (!zlib_bounds(out.bytes, size, final_header_bit, end_bit, error)) {
        return false;
    }
    auto* b = reinterpret_cast<unsigned char*>(out.bytes.data());
    b[final_header_bit / 8] &= static_cast<unsigned char>(~(1u << (final_header_bit % 8)));
    // Empty stored block: 3 header bits 000 at end_bit, zero padding to the byte, LEN 0, NLEN ~0.
    size_t aligned = static_cast<size_t>((end_bit + 3 + 7) / 8);
    out.bytes.resize(aligned, '\0');
    b = reinterpret_cast<unsigned char*>(out.bytes.data());
    if (end_bit % 8) b[end_bit / 8] &= static_cast<unsigned char>((1u << (end_bit % 8)) - 1);
    for (size_t i = end_bit / 8 + (end_bit % 8 ? 1 : 0); i < aligned; ++i) b[i] = 0;
    out.bytes.append("\x00\x00\xff\xff", 4);
    return true;
}

std::string gzip_member_header() {
    // magic, deflate, no flags, no mtime, no extra flags, OS unknown
    return std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
}

std::string gzip_member_footer(uint32_t crc, uint64_t size) {
    std::string f("\x03\x00", 2);  // final fixed-Huffman block holding only end-of-block
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
    uint32_t isize = static_cast<uint32_t>(size);
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((isize >> (8 * i)) & 0xff));
    return f;
}

uint32_t crc32_concat(uint32_t crc_a, uint32_t crc_b, uint64_t size_b) {
    return static_cast<uint32_t>(crc32_combine64(crc_a, crc_b, static_cast<z_off64_t>(size_b)));
}

}  // namespace ftrace::convert
