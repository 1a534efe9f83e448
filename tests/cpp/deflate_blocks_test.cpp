// The block walker must find the same final-block header and stream end as zlib's inflate
// (Z_BLOCK boundaries) on every kind of block libdeflate writes: dynamic and fixed Huffman,
// stored (incompressible input), long matches, every level.
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <zlib.h>

#include <random>
#include <string>

#include "deflate_blocks.h"

using namespace ftrace::convert;

namespace {

struct ZlibBounds {
    uint64_t final_header_bit = 0, end_bit = 0, out = 0;
};

ZlibBounds zlib_bounds(const std::string& c, size_t size) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
    std::string scratch(size + 1, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(c.data()));
    z.avail_in = static_cast<uInt>(c.size());
    z.next_out = reinterpret_cast<Bytef*>(scratch.data());
    z.avail_out = static_cast<uInt>(scratch.size());
    ZlibBounds b;
    for (;;) {
        int rc = inflate(&z, Z_BLOCK);
        if (rc == Z_STREAM_END) break;
        EXPECT_EQ(rc, Z_OK);
        if (rc != Z_OK) break;
        if (z.data_type & 128) {
            uint64_t bit = z.total_in * 8 - (z.data_type & 7);
            if (z.data_type & 64) {
                b.end_bit = bit;
            } else {
                b.final_header_bit = bit;
            }
        }
    }
    b.out = z.total_out;
    inflateEnd(&z);
    return b;
}

std::string compress(const std::string& s, int level) {
    libdeflate_compressor* c = libdeflate_alloc_compressor(level);
    std::string out(libdeflate_deflate_compress_bound(c, s.size()), '\0');
    out.resize(libdeflate_deflate_compress(c, s.data(), s.size(), out.data(), out.size()));
    libdeflate_free_compressor(c);
    return out;
}

std::string profile_like(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s = "{\"stack\":[";
    while (s.size() < n) {
        switch (rng() % 4) {
            case 0: s += std::to_string(rng() % 2000000) + ","; break;
            case 1: s += "0.000" + std::to_string(rng() % 1000) + ","; break;
            case 2: s += "null,"; break;
            default: s += std::to_string(rng() % 50) + ",";
        }
    }
    s.resize(n);
    return s;
}

std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

}  // namespace

TEST(DeflateBlocks, SameBoundsAsZlibOnEveryKindOfBlock) {
    std::vector<std::string> inputs = {
        "x",
        "hello, hello, hello",
        std::string(300000, 'a'),            // maximal matches
        profile_like(1 << 20, 1),            // the converter's 1 MB pieces
        profile_like(3 << 20, 2),            // many blocks
        random_bytes(100000, 3),             // stored blocks
        random_bytes(70000, 4) + profile_like(200000, 5) + random_bytes(1000, 6),  // mixed
    };
    for (const auto& in : inputs) {
        for (int level : {1, 2, 4, 6, 9, 12}) {
            if (level > 9 && in.size() > (1u << 20)) continue;  // slow, and nothing new
            std::string c = compress(in, level);
            ASSERT_FALSE(c.empty());
            DeflateBounds got;
            ASSERT_TRUE(find_deflate_bounds(reinterpret_cast<const uint8_t*>(c.data()), c.size(), got))
                << "size " << in.size() << " level " << level;
            ZlibBounds want = zlib_bounds(c, in.size());
            EXPECT_EQ(got.final_header_bit, want.final_header_bit) << "size " << in.size() << " level " << level;
            EXPECT_EQ(got.end_bit, want.end_bit) << "size " << in.size() << " level " << level;
            EXPECT_EQ(got.uncompressed, in.size());
            EXPECT_EQ(want.out, in.size());
        }
    }
}

TEST(DeflateBlocks, RejectsTruncatedAndDamagedStreams) {
    std::string in = profile_like(200000, 7);
    std::string c = compress(in, 4);
    DeflateBounds b;
    for (size_t cut : {size_t{0}, size_t{1}, c.size() / 2, c.size() - 1}) {
        EXPECT_FALSE(find_deflate_bounds(reinterpret_cast<const uint8_t*>(c.data()), cut, b)) << cut;
    }
    std::string bad = c;
    bad[0] = static_cast<char>(bad[0] | 6);  // block type 3 (reserved)
    EXPECT_FALSE(find_deflate_bounds(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), b));
    // Random damage never crashes or reads out of bounds (ASan run) and, when it is accepted,
    // stays within the input.
    std::mt19937 rng(8);
    for (int i = 0; i < 300; ++i) {
        std::string d = c;
        for (int k = 0; k < 4; ++k) d[rng() % d.size()] = static_cast<char>(rng());
        if (find_deflate_bounds(reinterpret_cast<const uint8_t*>(d.data()), d.size(), b)) {
            EXPECT_LE(b.end_bit, d.size() * 8);
            EXPECT_LT(b.final_header_bit, b.end_bit);
        }
    }
}
