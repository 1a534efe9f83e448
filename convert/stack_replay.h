// Replays one thread's call/return events into timeline samples: one sample per event that
// changes the stack, at the event's time, carrying the stack after the event; then a closing
// sample with no stack at the thread's end. Allocation events become memory counter points.
//
// Rules (DESIGN.md "The profile"):
//   PyCall/CCall push a frame; PyReturn pops back to (and including) the innermost Python
//   frame, dropping C frames whose return was never seen; CReturn pops a C frame on top.
//   A return that finds nothing to pop (tracing started inside that call) is ignored and
//   counted. Calls still open at the end are closed by the final null sample.
//   Every event gets its own sample, so two consecutive calls of one function stay two calls.
//   Ticks that go backwards are clamped to the previous time (samples stay sorted).
//
// Filters (ReplayFilter), applied while streaming, never changing the time of a kept sample:
//   max_depth      calls deeper than N give no sample: their time stays with their depth-N caller.
//   min_duration   a call shorter than D (and everything inside it) gives no sample: its time
//                  stays with the caller. Samples wait in a buffer only while some open call
//                  is younger than D, so memory stays bounded.
//   window         samples before `start` are dropped but the stack open at `start` gets a
//                  sample at `start`; the first sample after `end` becomes a null one at `end`.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "clock_fit.h"
#include "event.h"
#include "stack_table.h"

namespace ftrace::convert {

inline constexpr int32_t kNullStack = -1;

struct Sample {
    int64_t t_ns;    // relative to the profile's time 0
    int32_t stack;   // stack index or kNullStack
};

struct AllocPoint {
    int64_t t_ns;
    int64_t bytes;  // + allocated, - freed
};

struct ReplayStats {
    uint64_t calls = 0;
    uint64_t unmatched_returns = 0;   // returns with nothing to pop (ignored)
    uint64_t unclosed_c_calls = 0;    // C frames dropped by a Python return
    uint64_t open_at_end = 0;         // frames still open when the stream ended
    uint64_t backwards_ticks = 0;     // events earlier than their predecessor (clamped)
    uint32_t max_depth = 0;
};

struct ReplayResult {
    std::vector<Sample> samples;  // sorted by time, last one null
    std::vector<AllocPoint> allocs;
    ReplayStats stats;
};

// Gives the frame index for a function id of this thread. Called once per distinct id.
class FrameResolver {
public:
    virtual ~FrameResolver() = default;
    virtual uint32_t frame_for(uint32_t func_id, bool is_c) = 0;
};

// Maps ticks to ns relative to time 0.
struct TimeMap {
    const ClockFit* clock = nullptr;  // nullptr: ticks are ns
    int64_t t0_ns = 0;
    int64_t to_rel(uint64_t tick) const {
        return (clock ? clock->to_ns(tick) : static_cast<int64_t>(tick)) - t0_ns;
    }
};

struct ReplayFilter {
    int64_t start_ns = INT64_MIN;  // window, relative ns, inclusive
    int64_t end_ns = INT64_MAX;
    int64_t min_duration_ns = 0;   // 0: keep every call
    uint32_t max_depth = 0;        // 0: no limit
};

// Receives samples in time order.
class SampleReceiver {
public:
    virtual ~SampleReceiver() = default;
    virtual void sample(int64_t t_ns, int32_t stack) = 0;
};

class StackReplayer {
public:
    StackReplayer(const TimeMap& time, FrameResolver& frames, StackTable& stacks, SampleReceiver& out,
                  const ReplayFilter& filter = {});
    ~StackReplayer();
    StackReplayer(const StackReplayer&) = delete;
    StackReplayer& operator=(const StackReplayer&) = delete;

    void feed(const format::RawEvent* events, size_t count);
    // True once an event lies so far past the window that later events cannot change anything.
    bool done() const { return done_; }
    // Closes the calls still open and writes the closing null sample at `end_ns` (at least the
    // last sample's time).
    void finish(int64_t end_ns);

    const ReplayStats& stats() const { return stats_; }
    std::vector<AllocPoint>& allocs() { return allocs_; }

private:
    struct Open {
        uint32_t stack;
        bool is_c;
        int64_t start;
        int64_t sample_pos;  // position of its call sample; -1: none (deeper than max_depth)
    };
    class FrameCache;
    int64_t emit(int64_t t, int32_t stack);
    void clip(int64_t t, int32_t stack);
    void pop_to(size_t new_size, int64_t t, bool sample);
    void flush_pending(int64_t now);
    int32_t top() const { return open_.empty() ? kNullStack : static_cast<int32_t>(open_.back().stack); }

    const TimeMap time_;
    std::unique_ptr<FrameCache> cache_;
    StackTable& stacks_;
    SampleReceiver& out_;
    const ReplayFilter f_;
    int64_t stop_after_;
    std::vector<Open> open_;
    ReplayStats stats_;
    std::vector<AllocPoint> allocs_;
    int64_t prev_t_ = INT64_MIN;
    int64_t last_sample_t_ = INT64_MIN;
    bool done_ = false;
    // min_duration buffer: pending_[head_..] not yet passed on; pending_[0] is at base_.
    std::vector<Sample> pending_;
    size_t head_ = 0;
    int64_t base_ = 0;
    size_t kept_upto_ = 0;  // open_[0..kept_upto_) are known to last at least min_duration
    // window stage
    bool clip_started_ = false, clip_ended_ = false, have_before_ = false;
    int32_t before_stack_ = kNullStack;
};

// Whole-vector convenience (tests, small traces). `end_ns` (relative): where the closing
// null sample goes (at least the last event's time).
ReplayResult replay_thread(const std::vector<format::RawEvent>& events, const TimeMap& time,
                           FrameResolver& frames, StackTable& stacks, int64_t end_ns,
                           const ReplayFilter& filter = {});

}  // namespace ftrace::convert
