#include "stack_replay.h"

#include <algorithm>
#include <memory>
#include <unordered_map>

namespace ftrace::convert {

// id -> frame cache: a dense vector for the usual small ids, a map for the rest.
class StackReplayer::FrameCache {
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

StackReplayer::StackReplayer(const TimeMap& time, FrameResolver& frames, StackTable& stacks,
                             SampleReceiver& out, const ReplayFilter& filter)
    : time_(time), cache_(std::make_unique<FrameCache>(frames)), stacks_(stacks), out_(out), f_(filter) {
    int64_t min = std::max<int64_t>(0, f_.min_duration_ns);
    stop_after_ = f_.end_ns > INT64_MAX - min ? INT64_MAX : f_.end_ns + min;
    open_.reserve(256);
}

StackReplayer::~StackReplayer() = default;

void StackReplayer::clip(int64_t t, int32_t stack) {
    if (t < f_.start_ns) {
        before_stack_ = stack;
        have_before_ = true;
        return;
    }
    if (clip_ended_) return;
    if (!clip_started_) {
        clip_started_ = true;
        if (t > f_.start_ns && have_before_ && before_stack_ != kNullStack) {
            out_.sample(f_.start_ns, before_stack_);
        }
    }
    if (t > f_.end_ns) {
        out_.sample(f_.end_ns, kNullStack);
        clip_ended_ = true;
        return;
    }
    out_.sample(t, stack);
}

int64_t StackReplayer::emit(int64_t t, int32_t stack) {
    last_sample_t_ = t;
    if (f_.min_duration_ns <= 0) {
        clip(t, stack);
        return 0;
    }
    pending_.push_back(Sample{t, stack});
    return base_ + static_cast<int64_t>(pending_.size()) - 1;
}

void StackReplayer::flush_pending(int64_t now) {
    if (f_.min_duration_ns <= 0) return;
    while (kept_upto_ < open_.size() &&
           (open_[kept_upto_].sample_pos < 0 || now - open_[kept_upto_].start >= f_.min_duration_ns)) {
        ++kept_upto_;
    }
    size_t limit = kept_upto_ < open_.size()
                       ? static_cast<size_t>(open_[kept_upto_].sample_pos - base_)
                       : pending_.size();
    for (; head_ < limit; ++head_) clip(pending_[head_].t_ns, pending_[head_].stack);
    if (head_ > 4096 && head_ * 2 > pending_.size()) {
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(head_));
        base_ += static_cast<int64_t>(head_);
        head_ = 0;
    }
}

// Pops open_ down to `new_size` at time t. Calls shorter than min_duration lose their
// samples (all still pending: they were never known to be long enough); the return sample
// is written only when the outermost popped call is shown.
void StackReplayer::pop_to(size_t new_size, int64_t t, bool sample) {
    const Open outer = open_[new_size];
    if (f_.min_duration_ns > 0) {
        for (size_t i = open_.size(); i-- > new_size;) {
            const Open& o = open_[i];
            if (o.sample_pos >= 0 && t - o.start < f_.min_duration_ns) {
                pending_.resize(static_cast<size_t>(o.sample_pos - base_));
            }
        }
    }
    open_.resize(new_size);
    kept_upto_ = std::min(kept_upto_, new_size);
    bool shown = outer.sample_pos >= 0 && !(f_.min_duration_ns > 0 && t - outer.start < f_.min_duration_ns);
    if (sample && shown) emit(t, top());
}

void StackReplayer::feed(const format::RawEvent* events, size_t count) {
    using format::EventKind;
    if (done_) return;
    for (size_t i = 0; i < count; ++i) {
        const format::RawEvent& e = events[i];
        int64_t t = time_.to_rel(e.tick);
        if (t < prev_t_) {
            ++stats_.backwards_ticks;
            t = prev_t_;
        }
        prev_t_ = t;
        if (t > stop_after_) {
            done_ = true;
            return;
        }
        switch (static_cast<EventKind>(e.kind)) {
            case EventKind::PyCall:
            case EventKind::CCall: {
                bool is_c = static_cast<EventKind>(e.kind) == EventKind::CCall;
                uint32_t frame = cache_->get(e.arg, is_c);
                uint32_t parent = open_.empty() ? StackTable::kNoParent : open_.back().stack;
                uint32_t stack = stacks_.intern(parent, frame);
                ++stats_.calls;
                uint32_t depth = static_cast<uint32_t>(open_.size() + 1);
                stats_.max_depth = std::max(stats_.max_depth, depth);
                int64_t pos = -1;
                if (f_.max_depth == 0 || depth <= f_.max_depth) pos = emit(t, static_cast<int32_t>(stack));
                open_.push_back(Open{stack, is_c, t, pos});
                break;
            }
            case EventKind::PyReturn: {
                // Pop to the innermost Python frame; C frames above it lost their return.
                size_t k = open_.size();
                while (k > 0 && open_[k - 1].is_c) --k;
                if (k == 0) {
                    ++stats_.unmatched_returns;
                    break;
                }
                stats_.unclosed_c_calls += open_.size() - k;
                pop_to(k - 1, t, true);
                break;
            }
            case EventKind::CReturn: {
                if (open_.empty() || !open_.back().is_c) {
                    ++stats_.unmatched_returns;
                    break;
                }
                pop_to(open_.size() - 1, t, true);
                break;
            }
            case EventKind::Alloc:
                if (t >= f_.start_ns && t <= f_.end_ns) allocs_.push_back(AllocPoint{t, static_cast<int64_t>(e.arg)});
                break;
            case EventKind::Free:
                if (t >= f_.start_ns && t <= f_.end_ns) allocs_.push_back(AllocPoint{t, -static_cast<int64_t>(e.arg)});
                break;
        }
        if (f_.min_duration_ns > 0) flush_pending(t);
    }
}

void StackReplayer::finish(int64_t end_ns) {
    stats_.open_at_end = open_.size();
    int64_t last = std::max(end_ns, last_sample_t_ == INT64_MIN ? end_ns : last_sample_t_);
    if (!open_.empty()) pop_to(0, last, false);
    emit(last, kNullStack);
    if (f_.min_duration_ns > 0) {
        kept_upto_ = 0;
        flush_pending(last);
    }
}

namespace {
class CollectSamples final : public SampleReceiver {
public:
    explicit CollectSamples(std::vector<Sample>& v) : v_(v) {}
    void sample(int64_t t, int32_t stack) override { v_.push_back(Sample{t, stack}); }

private:
    std::vector<Sample>& v_;
};
}  // namespace

ReplayResult replay_thread(const std::vector<format::RawEvent>& events, const TimeMap& time,
                           FrameResolver& frames, StackTable& stacks, int64_t end_ns,
                           const ReplayFilter& filter) {
    ReplayResult out;
    out.samples.reserve(events.size() + 1);
    CollectSamples collect(out.samples);
    StackReplayer r(time, frames, stacks, collect, filter);
    r.feed(events.data(), events.size());
    r.finish(end_ns);
    out.allocs = std::move(r.allocs());
    out.stats = r.stats();
    return out;
}

}  // namespace ftrace::convert
