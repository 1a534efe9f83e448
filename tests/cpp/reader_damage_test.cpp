// The reader and the loader on damaged, foreign and future input: every problem is reported
// with the file's name, and every chunk before it is kept.
#include <gtest/gtest.h>
#include <lz4frame.h>

#include "chunk_reader.h"
#include "trace_fixture.h"
#include "trace_generated.h"
#include "trace_loader.h"

using namespace ftrace;
using namespace ftrace::testing;
using format::EventKind;

namespace {

// 3 chunks of 100 call/return pairs... (200 events per chunk).
std::vector<uint8_t> three_chunks(std::vector<size_t>* frame_starts = nullptr) {
    auto proc = make_process(42, {"python3", "app.py"});
    ThreadSpec t;
    t.info = {4242, 0, "MainThread", true};
    t.funcs = {py_func(1, "f", "app.py", 3)};
    for (int i = 0; i < 300; ++i) {
        t.events.push_back(ev(i * 10, EventKind::PyCall, 1));
        t.events.push_back(ev(i * 10 + 5, EventKind::PyReturn));
    }
    t.events_per_chunk = 200;
    auto bytes = encode_thread(proc, t);
    if (frame_starts) {
        for (size_t i = 0; i + 4 <= bytes.size(); ++i) {
            if (bytes[i] == 0x04 && bytes[i + 1] == 0x22 && bytes[i + 2] == 0x4D && bytes[i + 3] == 0x18) {
                frame_starts->push_back(i);
            }
        }
    }
    return bytes;
}

// An LZ4 frame holding a chunk that claims `major`, otherwise well formed.
std::vector<uint8_t> chunk_with_major(uint16_t major, uint32_t seq) {
    flatbuffers::FlatBufferBuilder b;
    ftrace::fb::ClockSync sync(1, 2, 3);
    ftrace::fb::ChunkBuilder cb(b);
    cb.add_format_major(major);
    cb.add_format_minor(0);
    cb.add_seq(seq);
    cb.add_sync(&sync);
    b.FinishSizePrefixed(cb.Finish(), ftrace::fb::ChunkIdentifier());
    std::vector<uint8_t> frame(LZ4F_compressFrameBound(b.GetSize(), nullptr));
    size_t n = LZ4F_compressFrame(frame.data(), frame.size(), b.GetBufferPointer(), b.GetSize(), nullptr);
    EXPECT_FALSE(LZ4F_isError(n));
    frame.resize(n);
    return frame;
}

bool any_issue_contains(const std::vector<format::ReadIssue>& issues, const std::string& s) {
    for (const auto& i : issues) {
        if (i.message.find(s) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

TEST(ReaderDamage, TruncatedAnywhereInTheLastChunkKeepsTheEarlierOnes) {
    std::vector<size_t> starts;
    auto file = three_chunks(&starts);
    ASSERT_EQ(starts.size(), 3u);
    for (size_t cut = starts[2] + 1; cut < file.size(); cut += 13) {
        auto t = convert::load_thread_bytes("cut.ftrace", file.data(), cut, true);
        EXPECT_EQ(t.chunks, 2u) << "cut at " << cut;
        EXPECT_EQ(t.event_count, 400u);
        ASSERT_FALSE(t.issues.empty());
        EXPECT_EQ(t.issues[0].file, "cut.ftrace");
        EXPECT_NE(t.issues[0].to_string().find("cut.ftrace: offset "), std::string::npos);
        EXPECT_FALSE(t.saw_last);
    }
}

TEST(ReaderDamage, BitFlipsNeverCrashAndCostOnlyTheirChunk) {
    std::vector<size_t> starts;
    auto pristine = three_chunks(&starts);
    size_t mid_begin = starts[1], mid_end = starts[2];
    for (size_t pos = mid_begin; pos < mid_end; pos += 7) {
        auto file = pristine;
        file[pos] ^= static_cast<uint8_t>(1u << (pos % 8));
        auto t = convert::load_thread_bytes("flip.ftrace", file.data(), file.size(), true);
        EXPECT_GE(t.chunks, 2u) << "flip at " << pos;  // chunk 0 and 2 survive
        EXPECT_FALSE(t.issues.empty()) << "flip at " << pos << " went unnoticed";
        for (const auto& i : t.issues) EXPECT_EQ(i.file, "flip.ftrace");
        EXPECT_EQ(t.process.has_value(), true);
    }
}

TEST(ReaderDamage, EmptyAndForeignFiles) {
    auto e = convert::load_thread_bytes("empty.ftrace", nullptr, 0, true);
    EXPECT_EQ(e.chunks, 0u);
    ASSERT_EQ(e.issues.size(), 1u);
    EXPECT_NE(e.issues[0].message.find("empty"), std::string::npos);

    std::string text = "#!/bin/sh\necho this is a shell script, not a trace\n";
    auto f = convert::load_thread_bytes("script.ftrace", reinterpret_cast<const uint8_t*>(text.data()),
                                        text.size(), true);
    EXPECT_EQ(f.chunks, 0u);
    ASSERT_FALSE(f.issues.empty());
    EXPECT_NE(f.issues[0].to_string().find("script.ftrace"), std::string::npos);

    // A valid LZ4 frame whose content is not a chunk.
    std::string payload(1000, 'x');
    std::vector<uint8_t> frame(LZ4F_compressFrameBound(payload.size(), nullptr));
    frame.resize(LZ4F_compressFrame(frame.data(), frame.size(), payload.data(), payload.size(), nullptr));
    auto g = convert::load_thread_bytes("lz4.ftrace", frame.data(), frame.size(), true);
    EXPECT_EQ(g.chunks, 0u);
    EXPECT_TRUE(any_issue_contains(g.issues, "not an ftrace chunk"));
}

TEST(ReaderDamage, FutureMajorVersionIsRefusedClearlyAfterKeepingEarlierChunks) {
    auto file = three_chunks();
    auto future = chunk_with_major(99, 3);
    file.insert(file.end(), future.begin(), future.end());
    auto t = convert::load_thread_bytes("future.ftrace", file.data(), file.size(), true);
    EXPECT_EQ(t.chunks, 3u);
    EXPECT_EQ(t.event_count, 600u);
    ASSERT_EQ(t.issues.size(), 1u);
    EXPECT_EQ(t.issues[0].file, "future.ftrace");
    EXPECT_NE(t.issues[0].message.find("99"), std::string::npos) << t.issues[0].message;
    EXPECT_NE(t.issues[0].message.find("upgrade ftrace"), std::string::npos) << t.issues[0].message;

    // A file that is entirely from the future: nothing readable, one clear issue.
    auto only = chunk_with_major(99, 0);
    auto u = convert::load_thread_bytes("new.ftrace", only.data(), only.size(), true);
    EXPECT_EQ(u.chunks, 0u);
    ASSERT_EQ(u.issues.size(), 1u);
    EXPECT_NE(u.issues[0].message.find("upgrade ftrace"), std::string::npos);
}

TEST(ReaderDamage, GarbageBetweenChunksIsSkippedAndReported) {
    std::vector<size_t> starts;
    auto file = three_chunks(&starts);
    std::vector<uint8_t> junk(77, 0xAB);
    file.insert(file.begin() + static_cast<std::ptrdiff_t>(starts[1]), junk.begin(), junk.end());
    auto t = convert::load_thread_bytes("junk.ftrace", file.data(), file.size(), true);
    EXPECT_EQ(t.chunks, 3u);
    EXPECT_FALSE(t.issues.empty());
}

// The reader keeps one lz4 context for the whole file: a frame abandoned at any point (here: cut
// short, so the decoder runs into the next frame's bytes) must not spoil the frame after it.
TEST(ReaderDamage, FrameCutShortAnywhereDoesNotSpoilTheNextFrame) {
    std::vector<size_t> starts;
    auto pristine = three_chunks(&starts);
    ASSERT_EQ(starts.size(), 3u);
    const auto whole = format::read_thread_bytes("whole.ftrace", pristine.data(), pristine.size());
    ASSERT_EQ(whole.chunks.size(), 3u);
    ASSERT_TRUE(whole.issues.empty());
    for (size_t cut = starts[1] + 1; cut < starts[2]; ++cut) {
        std::vector<uint8_t> file(pristine.begin(), pristine.begin() + static_cast<std::ptrdiff_t>(cut));
        file.insert(file.end(), pristine.begin() + static_cast<std::ptrdiff_t>(starts[2]), pristine.end());
        auto r = format::read_thread_bytes("cut.ftrace", file.data(), file.size());
        ASSERT_EQ(r.chunks.size(), 2u) << "frame 1 cut at " << cut;
        EXPECT_EQ(r.chunks[0].seq, 0u);
        EXPECT_EQ(r.chunks[1].seq, 2u);
        EXPECT_EQ(r.chunks[1].events.size(), whole.chunks[2].events.size()) << "cut at " << cut;
        EXPECT_EQ(r.chunks[1].events.back().tick, whole.chunks[2].events.back().tick);
        EXPECT_TRUE(r.chunks[1].last);
        EXPECT_EQ(r.issues.front().offset, starts[1]) << "cut at " << cut;
        EXPECT_TRUE(any_issue_contains(r.issues, "chunks lost")) << "cut at " << cut;
    }
}

TEST(TraceLoader, MissingAndForeignDirectoriesAreErrorsNamingThePath) {
    TempDir tmp;
    auto missing = convert::load_trace({(tmp.path() / "nope").string()});
    ASSERT_EQ(missing.errors.size(), 1u);
    EXPECT_NE(missing.errors[0].find("nope"), std::string::npos);

    fs::create_directories(tmp.path() / "plain");
    std::ofstream(tmp.path() / "plain" / "notes.txt") << "hello";
    auto plain = convert::load_trace({(tmp.path() / "plain").string()});
    ASSERT_EQ(plain.errors.size(), 1u);
    EXPECT_NE(plain.errors[0].find("not an ftrace trace directory"), std::string::npos);

    std::ofstream(tmp.path() / "file") << "x";
    auto file = convert::load_trace({(tmp.path() / "file").string()});
    ASSERT_EQ(file.errors.size(), 1u);
    EXPECT_NE(file.errors[0].find("not a directory"), std::string::npos);
}

TEST(TraceLoader, DamagedFilesAreWarningsAndTheRestLoads) {
    TempDir tmp;
    auto trace = tmp.path() / "t.dir";
    auto proc = make_process(10, {"python3", "x.py"});
    ThreadSpec a;
    a.info = {10, 0, "MainThread", true};
    a.funcs = {py_func(1, "f", "x.py", 1)};
    a.events = {ev(0, EventKind::PyCall, 1), ev(100, EventKind::PyReturn)};
    ThreadSpec b = a;
    b.info = {11, 1, "worker", false};
    auto pdir = write_process(trace, proc, {a, b});
    // Thread 1's file: truncate to half; add an empty thread file and a stray file.
    auto f1 = pdir / format::thread_file_name(1, 11);
    fs::resize_file(f1, fs::file_size(f1) / 2);
    write_file(pdir / format::thread_file_name(2, 12), {});
    std::ofstream(pdir / "stray.txt") << "?";

    auto t = convert::load_trace({trace.string()});
    EXPECT_TRUE(t.errors.empty());
    ASSERT_EQ(t.processes.size(), 1u);
    EXPECT_EQ(t.processes[0].threads.size(), 1u);  // only the good file has chunks
    EXPECT_EQ(t.total_events, 2u);
    auto has = [&](const std::string& s) {
        for (const auto& w : t.warnings) {
            if (w.find(s) != std::string::npos) return true;
        }
        return false;
    };
    EXPECT_TRUE(has(f1.string() + ": offset 0: "));
    EXPECT_TRUE(has("t2-12.ftrace: offset 0: empty"));
    EXPECT_TRUE(has("stray.txt"));
}
