// ftrace-synth-trace: writes a synthetic trace directory with the real ChunkWriter, for
// measuring conversion throughput. Not installed.
//
//   ftrace-synth-trace OUT_DIR [EVENTS=3000000] [PROCESSES=2] [THREADS_PER_PROCESS=2] [FANOUT=4]
//
// Call trees: each function calls one of FANOUT fixed callees (like a real program, stacks
// repeat); FANOUT 0 picks any function at random (nearly every call is a new stack: worst case).
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "chunk_writer.h"
#include "trace_dir.h"
#include "version.h"

using namespace ftrace::format;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR [EVENTS] [PROCESSES] [THREADS_PER_PROCESS] [FANOUT]\n", argv[0]);
        return 2;
    }
    fs::path out = argv[1];
    uint64_t total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3'000'000;
    int procs = argc > 3 ? std::atoi(argv[3]) : 2;
    int threads = argc > 4 ? std::atoi(argv[4]) : 2;
    uint32_t fanout = argc > 5 ? static_cast<uint32_t>(std::atoi(argv[5])) : 4;
    fs::create_directories(out);
    std::ofstream(out / kDirMarkerFile) << dir_marker_text();

    const uint32_t kFuncs = 2000;
    const uint64_t per_thread = total / static_cast<uint64_t>(procs * threads);
    const uint64_t tick0 = 9'000'000'000'000'000ull;  // ~1e16, TSC-like
    const int64_t mono0 = 50'000'000'000;
    const int64_t wall = 1'767'225'600'000'000'000;
    ChunkWriter writer;
    for (int p = 0; p < procs; ++p) {
        ProcessInfo pi;
        pi.pid = 1000 + p;
        pi.ppid = p == 0 ? 1 : 1000;
        pi.start_realtime_ns = wall + p;
        pi.process_key = process_dir_name(pi.pid, pi.start_realtime_ns);
        pi.parent_key = p == 0 ? "" : process_dir_name(1000, wall);
        pi.argv = {"python3", "synthetic.py", "--process", std::to_string(p)};
        pi.executable = "/usr/bin/python3";
        pi.python_version = "3.12.1";
        pi.host = "bench";
        fs::path pdir = out / pi.process_key;
        fs::create_directories(pdir);
        for (int t = 0; t < threads; ++t) {
            ThreadInfo ti{2000 + p * 100 + t, static_cast<uint32_t>(t),
                          t == 0 ? "MainThread" : "Worker-" + std::to_string(t), t == 0};
            std::mt19937_64 rng(static_cast<uint64_t>(p * 1000 + t));
            std::vector<uint32_t> stack;   // function ids; C ids have the high bit set
            std::vector<bool> defined(kFuncs, false);
            std::ofstream f(pdir / thread_file_name(ti.index, ti.tid), std::ios::binary);
            uint64_t tick = tick0 + static_cast<uint64_t>(t) * 1000;
            uint64_t written = 0;
            uint32_t seq = 0;
            while (written < per_thread) {
                std::vector<RawEvent> ev;
                std::vector<FuncDef> defs;
                const size_t n = std::min<uint64_t>(per_thread - written, 65536);
                for (size_t i = 0; i < n; ++i) {
                    tick += 30 + rng() % 3000;  // ~10 ns .. 1 us at 3 ticks/ns
                    uint64_t r = rng() % 100;
                    bool must_return = stack.size() >= 40;
                    if (!stack.empty() && (must_return || r < 48)) {
                        bool is_c = stack.back() & 0x80000000u;
                        stack.pop_back();
                        ev.push_back({tick, 0, static_cast<uint32_t>(is_c ? EventKind::CReturn : EventKind::PyReturn)});
                    } else if (r < 50) {
                        ev.push_back({tick, static_cast<uint32_t>(64 + rng() % 4096), static_cast<uint32_t>(EventKind::Alloc)});
                    } else {
                        // Zipf-ish choice: small ids are hot.
                        uint32_t id;
                        if (fanout == 0 || stack.empty()) {
                            id = static_cast<uint32_t>((rng() % kFuncs) * (rng() % kFuncs) / kFuncs);
                        } else {
                            uint64_t h = (stack.back() & 0x7fffffffu) * 0x9E3779B97F4A7C15ull + rng() % fanout;
                            h ^= h >> 29;
                            h *= 0xBF58476D1CE4E5B9ull;
                            id = static_cast<uint32_t>((h >> 32) % kFuncs);
                        }
                        if (!defined[id]) {
                            defined[id] = true;
                            FuncDef d;
                            d.id = id;
                            d.kind = id % 5 == 0 ? FuncKind::C : FuncKind::Python;
                            d.name = "f" + std::to_string(id);
                            d.qualname = "Mod" + std::to_string(id % 37) + ".f" + std::to_string(id);
                            if (d.kind == FuncKind::C) {
                                d.module = "builtins";
                            } else {
                                d.file = "/app/pkg/mod" + std::to_string(id % 37) + ".py";
                                d.line = static_cast<int32_t>(10 + id);
                            }
                            defs.push_back(d);
                        }
                        bool c_kind = id % 5 == 0;
                        if (c_kind && stack.size() && (stack.back() & 0x80000000u)) {
                            // C calls only from Python frames: make it a return instead.
                            stack.pop_back();
                            ev.push_back({tick, 0, static_cast<uint32_t>(EventKind::CReturn)});
                        } else {
                            stack.push_back(id | (c_kind ? 0x80000000u : 0));
                            ev.push_back({tick, id, static_cast<uint32_t>(c_kind ? EventKind::CCall : EventKind::PyCall)});
                        }
                    }
                }
                written += n;
                ChunkInput in;
                in.seq = seq;
                in.sync = ClockSync{ev.front().tick, mono0 + static_cast<int64_t>((ev.front().tick - tick0) / 3),
                                    wall + mono0 + static_cast<int64_t>((ev.front().tick - tick0) / 3)};
                in.process = seq == 0 ? &pi : nullptr;
                in.thread = seq == 0 ? &ti : nullptr;
                in.funcs = defs.data();
                in.func_count = defs.size();
                in.events = ev.data();
                in.event_count = ev.size();
                Marker m;
                m.kind = MarkerKind::Print;
                m.start_tick = m.end_tick = ev.back().tick;
                m.name = "print";
                m.fields = {MarkerField{"text", "chunk " + std::to_string(seq), 0, false}};
                in.markers = &m;
                in.marker_count = 1;
                in.last = written >= per_thread;
                const auto& bytes = writer.encode(in);
                f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
                ++seq;
            }
        }
    }
    std::printf("wrote %s: %d processes x %d threads, %llu events\n", out.c_str(), procs, threads,
                static_cast<unsigned long long>(per_thread * static_cast<uint64_t>(procs * threads)));
    return 0;
}
