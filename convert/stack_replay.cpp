#include "stack_replay.h"

#include <algorithm>
#include <unordered_map>

namespace ftrace::convert {

namespace {

// id -> frame cache: a dense vector for the usual small ids, a map for the rest.
class FrameCache {
public:
    explicit FrameCache(FrameResolver& r) : resolver_(r) {}
    uint32_t get(uint32_t id, bool is_c) {
        auto& dense = is_c ? c_ : py_;
        if (id < kDenseLimit) {
            if (id >= dense.size()) dense.resize(std::max<size_t>(id + 1, dense.size() * 2), kUnset);
            uint32_t& slot = dense[id];
            if (slot == kUnset) slot = resolver_.frame_for(id, is_c);
            return slot;
        }
        uint64_t key = (static_cast<uint64_t>(is_c) << 32) | id;
        auto it = sparse_.find(key);
        if (it != sparse_.end()) return it->second;
        uint32_t f = resolver_.frame_for(id, is_c);
        sparse_.emplace(key, f);
        return f;
    }

private:
    static constexpr uint32_t kDenseLimit = 1u << 22;
    static constexpr uint32_t kUnset = UINT32_MAX;
    FrameResolver& resolver_;
    std::vector<uint32_t> py_, c_;
    std::unordered_map<uint64_t, uint32_t> sparse_;
};

struct Open {
    uint32_t stack;
    bool is_c;
};

}  // namespace

ReplayResult replay_thread(const std::vector<format::RawEvent>& events, const TimeMap& time,
                           FrameResolver& frames, StackTable& stacks, int64_t end_ns) {
    using format::EventKind;
    ReplayResult out;
    out.samples.reserve(events.size() + 1);
    FrameCache cache(frames);
    std::vector<Open> open;
    open.reserve(256);
    int64_t prev_t = INT64_MIN;
    auto top_stack = [&]() -> int32_t {
        return open.empty() ? kNullStack : static_cast<int32_t>(open.back().stack);
    };

    for (const auto& e : events) {
        int64_t t = time.to_rel(e.tick);
        if (t < prev_t) {
            ++out.stats.backwards_ticks;
            t = prev_t;
        }
        prev_t = t;
        switch (static_cast<EventKind>(e.kind)) {
            case EventKind::PyCall:
            case EventKind::CCall: {
                bool is_c = static_cast<EventKind>(e.kind) == EventKind::CCall;
                uint32_t frame = cache.get(e.arg, is_c);
                uint32_t parent = open.empty() ? StackTable::kNoParent : open.back().stack;
                open.push_back(Open{stacks.intern(parent, frame), is_c});
                ++out.stats.calls;
                out.stats.max_depth = std::max<uint32_t>(out.stats.max_depth,
                                                         static_cast<uint32_t>(open.size()));
                out.samples.push_back(Sample{t, top_stack()});
                break;
            }
            case EventKind::PyReturn: {
                // Pop to the innermost Python frame; C frames above it lost their return.
                size_t k = open.size();
                while (k > 0 && open[k - 1].is_c) --k;
                if (k == 0) {
                    ++out.stats.unmatched_returns;
                    break;
                }
                out.stats.unclosed_c_calls += open.size() - k;
                open.resize(k - 1);
                out.samples.push_back(Sample{t, top_stack()});
                break;
            }
            case EventKind::CReturn: {
                if (open.empty() || !open.back().is_c) {
                    ++out.stats.unmatched_returns;
                    break;
                }
                open.pop_back();
                out.samples.push_back(Sample{t, top_stack()});
                break;
            }
            case EventKind::Alloc:
                out.allocs.push_back(AllocPoint{t, static_cast<int64_t>(e.arg)});
                break;
            case EventKind::Free:
                out.allocs.push_back(AllocPoint{t, -static_cast<int64_t>(e.arg)});
                break;
        }
    }
    out.stats.open_at_end = open.size();
    int64_t last = out.samples.empty() ? end_ns : out.samples.back().t_ns;
    out.samples.push_back(Sample{std::max(end_ns, last), kNullStack});
    return out;
}

}  // namespace ftrace::convert
