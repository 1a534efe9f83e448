// Pieces compressed independently must form one valid single-member gzip stream.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <thread>

#include "gzip_pieces.h"
#include "parallel_output.h"

using namespace ftrace::convert;

namespace {

// Inflates one gzip member (checking CRC and size); `trailing` gets the bytes after it.
std::string gunzip_one_member(const std::string& gz, size_t* trailing) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    std::string out;
    char buf[1 << 16];
    int rc;
    do {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    } while (rc == Z_OK);
    EXPECT_EQ(rc, Z_STREAM_END) << (z.msg ? z.msg : "");
    *trailing = z.avail_in;
    inflateEnd(&z);
    return out;
}

std::string json_like(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s;
    while (s.size() < n) {
        s += std::to_string(rng() % 5000);
        s += rng() % 3 ? "," : ",0.000";
    }
    s.resize(n);
    return s;
}

}  // namespace

TEST(GzipPieces, StitchedPiecesAreOneMemberThatInflatesToTheInput) {
    // Empty, tiny, ordinary and multi-block (several MB) pieces, and random bytes.
    std::vector<std::string> pieces = {json_like(1000, 1), "", "x", json_like(1 << 20, 2),
                                       json_like(5 << 20, 3)};
    std::string noise(300000, '\0');
    std::mt19937 rng(4);
    for (auto& c : noise) c = static_cast<char>(rng());
    pieces.push_back(noise);
    for (int level : {1, 4}) {
        PieceCompressor pc(level);
        std::string gz = gzip_member_header(), all;
        uint32_t crc = 0;
        uint64_t total = 0;
        for (const auto& p : pieces) {
            DeflatedPiece d;
            std::string err;
            ASSERT_TRUE(pc.compress(p.data(), p.size(), d, err)) << err;
            gz += d.bytes;
            crc = crc32_concat(crc, d.crc, d.size);
            total += d.size;
            all += p;
        }
        gz += gzip_member_footer(crc, total);
        size_t trailing = 99;
        EXPECT_EQ(gunzip_one_member(gz, &trailing), all) << "level " << level;
        EXPECT_EQ(trailing, 0u);
        EXPECT_LT(gz.size(), all.size() / 2);
    }
}

TEST(ParallelOutput, SegmentsFromManyThreadsComeOutInOrder) {
    for (bool gzip : {false, true}) {
        StringSink dest;
        const size_t kSegments = 12;
        std::vector<std::string> expect(kSegments);
        for (size_t i = 0; i < kSegments; ++i) expect[i] = json_like(1000 + i * 70000, static_cast<uint32_t>(i));
        {
            ParallelOutput out(dest, kSegments, gzip, 1, 3, 16384);
            std::vector<std::thread> producers;
            // Later segments start first: the writer must still keep the order.
            for (size_t i = kSegments; i-- > 0;) {
                producers.emplace_back([&, i] {
                    auto s = out.segment(i);
                    const std::string& text = expect[i];
                    for (size_t k = 0; k < text.size(); k += 777) s->write(text.data() + k, std::min<size_t>(777, text.size() - k));
                    s->close();
                });
            }
            for (auto& t : producers) t.join();
            ASSERT_TRUE(out.finish()) << out.error();
        }
        std::string all;
        for (const auto& e : expect) all += e;
        if (gzip) {
            size_t trailing = 99;
            EXPECT_EQ(gunzip_one_member(dest.out, &trailing), all);
            EXPECT_EQ(trailing, 0u);
        } else {
            EXPECT_EQ(dest.out, all);
        }
    }
}
