// Reads a thread file: a sequence of LZ4 frames, each holding one verified chunk.
//
// Input is untrusted. Damage never stops the reader at the first problem: every problem is
// reported (file + byte offset) and the reader resynchronizes at the next LZ4 frame magic,
// so a corrupt chunk costs only itself and a truncated tail costs only the tail.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunk.h"

struct LZ4F_dctx_s;  // lz4frame.h's LZ4F_dctx, kept out of this header

namespace ftrace::format {

struct ReadIssue {
    std::string file;
    uint64_t offset = 0;
    std::string message;
    std::string to_string() const;  // "FILE: offset N: MESSAGE"
};

// Verifies and decodes one decompressed chunk (size prefix included). On failure returns false
// with `error` set; `fatal` means the rest of the file cannot be read either (future format).
bool decode_chunk_payload(const uint8_t* data, size_t size, Chunk& out, std::string& error,
                          bool& fatal);

class ThreadFileReader {
public:
    // Maps `path` read-only. An unreadable file yields no chunks and one issue.
    explicit ThreadFileReader(const std::string& path);
    // Reads `size` bytes at `data` (not copied; must outlive the reader). `name` labels issues.
    ThreadFileReader(std::string name, const uint8_t* data, size_t size);
    ~ThreadFileReader();
    ThreadFileReader(const ThreadFileReader&) = delete;
    ThreadFileReader& operator=(const ThreadFileReader&) = delete;

    // The next good chunk, or nullopt at the end of the file.
    std::optional<Chunk> next();

    const std::vector<ReadIssue>& issues() const { return issues_; }
    const std::string& name() const { return name_; }
    uint64_t size() const { return size_; }
    // True when the file ended on a chunk marked `last` (the thread finished cleanly).
    bool saw_last() const { return saw_last_; }

private:
    struct Mapping;
    struct DctxDeleter {
        void operator()(LZ4F_dctx_s* d) const;
    };
    bool decode_frame(uint64_t offset, uint64_t& frame_end, Chunk& out, std::string& error,
                      bool& fatal);
    void issue(uint64_t offset, std::string message);

    std::string name_;
    std::unique_ptr<Mapping> mapping_;
    const uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
    uint64_t pos_ = 0;
    bool stopped_ = false;
    bool saw_last_ = false;
    std::optional<uint32_t> last_seq_;
    std::vector<uint8_t> scratch_;
    // One lz4 decompression context for the whole file, reset before each frame: creating
    // one per frame re-allocated its block buffers every time (slow on many small frames).
    std::unique_ptr<LZ4F_dctx_s, DctxDeleter> dctx_;
    std::vector<ReadIssue> issues_;
};

// Convenience for tests and small tools: every good chunk of a file, plus the issues.
struct ThreadFileContents {
    std::vector<Chunk> chunks;
    std::vector<ReadIssue> issues;
};
ThreadFileContents read_thread_file(const std::string& path);
ThreadFileContents read_thread_bytes(const std::string& name, const uint8_t* data, size_t size);

}  // namespace ftrace::format
