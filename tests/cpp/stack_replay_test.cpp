#include <gtest/gtest.h>

#include "stack_replay.h"
#include "stack_table.h"

using namespace ftrace::convert;
using ftrace::format::EventKind;
using ftrace::format::RawEvent;

namespace {

// Frame = function id (+1000 for C functions), so stacks can be read back by id.
class IdFrames : public FrameResolver {
public:
    uint32_t frame_for(uint32_t id, bool is_c) override {
        ++lookups;
        return is_c ? id + 1000 : id;
    }
    int lookups = 0;
};

RawEvent e(uint64_t t, EventKind k, uint32_t arg = 0) { return RawEvent{t, arg, static_cast<uint32_t>(k)}; }
RawEvent call(uint64_t t, uint32_t f) { return e(t, EventKind::PyCall, f); }
RawEvent ret(uint64_t t) { return e(t, EventKind::PyReturn); }
RawEvent ccall(uint64_t t, uint32_t f) { return e(t, EventKind::CCall, f); }
RawEvent cret(uint64_t t) { return e(t, EventKind::CReturn); }

struct Replayed {
    StackTable stacks;
    IdFrames frames;
    ReplayResult r;
    // Frames of a sample's stack, root first; empty for null.
    std::vector<uint32_t> path(size_t i) const {
        std::vector<uint32_t> out;
        int32_t s = r.samples.at(i).stack;
        if (s == kNullStack) return out;
        for (uint32_t k = static_cast<uint32_t>(s); k != StackTable::kNoParent; k = stacks.parent(k)) {
            out.insert(out.begin(), stacks.frame(k));
        }
        return out;
    }
    std::vector<int64_t> times() const {
        std::vector<int64_t> t;
        for (const auto& s : r.samples) t.push_back(s.t_ns);
        return t;
    }
};

Replayed replay(const std::vector<RawEvent>& ev, int64_t end) {
    Replayed out;
    out.r = replay_thread(ev, TimeMap{nullptr, 0}, out.frames, out.stacks, end);
    return out;
}

using Path = std::vector<uint32_t>;

}  // namespace

TEST(StackReplay, NestingGivesOneSamplePerEventWithTheStackAfterIt) {
    auto x = replay({call(0, 1), call(10, 2), call(15, 3), ret(20), ret(30), ret(60)}, 60);
    ASSERT_EQ(x.r.samples.size(), 7u);
    EXPECT_EQ(x.times(), (std::vector<int64_t>{0, 10, 15, 20, 30, 60, 60}));
    EXPECT_EQ(x.path(0), (Path{1}));
    EXPECT_EQ(x.path(1), (Path{1, 2}));
    EXPECT_EQ(x.path(2), (Path{1, 2, 3}));
    EXPECT_EQ(x.path(3), (Path{1, 2}));
    EXPECT_EQ(x.path(4), (Path{1}));
    EXPECT_TRUE(x.path(5).empty());
    EXPECT_EQ(x.r.samples.back().stack, kNullStack);  // closing sample
    EXPECT_EQ(x.r.stats.max_depth, 3u);
    EXPECT_EQ(x.r.stats.open_at_end, 0u);
    // Stacks are interned: {1,2} at samples 1 and 3 is one stack.
    EXPECT_EQ(x.r.samples[1].stack, x.r.samples[3].stack);
}

TEST(StackReplay, ConsecutiveCallsOfOneFunctionStayTwoCalls) {
    auto x = replay({call(0, 1), call(10, 2), ret(20), call(20, 2), ret(30), ret(40)}, 40);
    // Samples: [1] [1,2] [1] [1,2] [1] [] null. The zero-length parent sample at t=20 is kept.
    ASSERT_EQ(x.r.samples.size(), 7u);
    EXPECT_EQ(x.path(2), (Path{1}));
    EXPECT_EQ(x.r.samples[2].t_ns, 20);
    EXPECT_EQ(x.r.samples[3].t_ns, 20);
    // Read the call count back: transitions into a stack ending in 2.
    int calls = 0;
    for (size_t i = 0; i < x.r.samples.size(); ++i) {
        auto p = x.path(i);
        bool in2 = !p.empty() && p.back() == 2;
        bool prev_in2 = i > 0 && !x.path(i - 1).empty() && x.path(i - 1).back() == 2;
        if (in2 && !prev_in2) ++calls;
    }
    EXPECT_EQ(calls, 2);
}

TEST(StackReplay, RecursionBuildsDeeperStacks) {
    std::vector<RawEvent> ev;
    for (int i = 0; i < 5; ++i) ev.push_back(call(static_cast<uint64_t>(i), 7));
    for (int i = 0; i < 5; ++i) ev.push_back(ret(static_cast<uint64_t>(10 + i)));
    auto x = replay(ev, 14);
    EXPECT_EQ(x.path(4), (Path{7, 7, 7, 7, 7}));
    EXPECT_EQ(x.stacks.size(), 5u);
    EXPECT_EQ(x.r.stats.max_depth, 5u);
    EXPECT_EQ(x.frames.lookups, 1);  // one resolver call per distinct id
    EXPECT_EQ(x.path(8), (Path{7}));
}

TEST(StackReplay, ReturnWithoutCallIsIgnoredAndCounted) {
    // Tracing started inside two calls: their returns come first.
    auto x = replay({ret(0), cret(1), call(5, 1), ret(6), ret(7)}, 10);
    EXPECT_EQ(x.r.stats.unmatched_returns, 3u);
    ASSERT_EQ(x.r.samples.size(), 3u);  // call, its return, closing
    EXPECT_EQ(x.path(0), (Path{1}));
    EXPECT_TRUE(x.path(1).empty());
    EXPECT_EQ(x.r.samples.back().t_ns, 10);
}

TEST(StackReplay, CallsStillOpenAtTheEndAreClosedByTheNullSample) {
    auto x = replay({call(0, 1), call(5, 2), ccall(6, 3)}, 100);
    EXPECT_EQ(x.r.stats.open_at_end, 3u);
    ASSERT_EQ(x.r.samples.size(), 4u);
    EXPECT_EQ(x.path(2), (Path{1, 2, 1003}));
    EXPECT_EQ(x.r.samples[3].stack, kNullStack);
    EXPECT_EQ(x.r.samples[3].t_ns, 100);
}

TEST(StackReplay, ClosingSampleNeverPrecedesTheLastEvent) {
    auto x = replay({call(0, 1), ret(50)}, 10);  // end given too early
    EXPECT_EQ(x.r.samples.back().t_ns, 50);
    auto empty = replay({}, 7);
    ASSERT_EQ(empty.r.samples.size(), 1u);
    EXPECT_EQ(empty.r.samples[0].stack, kNullStack);
    EXPECT_EQ(empty.r.samples[0].t_ns, 7);
}

TEST(StackReplay, CFramesAndPythonReturnThatSkipsThem) {
    // C call inside f; f returns (by exception) without the C return being seen.
    auto x = replay({call(0, 1), ccall(1, 9), cret(2), ccall(3, 9), ret(4)}, 4);
    EXPECT_EQ(x.path(1), (Path{1, 1009}));
    EXPECT_EQ(x.path(2), (Path{1}));
    EXPECT_EQ(x.path(3), (Path{1, 1009}));
    EXPECT_TRUE(x.path(4).empty());
    EXPECT_EQ(x.r.stats.unclosed_c_calls, 1u);
    // A C return with a Python frame on top is not a stack change.
    auto y = replay({call(0, 1), cret(1), ret(2)}, 2);
    EXPECT_EQ(y.r.stats.unmatched_returns, 1u);
    EXPECT_EQ(y.r.samples.size(), 3u);
}

TEST(StackReplay, AllocationsAreNotStackChanges) {
    auto x = replay({call(0, 1), e(1, EventKind::Alloc, 100), e(2, EventKind::Free, 40), ret(3)}, 3);
    EXPECT_EQ(x.r.samples.size(), 3u);
    ASSERT_EQ(x.r.allocs.size(), 2u);
    EXPECT_EQ(x.r.allocs[0].bytes, 100);
    EXPECT_EQ(x.r.allocs[1].bytes, -40);
    EXPECT_EQ(x.r.allocs[1].t_ns, 2);
}

TEST(StackReplay, BackwardsTicksAreClampedSoTimesStaySorted) {
    auto x = replay({call(100, 1), call(90, 2), ret(95), ret(120)}, 120);
    auto t = x.times();
    EXPECT_TRUE(std::is_sorted(t.begin(), t.end()));
    EXPECT_EQ(x.r.stats.backwards_ticks, 2u);
}

TEST(StackReplay, TimeMapUsesTheClockAndTimeZero) {
    StackTable stacks;
    IdFrames frames;
    auto fit = ClockFit::fit({{1000, 0, 0}, {3000, 1000, 0}}, ftrace::format::ClockKind::Tsc);  // 2 ticks/ns
    auto r = replay_thread({call(1000, 1), ret(1400)}, TimeMap{&fit, 100}, frames, stacks, 100);
    EXPECT_EQ(r.samples[0].t_ns, -100);
    EXPECT_EQ(r.samples[1].t_ns, 100);
}

TEST(StackTableTest, PrefixOffsetsPointBackToParents) {
    StackTable t;
    uint32_t a = t.intern(StackTable::kNoParent, 5);
    uint32_t b = t.intern(a, 6);
    uint32_t c = t.intern(StackTable::kNoParent, 7);
    uint32_t d = t.intern(b, 5);
    EXPECT_EQ(t.intern(a, 6), b);
    EXPECT_EQ(t.size(), 4u);
    EXPECT_EQ(t.prefix_offset(a), 0u);
    EXPECT_EQ(t.prefix_offset(b), 1u);
    EXPECT_EQ(t.prefix_offset(c), 0u);
    EXPECT_EQ(t.prefix_offset(d), d - b);
    EXPECT_EQ(t.frame(d), 5u);
}
