// Reads trace directories into memory: processes, their threads, and everything each
// thread file holds (events, markers, function definitions, clock sync points), plus
// every problem found on the way as a readable warning. Knows nothing about the profile.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chunk.h"
#include "chunk_reader.h"

namespace ftrace::convert {

struct LoadedThread {
    std::string file;
    uint64_t bytes = 0;   // size on disk
    size_t chunks = 0;    // good chunks read
    std::optional<format::ThreadInfo> info;      // the latest one (threads can be renamed)
    std::optional<format::ProcessInfo> process;  // from the first chunk carrying it
    uint16_t format_major = 0, format_minor = 0;
    std::unordered_map<uint32_t, format::FuncDef> funcs;  // this file's definitions by id
    std::vector<format::RawEvent> events;                 // empty unless LoadOptions::keep_events
    std::vector<format::Marker> markers;
    std::vector<format::ClockSync> syncs;
    uint64_t event_count = 0;
    uint64_t first_tick = UINT64_MAX, last_tick = 0;  // over events and markers
    bool saw_last = false;
    uint64_t last_chunk_offset = 0;  // where the last good chunk starts
    uint64_t dropped_events = 0;
    std::vector<format::ReadIssue> issues;
};

struct LoadedProcess {
    std::string dir;      // the process folder
    std::string trace_dir;
    format::ProcessInfo info;  // from the first readable thread file
    bool has_info = false;
    std::vector<LoadedThread> threads;  // ordered by thread index
};

struct LoadedTrace {
    std::vector<LoadedProcess> processes;  // only processes with at least one readable chunk
    // Warnings in the order found, each "PATH: [offset N: ]message".
    std::vector<std::string> warnings;
    // Fatal input errors (a missing DIR, a directory that is no trace): nothing was loaded.
    std::vector<std::string> errors;
    uint64_t total_events = 0;
    uint64_t total_bytes = 0;
    size_t thread_count() const {
        size_t n = 0;
        for (const auto& p : processes) n += p.threads.size();
        return n;
    }
};

struct LoadOptions {
    bool keep_events = true;   // `info` only needs counts and spans
    int jobs = 0;              // reader threads; 0 = one per core (at most the file count)
};

// Reads a single thread file.
LoadedThread load_thread_file(const std::string& path, bool keep_events);
LoadedThread load_thread_bytes(const std::string& name, const uint8_t* data, size_t size,
                               bool keep_events);

LoadedTrace load_trace(const std::vector<std::string>& dirs, const LoadOptions& options = {});

}  // namespace ftrace::convert
