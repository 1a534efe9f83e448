// Exact per-function call statistics of one thread's event stream, like pstats: call count,
// total (inclusive) time and self time, computed from the call/return events themselves.
//
// The stack follows the replay rules of stack_replay.h (the profile's owner of them):
//   PyCall/CCall push; PyReturn pops to (and including) the innermost Python frame, ending
//   C frames whose return was never seen at the same time; CReturn pops a C frame on top;
//   a return with nothing to pop is ignored and counted; ticks that go backwards are clamped
//   to the previous time; calls still open at the end are closed at the thread's end.
// A test replays random streams through both and checks they agree.
//
// Definitions (pstats' tottime/cumtime):
//   calls            every call event of the function (recursive ones included)
//   primitive_calls  calls made while the function was not already on the stack
//   self_ns          time the function was the innermost frame (callees excluded)
//   total_ns         time the function was anywhere on the stack: recursion counted once,
//                    per outermost activation
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "event.h"

namespace ftrace::convert {

struct FuncStats {
    uint64_t calls = 0;
    uint64_t primitive_calls = 0;
    int64_t total_ns = 0;
    int64_t self_ns = 0;
};

struct CallStatsCounters {
    uint64_t events = 0;              // call and return events seen
    uint64_t calls = 0;
    uint64_t unmatched_returns = 0;   // returns with nothing to pop (ignored)
    uint64_t unclosed_c_calls = 0;    // C frames ended by a Python return
    uint64_t open_at_end = 0;         // frames still open at finish()
    uint64_t backwards_ticks = 0;     // events earlier than their predecessor (clamped; allocations too)
    uint32_t max_depth = 0;
    int64_t in_calls_ns = 0;          // time with at least one frame open (= sum of self_ns)
};

// A function of one thread file: its per-file id and whether it is a C function (Python and
// C ids are separate namespaces in the event stream).
struct FuncRef {
    uint32_t id;
    bool is_c;
    bool operator==(const FuncRef&) const = default;
};

class CallStatsBuilder {
public:
    // Feeds one event at `t_ns` (any fixed origin). Alloc/Free events are ignored.
    void on_event(int64_t t_ns, format::EventKind kind, uint32_t arg);
    // Closes every open call at max(end_ns, the time of the last call or return that changed
    // the stack), where the profile's closing sample goes. Call once, at the end.
    void finish(int64_t end_ns);

    struct Entry {
        FuncRef func;
        FuncStats stats;
        uint32_t active = 0;  // activations currently on the stack
    };
    // One entry per function seen, in order of first call.
    const std::vector<Entry>& functions() const { return entries_; }
    const CallStatsCounters& counters() const { return counters_; }

private:
    struct Frame {
        uint32_t entry;
        bool is_c;
        int64_t start_ns;
        int64_t child_ns;  // inclusive time of its direct callees
    };
    void push(int64_t t, FuncRef f);
    void pop(int64_t t);
    uint32_t entry_for(FuncRef f);

    std::vector<Entry> entries_;
    std::unordered_map<uint64_t, uint32_t> index_;  // (is_c << 32 | id) -> entries_ index
    std::vector<Frame> stack_;
    int64_t prev_t_ = INT64_MIN;
    int64_t last_change_t_ = INT64_MIN;  // time of the last push or pop
    bool finished_ = false;
    CallStatsCounters counters_;
};

}  // namespace ftrace::convert
