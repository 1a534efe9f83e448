// Convert-time filters inside the stack replay: window, min duration, max depth.
#include <gtest/gtest.h>

#include "stack_replay.h"
#include "stack_table.h"

using namespace ftrace::convert;
using ftrace::format::EventKind;
using ftrace::format::RawEvent;

namespace {

class IdFrames : public FrameResolver {
public:
    uint32_t frame_for(uint32_t id, bool is_c) override { return is_c ? id + 1000 : id; }
};

RawEvent e(uint64_t t, EventKind k, uint32_t arg = 0) { return RawEvent{t, arg, static_cast<uint32_t>(k)}; }
RawEvent call(uint64_t t, uint32_t f) { return e(t, EventKind::PyCall, f); }
RawEvent ret(uint64_t t) { return e(t, EventKind::PyReturn); }

// (time, innermost frame or -1 for null)
using Point = std::pair<int64_t, int64_t>;

struct Run {
    StackTable stacks;
    IdFrames frames;
    ReplayResult r;
    std::vector<Point> points() const {
        std::vector<Point> out;
        for (const auto& s : r.samples) {
            out.emplace_back(s.t_ns, s.stack == kNullStack ? int64_t{-1} : int64_t{stacks.frame(static_cast<uint32_t>(s.stack))});
        }
        return out;
    }
    // Total weight (gap to the next sample) per innermost frame.
    std::map<int64_t, int64_t> self_time() const {
        std::map<int64_t, int64_t> out;
        auto p = points();
        for (size_t i = 0; i + 1 < p.size(); ++i) out[p[i].second] += p[i + 1].first - p[i].first;
        return out;
    }
};

std::unique_ptr<Run> run(const std::vector<RawEvent>& ev, int64_t end, ReplayFilter f) {
    auto out = std::make_unique<Run>();
    out->r = replay_thread(ev, TimeMap{nullptr, 0}, out->frames, out->stacks, end, f);
    return out;
}

// A(1) 0..100 calls B(2) 10..15, then C(3) 20..60 which calls D(4) 22..23.
const std::vector<RawEvent> kTree = {call(0, 1), call(10, 2), ret(15), call(20, 3),
                                     call(22, 4), ret(23),    ret(60), ret(100)};

}  // namespace

TEST(ReplayFilter, NoFilterIsEveryEvent) {
    auto x = run(kTree, 100, {});
    EXPECT_EQ(x->points(), (std::vector<Point>{{0, 1}, {10, 2}, {15, 1}, {20, 3}, {22, 4}, {23, 3},
                                               {60, 1}, {100, -1}, {100, -1}}));
}

TEST(ReplayFilter, MinDurationFoldsShortCallsIntoTheCallerAndKeepsExactTimes) {
    ReplayFilter f;
    f.min_duration_ns = 10;  // B (5 ns) and D (1 ns) go, C (40 ns) stays
    auto x = run(kTree, 100, f);
    EXPECT_EQ(x->points(), (std::vector<Point>{{0, 1}, {20, 3}, {60, 1}, {100, -1}, {100, -1}}));
    auto self = x->self_time();
    EXPECT_EQ(self[1], 60);  // 0..20 (with B's 5 ns) + 60..100
    EXPECT_EQ(self[3], 40);  // 20..60 (with D's 1 ns)
    EXPECT_EQ(self.count(2), 0u);
    EXPECT_EQ(self.count(4), 0u);
}

TEST(ReplayFilter, MinDurationKeepsACallOfExactlyTheThreshold) {
    ReplayFilter f;
    f.min_duration_ns = 5;  // B lasts exactly 5
    auto x = run(kTree, 100, f);
    EXPECT_EQ(x->points(), (std::vector<Point>{{0, 1}, {10, 2}, {15, 1}, {20, 3}, {60, 1}, {100, -1}, {100, -1}}));
}

TEST(ReplayFilter, MinDurationDropsAShortCallStillOpenAtTheEnd) {
    ReplayFilter f;
    f.min_duration_ns = 10;
    auto x = run({call(0, 1), call(90, 2)}, 95, f);
    EXPECT_EQ(x->points(), (std::vector<Point>{{0, 1}, {95, -1}}));
    EXPECT_EQ(x->r.stats.open_at_end, 2u);
}

TEST(ReplayFilter, MinDurationStreamsSamplesOnceCallsAreKnownToBeLong) {
    // A long call with many short children: samples must leave the buffer while replaying.
    struct Count : SampleReceiver {
        void sample(int64_t, int32_t) override { ++n; }
        int n = 0;
    } count;
    StackTable stacks;
    IdFrames frames;
    ReplayFilter f;
    f.min_duration_ns = 100;
    StackReplayer r(TimeMap{nullptr, 0}, frames, stacks, count, f);
    std::vector<RawEvent> ev = {call(0, 1), call(1, 2), call(2, 3)};  // all three will be long
    for (uint64_t t = 3; t < 10000; t += 2) {
        ev.push_back(call(t, 4));  // 1 ns: dropped
        ev.push_back(ret(t + 1));
    }
    r.feed(ev.data(), ev.size());
    EXPECT_EQ(count.n, 3);  // A, B, C already passed on, nothing of the short calls
    r.finish(20000);
    EXPECT_EQ(count.n, 4);  // + the closing null sample
}

TEST(ReplayFilter, MaxDepthGivesDeeperTimeToTheDepthNCaller) {
    ReplayFilter f;
    f.max_depth = 1;
    auto x = run(kTree, 100, f);
    EXPECT_EQ(x->points(), (std::vector<Point>{{0, 1}, {100, -1}, {100, -1}}));
    f.max_depth = 2;
    auto y = run(kTree, 100, f);
    EXPECT_EQ(y->points(), (std::vector<Point>{{0, 1}, {10, 2}, {15, 1}, {20, 3}, {60, 1}, {100, -1}, {100, -1}}));
    EXPECT_EQ(y->self_time()[3], 40);  // D's nanosecond stays in C
}

TEST(ReplayFilter, WindowStartsWithTheOpenStackAndEndsWithANullSample) {
    ReplayFilter f;
    f.start_ns = 12;
    f.end_ns = 50;
    auto x = run(kTree, 100, f);
    EXPECT_EQ(x->points(), (std::vector<Point>{{12, 2}, {15, 1}, {20, 3}, {22, 4}, {23, 3}, {50, -1}}));
}

TEST(ReplayFilter, WindowAndMinDurationCombine) {
    ReplayFilter f;
    f.start_ns = 12;
    f.end_ns = 50;
    f.min_duration_ns = 10;
    auto x = run(kTree, 100, f);
    // B (short) never shows, so A is what runs at 12; C keeps its exact start.
    EXPECT_EQ(x->points(), (std::vector<Point>{{12, 1}, {20, 3}, {50, -1}}));
}

TEST(ReplayFilter, ReplayStopsOnceEventsArePastTheWindow) {
    ReplayFilter f;
    f.end_ns = 30;
    f.min_duration_ns = 5;
    struct Sink : SampleReceiver {
        void sample(int64_t, int32_t) override {}
    } sink;
    StackTable stacks;
    IdFrames frames;
    StackReplayer r(TimeMap{nullptr, 0}, frames, stacks, sink, f);
    r.feed(kTree.data(), 6);  // up to t = 23
    EXPECT_FALSE(r.done());
    r.feed(kTree.data() + 6, 1);  // t = 60 > 30 + 5
    EXPECT_TRUE(r.done());
}
