// libFuzzer target: flatbuffer verification + chunk decoding behind the lz4 layer (the lz4
// checksums would otherwise stop most mutations before they reach the flatbuffer code).
#include <cstddef>
#include <cstdint>
#include <string>

#include "chunk_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ftrace::format::Chunk chunk;
    std::string error;
    bool fatal = false;
    if (ftrace::format::decode_chunk_payload(data, size, chunk, error, fatal)) {
        uint64_t sink = 0;
        for (const auto& e : chunk.events) sink += e.tick;
        for (const auto& m : chunk.markers) sink += m.fields.size();
        return sink == 0xdeadbeef ? 1 : 0;
    }
    return 0;
}
