// Test helper: writes trace directories with the real ChunkWriter, and reads profiles back.
#pragma once
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "chunk_writer.h"
#include "trace_dir.h"
#include "version.h"

// "MAJOR.MINOR" of the format this build writes (format/version.h is the owner).
inline std::string current_version_text() {
    return std::to_string(ftrace::format::kFormatMajor) + "." +
           std::to_string(ftrace::format::kFormatMinor);
}

namespace ftrace::testing {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() /
                ("ftrace-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    std::string str() const { return path_.string(); }

private:
    fs::path path_;
};

// Clock of the synthetic traces: 3 ticks per ns, monotonic base 1e12 ns, wall offset 1.7e18.
inline constexpr uint64_t kTickBase = 5'000'000'000'000ull;
inline constexpr int64_t kMonoBase = 1'000'000'000'000;
inline constexpr int64_t kWallOffset = 1'700'000'000'000'000'000;
inline uint64_t tick_at(int64_t ns) { return kTickBase + static_cast<uint64_t>(ns) * 3; }
inline format::ClockSync sync_at(int64_t ns) {
    return format::ClockSync{tick_at(ns), kMonoBase + ns, kMonoBase + ns + kWallOffset};
}

struct ThreadSpec {
    format::ThreadInfo info;
    std::vector<format::FuncDef> funcs;
    std::vector<format::RawEvent> events;  // ticks from tick_at()
    std::vector<format::Marker> markers;
    size_t events_per_chunk = 1000;
};

// Encodes a thread file: defs in chunk 0, sync points at each chunk's first event.
inline std::vector<uint8_t> encode_thread(const format::ProcessInfo& proc, const ThreadSpec& t) {
    format::ChunkWriter w;
    std::vector<uint8_t> bytes;
    size_t n = t.events.size();
    size_t chunks = std::max<size_t>(1, (n + t.events_per_chunk - 1) / t.events_per_chunk);
    for (size_t c = 0; c < chunks; ++c) {
        size_t b = c * t.events_per_chunk, e = std::min(n, b + t.events_per_chunk);
        format::ChunkInput in;
        in.seq = static_cast<uint32_t>(c);
        uint64_t tick = b < n ? t.events[b].tick : tick_at(0);
        int64_t ns = static_cast<int64_t>((tick - kTickBase) / 3);
        in.sync = sync_at(ns);
        in.process = c == 0 ? &proc : nullptr;
        in.thread = c == 0 ? &t.info : nullptr;
        if (c == 0) {
            in.funcs = t.funcs.data();
            in.func_count = t.funcs.size();
        }
        in.events = t.events.data() + b;
        in.event_count = e - b;
        if (c == chunks - 1) {
            in.markers = t.markers.data();
            in.marker_count = t.markers.size();
            in.last = true;
        }
        const auto& frame = w.encode(in);
        bytes.insert(bytes.end(), frame.begin(), frame.end());
    }
    return bytes;
}

inline void write_file(const fs::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Creates TRACE/FTRACE-TRACE and TRACE/p<pid>-<start>/t<i>-<tid>.ftrace for each thread.
inline fs::path write_process(const fs::path& trace, const format::ProcessInfo& proc,
                              const std::vector<ThreadSpec>& threads) {
    fs::create_directories(trace);
    {
        std::ofstream m(trace / format::kDirMarkerFile);
        m << format::dir_marker_text();
    }
    fs::path pdir = trace / format::process_dir_name(proc.pid, proc.start_realtime_ns);
    fs::create_directories(pdir);
    for (const auto& t : threads) {
        write_file(pdir / format::thread_file_name(t.info.index, t.info.tid), encode_thread(proc, t));
    }
    return pdir;
}

inline format::ProcessInfo make_process(int64_t pid, std::vector<std::string> argv,
                                        int64_t start = 1) {
    format::ProcessInfo p;
    p.pid = pid;
    p.ppid = 1;
    p.process_key = format::process_dir_name(pid, start);
    p.start_realtime_ns = start;
    p.argv = std::move(argv);
    p.executable = "/usr/bin/python3";
    p.python_version = "3.11.7";
    p.host = "testhost";
    return p;
}

inline format::FuncDef py_func(uint32_t id, std::string qualname, std::string file, int line) {
    return format::FuncDef{id, format::FuncKind::Python, qualname, qualname, std::move(file), line, ""};
}
inline format::FuncDef c_func(uint32_t id, std::string qualname, std::string module) {
    return format::FuncDef{id, format::FuncKind::C, qualname, qualname, "", 0, std::move(module)};
}

inline format::RawEvent ev(int64_t ns, format::EventKind kind, uint32_t arg = 0) {
    return format::RawEvent{tick_at(ns), arg, static_cast<uint32_t>(kind)};
}

inline std::string read_gzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    std::string out;
    if (!f) return out;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    gzclose(f);
    return out;
}

}  // namespace ftrace::testing
