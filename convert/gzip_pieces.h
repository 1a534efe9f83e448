// One gzip member built from pieces compressed independently (so every core can deflate).
//
// libdeflate (much faster than zlib at the same ratio, but whole-buffer only) compresses
// each piece into a complete raw deflate stream. A walk over its Huffman codes
// (deflate_blocks.h; zlib's inflate only if that fails) then finds the bit where the piece's
// final block starts and where it ends: the final bit is cleared
// and an empty stored block byte-aligns the end, so pieces concatenate into one deflate
// stream, closed by an empty final block and a trailer with the combined CRC. A single member
// matters: browsers' DecompressionStream, which the Firefox Profiler uses to open .gz files,
// rejects a second gzip member.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ftrace::convert {

struct DeflatedPiece {
    std::string bytes;   // raw deflate, non-final, ends byte-aligned
    uint32_t crc = 0;    // CRC-32 of the uncompressed piece
    uint64_t size = 0;   // uncompressed bytes
};

class PieceCompressor {
public:
    explicit PieceCompressor(int level);
    ~PieceCompressor();
    PieceCompressor(const PieceCompressor&) = delete;
    PieceCompressor& operator=(const PieceCompressor&) = delete;

    // False (with `error`) only on an internal failure (out of memory, a libdeflate bug).
    bool compress(const char* data, size_t size, DeflatedPiece& out, std::string& error);

private:
    bool zlib_bounds(const std::string& bytes, size_t size, uint64_t& final_header_bit, uint64_t& end_bit,
                     std::string& error);
    struct State;
    std::unique_ptr<State> s_;
};

// 10-byte gzip member header.
std::string gzip_member_header();
// The empty final deflate block, the CRC-32 and the size modulo 2^32.
std::string gzip_member_footer(uint32_t crc, uint64_t size);
// CRC-32 of A followed by B, from crc(A), crc(B) and len(B).
uint32_t crc32_concat(uint32_t crc_a, uint32_t crc_b, uint64_t size_b);

}  // namespace ftrace::convert
