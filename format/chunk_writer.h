// Encodes one chunk as one LZ4 frame (flatbuffer inside, size-prefixed, checksummed).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "chunk.h"

namespace ftrace::format {

// Reusable scratch space, so a recorder thread encodes chunk after chunk without
// reallocating. Not thread-safe: one per writer thread.
class ChunkWriter {
public:
    ChunkWriter();
    ~ChunkWriter();
    ChunkWriter(const ChunkWriter&) = delete;
    ChunkWriter& operator=(const ChunkWriter&) = delete;

    // Returns the bytes of one complete LZ4 frame, valid until the next call.
    const std::vector<uint8_t>& encode(const ChunkInput& in);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;  // pimpl keeps flatbuffers/lz4 headers out of the recorder
};

}  // namespace ftrace::format
