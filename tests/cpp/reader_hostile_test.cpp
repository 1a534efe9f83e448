// The reader on hostile input: sizes claimed by the file are never trusted for allocation,
// odd file types never hang or crash, and each refusal names the file and offset.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <lz4frame.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "chunk_reader.h"
#include "trace_generated.h"
#include "version.h"

using namespace ftrace;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> lz4_frame(const uint8_t* data, size_t size, uint64_t claimed_size) {
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.contentSize = claimed_size;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    std::vector<uint8_t> frame(LZ4F_compressFrameBound(size, &prefs));
    size_t n = LZ4F_compressFrame(frame.data(), frame.size(), data, size, &prefs);
    EXPECT_FALSE(LZ4F_isError(n)) << LZ4F_getErrorName(n);
    frame.resize(n);
    return frame;
}

// XXH32 of at most 15 bytes (seed 0): the lz4 frame header checksum, so a test can forge a
// header that lz4's own API would not write.
uint32_t xxh32_small(const uint8_t* p, size_t len) {
    constexpr uint32_t P1 = 2654435761u, P2 = 2246822519u, P3 = 3266489917u, P4 = 668265263u,
                       P5 = 374761393u;
    auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
    uint32_t h = P5 + static_cast<uint32_t>(len);
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t v = p[i] | p[i + 1] << 8 | p[i + 2] << 16 | static_cast<uint32_t>(p[i + 3]) << 24;
        h = rotl(h + v * P3, 17) * P4;
    }
    for (; i < len; ++i) h = rotl(h + p[i] * P5, 11) * P1;
    h ^= h >> 15;
    h *= P2;
    h ^= h >> 13;
    h *= P3;
    h ^= h >> 16;
    return h;
}

// Rewrites the content size in a frame header written with a content size (bytes 6..13).
void forge_content_size(std::vector<uint8_t>& frame, uint64_t size) {
    ASSERT_TRUE(frame[4] & 0x08) << "frame written without a content size";
    for (int i = 0; i < 8; ++i) frame[6 + i] = static_cast<uint8_t>(size >> (8 * i));
    frame[14] = static_cast<uint8_t>(xxh32_small(&frame[4], 10) >> 8);
}

bool has_issue(const std::vector<format::ReadIssue>& issues, const std::string& s) {
    for (const auto& i : issues) {
        if (i.message.find(s) != std::string::npos) return true;
    }
    return false;
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "ftrace-hostile-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

TEST(ReaderHostile, FrameClaimingHugeContentSizeIsRefusedWithoutAllocating) {
    std::vector<uint8_t> payload(100, 0x41);
    // The header claims 1 TiB: the reader must refuse rather than reserve it.
    auto frame = lz4_frame(payload.data(), payload.size(), payload.size());
    forge_content_size(frame, uint64_t{1} << 40);
    auto r = format::read_thread_bytes("huge", frame.data(), frame.size());
    EXPECT_TRUE(r.chunks.empty());
    ASSERT_FALSE(r.issues.empty());
    EXPECT_EQ(r.issues[0].file, "huge");
    EXPECT_EQ(r.issues[0].offset, 0u);
    EXPECT_TRUE(has_issue(r.issues, "more than the limit")) << r.issues[0].to_string();
}

TEST(ReaderHostile, FrameLyingAboutItsSizeIsCaughtByTheDecoder) {
    std::vector<uint8_t> payload(5000, 0x42);
    for (uint64_t claim : {uint64_t{4000}, uint64_t{60} << 20}) {  // too small; big but allowed
        auto frame = lz4_frame(payload.data(), payload.size(), payload.size());
        forge_content_size(frame, claim);
        auto r = format::read_thread_bytes("liar", frame.data(), frame.size());
        EXPECT_TRUE(r.chunks.empty()) << claim;
        EXPECT_FALSE(r.issues.empty()) << claim;
    }
}

TEST(ReaderHostile, EventCountAboveTheFormatLimitIsRefused) {
    // Columns big enough for the count (one byte per event each), so only the limit stops it.
    const uint32_t count = format::kMaxChunkEvents + 1;
    std::vector<uint8_t> zeros(count, 0);
    flatbuffers::FlatBufferBuilder b;
    auto ticks = b.CreateVector(zeros);
    auto ops = b.CreateVector(zeros);
    fb::ClockSync sync(1, 2, 3);
    fb::ChunkBuilder cb(b);
    cb.add_format_major(format::kFormatMajor);
    cb.add_sync(&sync);
    cb.add_event_count(count);
    cb.add_ticks(ticks);
    cb.add_ops(ops);
    b.FinishSizePrefixed(cb.Finish(), fb::ChunkIdentifier());
    format::Chunk chunk;
    std::string error;
    bool fatal = false;
    EXPECT_FALSE(format::decode_chunk_payload(b.GetBufferPointer(), b.GetSize(), chunk, error, fatal));
    EXPECT_NE(error.find("more than the limit"), std::string::npos) << error;
    EXPECT_TRUE(chunk.events.empty());
}

TEST(ReaderHostile, FifoDirectoryAndSymlinkAreRefusedWithoutHanging) {
    TempDir d;
    const fs::path fifo = d.path / "t0-1.ftrace";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);  // opening it for reading would block
    auto r = format::read_thread_file(fifo.string());
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_TRUE(has_issue(r.issues, "not a regular file"));

    const fs::path dir = d.path / "t1-1.ftrace";
    fs::create_directory(dir);
    r = format::read_thread_file(dir.string());
    EXPECT_TRUE(has_issue(r.issues, "not a regular file"));

    const fs::path link = d.path / "t2-1.ftrace";
    fs::create_symlink("/etc/hostname", link);
    r = format::read_thread_file(link.string());
    EXPECT_TRUE(r.chunks.empty());
    ASSERT_FALSE(r.issues.empty());
    EXPECT_EQ(r.issues[0].file, link.string());
    EXPECT_TRUE(has_issue(r.issues, "cannot open")) << r.issues[0].to_string();
}

TEST(ReaderHostile, HugeSparseFileIsScannedNotLoaded) {
    // 512 MiB of holes after a valid-looking start: the resync scan must get through it
    // (memmem over the mapping) and report one damaged region, without reading it into memory.
    TempDir d;
    const fs::path f = d.path / "t0-1.ftrace";
    std::vector<uint8_t> payload(64, 0x43);
    auto frame = lz4_frame(payload.data(), payload.size(), payload.size());
    int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
    ASSERT_EQ(::ftruncate(fd, off_t{512} << 20), 0);
    ::close(fd);
    auto r = format::read_thread_file(f.string());
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_TRUE(has_issue(r.issues, "not an ftrace chunk"));  // the frame holds no chunk
}

TEST(ReaderHostile, PayloadTooShortForTheFileIdentifier) {
    // Found by chunk_payload_fuzzer: 9 bytes made the identifier check read past the end.
    for (size_t n = 0; n < 12; ++n) {
        std::vector<uint8_t> p(n, 0);
        format::Chunk chunk;
        std::string error;
        bool fatal = false;
        EXPECT_FALSE(format::decode_chunk_payload(p.data(), p.size(), chunk, error, fatal)) << n;
        EXPECT_FALSE(fatal);
    }
}
