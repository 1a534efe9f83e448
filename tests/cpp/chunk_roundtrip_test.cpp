#include <gtest/gtest.h>

#include "chunk_reader.h"
#include "chunk_writer.h"
#include "version.h"

using namespace ftrace::format;

namespace {

std::vector<uint8_t> sample_file(int chunks, std::vector<RawEvent>* all = nullptr) {
    ProcessInfo p;
    p.pid = 42;
    p.ppid = 1;
    p.process_key = "p42-1";
    p.argv = {"python3", "app.py", "--flag"};
    p.executable = "/usr/bin/python3";
    p.python_version = "3.11.7";
    p.host = "box";
    ThreadInfo t{4242, 0, "MainThread", true};
    ChunkWriter w;
    std::vector<uint8_t> file;
    uint64_t tick = 1000;
    for (int c = 0; c < chunks; ++c) {
        std::vector<RawEvent> ev;
        for (int i = 0; i < 100; ++i) {
            tick += 7 + (i % 5) * 300;
            ev.push_back(RawEvent{tick, static_cast<uint32_t>(i % 2 ? 0 : i + c), static_cast<uint32_t>(i % 2)});
        }
        if (all) all->insert(all->end(), ev.begin(), ev.end());
        std::vector<FuncDef> defs;
        if (c == 0) defs.push_back(FuncDef{0, FuncKind::Python, "f", "mod.f", "app.py", 10, ""});
        Marker m;
        m.kind = MarkerKind::Print;
        m.start_tick = m.end_tick = tick;
        m.name = "print";
        m.fields.push_back(MarkerField{"text", "hello", 0, false});
        ChunkInput in;
        in.seq = static_cast<uint32_t>(c);
        in.sync = ClockSync{tick, 5, 6};
        in.process = c == 0 ? &p : nullptr;
        in.thread = c == 0 ? &t : nullptr;
        in.funcs = defs.data();
        in.func_count = defs.size();
        in.events = ev.data();
        in.event_count = ev.size();
        in.markers = &m;
        in.marker_count = 1;
        in.last = c == chunks - 1;
        const auto& bytes = w.encode(in);
        file.insert(file.end(), bytes.begin(), bytes.end());
    }
    return file;
}

}  // namespace

TEST(ChunkRoundTrip, EventsAndMetadataSurvive) {
    std::vector<RawEvent> all;
    auto file = sample_file(3, &all);
    auto r = read_thread_bytes("mem", file.data(), file.size());
    ASSERT_TRUE(r.issues.empty()) << r.issues[0].to_string();
    ASSERT_EQ(r.chunks.size(), 3u);
    ASSERT_TRUE(r.chunks[0].process);
    EXPECT_EQ(r.chunks[0].process->argv[2], "--flag");
    EXPECT_EQ(r.chunks[0].thread->name, "MainThread");
    EXPECT_EQ(r.chunks[0].funcs.at(0).qualname, "mod.f");
    EXPECT_EQ(r.chunks[2].markers.at(0).fields.at(0).text, "hello");
    EXPECT_TRUE(r.chunks[2].last);
    std::vector<RawEvent> got;
    for (auto& c : r.chunks) got.insert(got.end(), c.events.begin(), c.events.end());
    ASSERT_EQ(got.size(), all.size());
    for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(got[i].tick, all[i].tick);
        EXPECT_EQ(got[i].arg, all[i].arg);
        EXPECT_EQ(got[i].kind, all[i].kind);
    }
}

TEST(ChunkReader, TruncatedTailKeepsEarlierChunks) {
    auto file = sample_file(3);
    for (size_t cut = 1; cut < 40; cut += 7) {
        auto r = read_thread_bytes("trunc.ftrace", file.data(), file.size() - cut);
        EXPECT_EQ(r.chunks.size(), 2u);
        ASSERT_FALSE(r.issues.empty());
        EXPECT_NE(r.issues[0].to_string().find("trunc.ftrace"), std::string::npos);
    }
}

TEST(ChunkReader, CorruptMiddleChunkIsSkipped) {
    auto file = sample_file(3);
    auto one = sample_file(1);
    // Flip a byte inside the second frame.
    size_t second = one.size();  // frames have equal-ish sizes; find the 2nd magic instead
    for (size_t i = 4; i + 4 < file.size(); ++i) {
        if (file[i] == 0x04 && file[i + 1] == 0x22 && file[i + 2] == 0x4d && file[i + 3] == 0x18) {
            second = i;
            break;
        }
    }
    file[second + 40] ^= 0xff;
    auto r = read_thread_bytes("bad.ftrace", file.data(), file.size());
    EXPECT_EQ(r.chunks.size(), 2u);
    EXPECT_FALSE(r.issues.empty());
}

TEST(ChunkReader, EmptyAndForeign) {
    auto r = read_thread_bytes("empty.ftrace", nullptr, 0);
    EXPECT_TRUE(r.chunks.empty());
    ASSERT_EQ(r.issues.size(), 1u);
    std::string junk = "this is not a trace file at all";
    auto f = read_thread_bytes("junk.ftrace", reinterpret_cast<const uint8_t*>(junk.data()), junk.size());
    EXPECT_TRUE(f.chunks.empty());
    ASSERT_EQ(f.issues.size(), 1u);
    EXPECT_NE(f.issues[0].message.find("not an ftrace"), std::string::npos);
}
