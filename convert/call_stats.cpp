#include "call_stats.h"

#include <algorithm>

namespace ftrace::convert {

uint32_t CallStatsBuilder::entry_for(FuncRef f) {
    uint64_t key = (static_cast<uint64_t>(f.is_c) << 32) | f.id;
    auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(entries_.size()));
    if (inserted) entries_.push_back(Entry{f, {}, 0});
    return it->second;
}

void CallStatsBuilder::push(int64_t t, FuncRef f) {
    uint32_t e = entry_for(f);
    Entry& entry = entries_[e];
    ++entry.stats.calls;
    if (entry.active++ == 0) ++entry.stats.primitive_calls;
    stack_.push_back(Frame{e, f.is_c, t, 0});
    last_change_t_ = t;
    ++counters_.calls;
    counters_.max_depth = std::max<uint32_t>(counters_.max_depth, static_cast<uint32_t>(stack_.size()));
}

void CallStatsBuilder::pop(int64_t t) {
    Frame f = stack_.back();
    stack_.pop_back();
    last_change_t_ = t;
    int64_t inclusive = t - f.start_ns;
    Entry& entry = entries_[f.entry];
    entry.stats.self_ns += inclusive - f.child_ns;
    // Only the outermost activation adds to total: recursion is counted once.
    if (--entry.active == 0) entry.stats.total_ns += inclusive;
    if (!stack_.empty()) {
        stack_.back().child_ns += inclusive;
    } else {
        counters_.in_calls_ns += inclusive;
    }
}

void CallStatsBuilder::on_event(int64_t t, format::EventKind kind, uint32_t arg) {
    using format::EventKind;
    // Every event, allocations included, takes part in clamping (as in the replay).
    if (t < prev_t_) {
        ++counters_.backwards_ticks;
        t = prev_t_;
    }
    prev_t_ = t;
    if (kind == EventKind::Alloc || kind == EventKind::Free) return;
    ++counters_.events;
    switch (kind) {
        case EventKind::PyCall: push(t, FuncRef{arg, false}); break;
        case EventKind::CCall: push(t, FuncRef{arg, true}); break;
        case EventKind::PyReturn: {
            size_t k = stack_.size();
            while (k > 0 && stack_[k - 1].is_c) --k;
            if (k == 0) {
                ++counters_.unmatched_returns;
                break;
            }
            counters_.unclosed_c_calls += stack_.size() - k;
            while (stack_.size() >= k) pop(t);
            break;
        }
        case EventKind::CReturn:
            if (stack_.empty() || !stack_.back().is_c) {
                ++counters_.unmatched_returns;
                break;
            }
            pop(t);
            break;
        default: break;
    }
}

void CallStatsBuilder::finish(int64_t end_ns) {
    if (finished_) return;
    finished_ = true;
    int64_t end = std::max(end_ns, last_change_t_);
    counters_.open_at_end = stack_.size();
    while (!stack_.empty()) pop(end);
}

}  // namespace ftrace::convert
