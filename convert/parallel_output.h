// Writes a profile that many threads produce at once: the output is a fixed sequence of
// segments (meta, then one per thread, then the shared tables), each filled through its own
// Sink by whichever worker builds it. Segment bytes are cut into pieces, compressed on a
// pool of threads (gzip: see gzip_pieces.h; plain JSON: passed through) and written in
// segment order by a writer thread, so output streams while it is produced and memory stays
// bounded: producers wait when too many pieces are in flight.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gzip_pieces.h"
#include "output_sink.h"

namespace ftrace::convert {

class ParallelOutput {
public:
    // `dest` receives the final bytes (gzip when `gzip`). `threads` compressors (0 = cores).
    ParallelOutput(Sink& dest, size_t segments, bool gzip, int level = 4, unsigned threads = 0,
                   size_t piece_bytes = 1 << 20);
    ~ParallelOutput();
    ParallelOutput(const ParallelOutput&) = delete;
    ParallelOutput& operator=(const ParallelOutput&) = delete;

    // The sink of segment `id` (each id once). Its close() ends the segment.
    std::unique_ptr<Sink> segment(size_t id);
    // Waits until everything is written (every segment must be closed). False on error.
    bool finish();
    const std::string& error() const { return error_; }
    uint64_t json_bytes() const { return json_bytes_.load(); }

private:
    class SegmentSink;
    struct Piece {
        std::string raw;
        DeflatedPiece out;
        bool ready = false;
    };
    struct Segment {
        std::deque<std::shared_ptr<Piece>> pieces;
        bool closed = false;
    };
    bool submit(size_t seg, std::string&& raw);
    void close_segment(size_t seg);
    void compress_loop();
    void write_loop();
    void fail(const std::string& why);

    Sink& dest_;
    const bool gzip_;
    const int level_;
    const size_t piece_bytes_;
    size_t max_queued_;
    std::vector<Segment> segments_;
    std::deque<std::shared_ptr<Piece>> queue_;  // to compress
    size_t current_ = 0;                        // segment being written
    uint64_t pending_bytes_ = 0;                // submitted, not yet written
    bool stopping_ = false;
    bool failed_ = false;
    std::string error_;
    uint32_t crc_ = 0;
    uint64_t total_ = 0;
    std::atomic<uint64_t> json_bytes_{0};
    std::mutex mu_;
    std::condition_variable work_, space_, written_;
    std::vector<std::thread> compressors_;
    std::thread writer_;
    bool finished_ = false;
};

}  // namespace ftrace::convert
