// The profile as the converter builds it, before it is written: shared tables with
// interning, plus the per-thread and per-counter pieces. No JSON here (profile_writer.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "categories.h"
#include "chunk.h"
#include "marker_schemas.h"
#include "sample_columns.h"
#include "stack_replay.h"
#include "stack_table.h"
#include "string_table.h"

namespace ftrace::convert {

inline constexpr int32_t kNone = -1;  // "no index" (written as -1 or null as the format wants)

// Function, frame, resource and source tables shared by all threads. One frame per func.
class SharedTables {
public:
    StringTable strings;
    StackTable stacks;

    // funcTable
    std::vector<uint32_t> func_name;
    std::vector<bool> func_is_python;
    std::vector<int32_t> func_resource;  // kNone = -1
    std::vector<int32_t> func_source;    // kNone = null
    std::vector<int32_t> func_line;      // <= 0 = null
    // frameTable (frame i belongs to func frame_func[i])
    std::vector<uint32_t> frame_func;
    std::vector<uint8_t> frame_category;
    std::vector<int32_t> frame_line;     // <= 0 = null
    // resourceTable / sources
    std::vector<uint32_t> resource_name;
    std::vector<uint32_t> source_file;

    // Returns the frame of `def`, creating func and frame on first sight. Identical functions
    // (kind, qualname, file, line, module) of different threads and processes share one.
    uint32_t frame_for(const format::FuncDef& def);
    // A placeholder for a function id without definition.
    uint32_t frame_for_unknown(uint32_t id, bool is_c);

    size_t func_count() const { return func_name.size(); }
    size_t frame_count() const { return frame_func.size(); }

private:
    uint32_t resource_for(const std::string& name);
    uint32_t source_for(const std::string& file);
    std::unordered_map<std::string, uint32_t> func_index_;  // key -> frame
    std::unordered_map<uint32_t, uint32_t> resource_index_;  // name string -> resource
    std::unordered_map<uint32_t, uint32_t> source_index_;    // file string -> source
};

struct MarkerOut {
    uint32_t name;     // string index
    int64_t start_ns;  // relative
    int64_t end_ns;
    bool instant;
    uint8_t category;
    uint32_t schema;   // index into the schema registry
    const format::Marker* source;  // fields written as data
};

struct ThreadOut {
    std::string name;
    std::string process_name;
    std::string pid;
    int64_t tid = 0;
    bool is_main = false;
    int64_t process_start_ns = 0, process_end_ns = 0;
    int64_t register_ns = 0, unregister_ns = 0;
    SampleColumns samples;  // sorted, closing null sample last
    const std::vector<uint32_t>* stack_map = nullptr;  // written index = (*stack_map)[sample's]
    std::vector<MarkerOut> markers;
};

struct CounterOut {
    std::string name, description, pid;
    uint8_t category = kCatMemory;
    uint32_t main_thread_index = 0;
    std::vector<int64_t> t_ns;   // sorted
    std::vector<int64_t> count;  // bytes delta since previous sample
    std::vector<int64_t> number; // operations since previous sample
};

struct ProfileMeta {
    int64_t start_wall_ns = 0;     // wall clock of time 0
    int64_t begin_ns = 0;          // profilingStartTime, relative (a --start window)
    int64_t end_ns = 0;            // profilingEndTime, relative
    std::string product;
    size_t thread_count = 0;
    std::vector<uint32_t> selected_threads;
    std::string arguments;         // informational
};

}  // namespace ftrace::convert
