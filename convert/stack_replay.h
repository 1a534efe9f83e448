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
#pragma once
#include <cstdint>
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

// `end_ns` (relative): where the closing null sample goes (at least the last event's time).
ReplayResult replay_thread(const std::vector<format::RawEvent>& events, const TimeMap& time,
                           FrameResolver& frames, StackTable& stacks, int64_t end_ns);

}  // namespace ftrace::convert
