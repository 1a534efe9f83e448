// Plain C++ view of one chunk: what the writer takes and the reader returns.
// Only chunk_writer.cpp and chunk_reader.cpp know the flatbuffer and lz4 layers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event.h"

namespace ftrace::format {

enum class ClockKind : uint8_t { Tsc = 0, CntVct = 1, MonotonicNs = 2 };
enum class FuncKind : uint8_t { Python = 0, C = 1 };

struct ClockSync {
    uint64_t tick = 0;
    int64_t monotonic_ns = 0;
    int64_t realtime_ns = 0;
};

struct ProcessInfo {
    int64_t pid = 0;
    int64_t ppid = 0;
    std::string process_key;
    std::string parent_key;
    int64_t start_realtime_ns = 0;
    std::vector<std::string> argv;
    std::string executable;
    std::string python_version;
    std::string host;
    ClockKind clock = ClockKind::Tsc;
    std::optional<ClockSync> start_sync;  // format 1.1+
};

struct ThreadInfo {
    int64_t tid = 0;
    uint32_t index = 0;
    std::string name;
    bool is_main = false;
};

struct FuncDef {
    uint32_t id = 0;
    FuncKind kind = FuncKind::Python;
    std::string name;
    std::string qualname;
    std::string file;
    int32_t line = 0;
    std::string module;
};

struct MarkerField {
    std::string key;
    std::string text;
    double number = 0;
    bool is_number = false;
};

struct Marker {
    MarkerKind kind = MarkerKind::User;
    uint64_t start_tick = 0;
    uint64_t end_tick = 0;
    std::string name;
    std::vector<MarkerField> fields;
};

// The writer's input. Pointers/spans instead of copies so the recorder can pass its buffers.
struct ChunkInput {
    uint32_t seq = 0;
    ClockSync sync;
    const ProcessInfo* process = nullptr;  // required when seq == 0
    const ThreadInfo* thread = nullptr;    // required when seq == 0
    const FuncDef* funcs = nullptr;
    size_t func_count = 0;
    const RawEvent* events = nullptr;
    size_t event_count = 0;
    const Marker* markers = nullptr;
    size_t marker_count = 0;
    bool last = false;
    uint64_t dropped_events = 0;
};

// The reader's output.
struct Chunk {
    uint64_t file_offset = 0;  // where its lz4 frame starts
    uint16_t format_major = 0;
    uint16_t format_minor = 0;
    uint32_t seq = 0;
    ClockSync sync;
    std::optional<ProcessInfo> process;
    std::optional<ThreadInfo> thread;
    std::vector<FuncDef> funcs;
    std::vector<RawEvent> events;
    std::vector<Marker> markers;
    bool last = false;
    uint64_t dropped_events = 0;
};

}  // namespace ftrace::format
