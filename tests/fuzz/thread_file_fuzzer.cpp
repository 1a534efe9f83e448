// libFuzzer target: the thread-file reader (lz4 framing, flatbuffer verification, event
// decoding) on arbitrary bytes. Every chunk it returns is also walked, so a bad index or
// length surfaces under ASan.
#include <cstddef>
#include <cstdint>

#include "chunk_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ftrace::format::ThreadFileReader reader("fuzz", data, size);
    uint64_t sink = 0;
    while (auto chunk = reader.next()) {
        for (const auto& e : chunk->events) sink += e.tick + e.arg + e.kind;
        for (const auto& f : chunk->funcs) sink += f.qualname.size() + f.file.size();
        for (const auto& m : chunk->markers) sink += m.fields.size() + m.name.size();
        if (chunk->process) sink += chunk->process->argv.size();
    }
    for (const auto& issue : reader.issues()) sink += issue.message.size();
    return sink == 0xdeadbeef ? 1 : 0;  // keep `sink` alive; libFuzzer ignores the value
}
