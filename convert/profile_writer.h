// Writes the Firefox Profiler processed profile (format version 70, see
// /work/shared/FIREFOX-PROFILE-FORMAT.md) as a stream: begin() writes meta, thread() one
// thread at a time (so only one thread's samples are ever in memory), end() the shared
// tables and counters. The only code that knows the profile's JSON keys and version.
// Each part may go to its own JsonWriter (parallel conversion writes them as segments):
// thread() and end() then continue the document begin() opened.
#pragma once
#include <vector>

#include "json_writer.h"
#include "marker_schemas.h"
#include "profile_model.h"

namespace ftrace::convert {

inline constexpr int kProcessedProfileVersion = 70;
inline constexpr int kGeckoProfileVersion = 36;

class ProfileWriter {
public:
    explicit ProfileWriter(JsonWriter& w) : w_(w) {}

    void begin(const ProfileMeta& meta, const SchemaRegistry& schemas);
    // `index`: the thread's position in the threads array.
    void thread(const ThreadOut& t, const SchemaRegistry& schemas, size_t index);
    void end(const SharedTables& shared, const std::vector<CounterOut>& counters);
    // Same, on a fresh writer continuing the document begin() opened.
    void thread_segment(const ThreadOut& t, const SchemaRegistry& schemas, size_t index);
    void end_segment(const SharedTables& shared, const std::vector<CounterOut>& counters);

private:
    void write_schema(const MarkerSchema& s);
    void write_markers(const ThreadOut& t, const SchemaRegistry& schemas);
    void write_counter(const CounterOut& c);
    JsonWriter& w_;
};

}  // namespace ftrace::convert
