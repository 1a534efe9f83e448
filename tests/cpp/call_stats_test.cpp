// CallStatsBuilder on hand-made event streams with known call counts, total and self times,
// and a cross-check against the profile's own replay (stack_replay) on random streams.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "call_stats.h"
#include "stack_replay.h"
#include "stack_table.h"

using namespace ftrace::convert;
using ftrace::format::EventKind;
using ftrace::format::RawEvent;

namespace {

struct Ev {
    int64_t t;
    EventKind kind;
    uint32_t arg = 0;
};
Ev call(int64_t t, uint32_t f) { return {t, EventKind::PyCall, f}; }
Ev ret(int64_t t) { return {t, EventKind::PyReturn}; }
Ev ccall(int64_t t, uint32_t f) { return {t, EventKind::CCall, f}; }
Ev cret(int64_t t) { return {t, EventKind::CReturn}; }

struct Result {
    std::map<std::pair<uint32_t, bool>, FuncStats> funcs;
    CallStatsCounters counters;
    const FuncStats& py(uint32_t id) const { return funcs.at({id, false}); }
    const FuncStats& c(uint32_t id) const { return funcs.at({id, true}); }
};

Result run(const std::vector<Ev>& events, int64_t end) {
    CallStatsBuilder b;
    for (const auto& e : events) b.on_event(e.t, e.kind, e.arg);
    b.finish(end);
    Result r;
    for (const auto& e : b.functions()) r.funcs[{e.func.id, e.func.is_c}] = e.stats;
    r.counters = b.counters();
    return r;
}

void expect(const FuncStats& s, uint64_t calls, uint64_t primitive, int64_t total, int64_t self) {
    EXPECT_EQ(s.calls, calls);
    EXPECT_EQ(s.primitive_calls, primitive);
    EXPECT_EQ(s.total_ns, total);
    EXPECT_EQ(s.self_ns, self);
}

}  // namespace

TEST(CallStats, NestedCallsSplitTotalAndSelf) {
    // f [0,100] calls g [10,30] and g [40,70]; g [40,70] calls h [50,55].
    auto r = run({call(0, 1), call(10, 2), ret(30), call(40, 2), call(50, 3), ret(55), ret(70), ret(100)}, 100);
    expect(r.py(1), 1, 1, 100, 100 - 20 - 30);
    expect(r.py(2), 2, 2, 20 + 30, 20 + 25);
    expect(r.py(3), 1, 1, 5, 5);
    EXPECT_EQ(r.counters.calls, 4u);
    EXPECT_EQ(r.counters.max_depth, 3u);
    EXPECT_EQ(r.counters.in_calls_ns, 100);
    EXPECT_EQ(r.counters.unmatched_returns, 0u);
    EXPECT_EQ(r.counters.open_at_end, 0u);
}

TEST(CallStats, DirectRecursionCountsTotalOncePerOutermostActivation) {
    // f [0,100] -> f [10,90] -> f [20,80]; later a second outermost f [200,210].
    auto r = run({call(0, 1), call(10, 1), call(20, 1), ret(80), ret(90), ret(100), call(200, 1), ret(210)}, 210);
    // self: 20 + 20 + 60 + 10; total: the outermost activations only (100 + 10), not 100+80+60.
    expect(r.py(1), 4, 2, 110, 110);
    EXPECT_EQ(r.counters.in_calls_ns, 110);
}

TEST(CallStats, MutualRecursion) {
    // a [0,100] -> b [10,90] -> a [20,80] -> b [30,40]
    auto r = run({call(0, 1), call(10, 2), call(20, 1), call(30, 2), ret(40), ret(80), ret(90), ret(100)}, 100);
    expect(r.py(1), 2, 1, 100, 20 + 50);  // outer a: 100-80, inner a: 60-10
    expect(r.py(2), 2, 1, 80, 20 + 10);   // outer b: 80-60, inner b: 10
}

TEST(CallStats, ConsecutiveCallsAtTheSameTickStayTwoCalls) {
    auto r = run({call(0, 1), call(10, 2), ret(20), call(20, 2), ret(35), call(35, 2), ret(35), ret(50)}, 50);
    expect(r.py(2), 3, 3, 25, 25);  // 10 + 15 + 0
    expect(r.py(1), 1, 1, 50, 25);
}

TEST(CallStats, ZeroLengthCallsCount) {
    auto r = run({call(5, 1), ret(5), call(5, 1), ret(5)}, 5);
    expect(r.py(1), 2, 2, 0, 0);
}

TEST(CallStats, UnmatchedReturnsAreIgnoredAndCounted) {
    // Tracing started inside calls: their returns (at 0, 5 and 30) find nothing to pop. A C
    // return with a Python frame on top (at 12) is unmatched too.
    auto r = run({ret(0), cret(5), call(10, 1), cret(12), ret(20), ret(30)}, 30);
    expect(r.py(1), 1, 1, 10, 10);
    EXPECT_EQ(r.counters.unmatched_returns, 4u);
    EXPECT_EQ(r.counters.in_calls_ns, 10);
    EXPECT_EQ(r.counters.events, 6u);
}

TEST(CallStats, OpenCallsAreClosedAtTheThreadEnd) {
    auto r = run({call(0, 1), call(10, 2), ccall(15, 7)}, 50);
    expect(r.py(1), 1, 1, 50, 10);
    expect(r.py(2), 1, 1, 40, 5);
    expect(r.c(7), 1, 1, 35, 35);
    EXPECT_EQ(r.counters.open_at_end, 3u);
    EXPECT_EQ(r.counters.in_calls_ns, 50);
}

TEST(CallStats, EndBeforeTheLastEventUsesTheLastEvent) {
    auto r = run({call(0, 1), call(40, 2)}, 10);
    expect(r.py(1), 1, 1, 40, 40);
    expect(r.py(2), 1, 1, 0, 0);
}

TEST(CallStats, PythonReturnEndsCFramesWhoseReturnWasLost) {
    // f [0,30] calls C len at 10 whose return is never seen; f's return at 30 ends both.
    auto r = run({call(0, 1), ccall(10, 5), ret(30)}, 30);
    expect(r.c(5), 1, 1, 20, 20);
    expect(r.py(1), 1, 1, 30, 10);
    EXPECT_EQ(r.counters.unclosed_c_calls, 1u);
    EXPECT_EQ(r.counters.open_at_end, 0u);
}

TEST(CallStats, PythonAndCIdsAreSeparateFunctions) {
    auto r = run({call(0, 3), ccall(10, 3), cret(20), ret(30)}, 30);
    expect(r.py(3), 1, 1, 30, 20);
    expect(r.c(3), 1, 1, 10, 10);
}

TEST(CallStats, BackwardsTicksAreClampedToThePreviousEvent) {
    auto r = run({call(100, 1), call(90, 2), ret(120), ret(130)}, 130);
    expect(r.py(2), 1, 1, 20, 20);  // starts at 100, not 90
    expect(r.py(1), 1, 1, 30, 10);
    EXPECT_EQ(r.counters.backwards_ticks, 1u);
}

TEST(CallStats, AllocationEventsDoNotTouchTheStack) {
    auto r = run({call(0, 1), {5, EventKind::Alloc, 4096}, {6, EventKind::Free, 100}, ret(10)}, 10);
    expect(r.py(1), 1, 1, 10, 10);
    EXPECT_EQ(r.counters.events, 2u);
}

TEST(CallStats, EmptyStream) {
    auto r = run({}, 100);
    EXPECT_TRUE(r.funcs.empty());
    EXPECT_EQ(r.counters.in_calls_ns, 0);
}

// Reference from the profile's timeline (stack_replay): with the replay's samples and stack
// table, self = time a function is the innermost frame, total = time it is anywhere on the
// stack (once however often it appears), calls = pushes of it. Any disagreement between the
// report and the profile about the stack rules shows up here.
TEST(CallStats, AgreesWithTheProfileReplayOnRandomStreams) {
    std::mt19937_64 rng(12345);
    for (int round = 0; round < 300; ++round) {
        std::vector<RawEvent> raw;
        std::vector<Ev> evs;
        uint64_t t = 0;
        int n = 1 + static_cast<int>(rng() % 200);
        for (int i = 0; i < n; ++i) {
            if (rng() % 20 == 0 && t > 5) t -= rng() % 5;  // occasionally backwards
            else t += rng() % 4;                            // often the same tick
            uint32_t r = static_cast<uint32_t>(rng() % 10);
            EventKind k = r < 4 ? EventKind::PyCall : r < 7 ? EventKind::PyReturn : r < 8 ? EventKind::CCall
                                                                            : r < 9 ? EventKind::CReturn
                                                                                    : EventKind::Alloc;
            uint32_t arg = static_cast<uint32_t>(rng() % 4);
            raw.push_back(RawEvent{t, arg, static_cast<uint32_t>(k)});
            evs.push_back(Ev{static_cast<int64_t>(t), k, arg});
        }
        int64_t end = static_cast<int64_t>(t + rng() % 10);

        struct Frames : FrameResolver {
            uint32_t frame_for(uint32_t id, bool is_c) override { return id * 2 + (is_c ? 1 : 0); }
        } frames;
        StackTable stacks;
        ReplayResult rep = replay_thread(raw, TimeMap{nullptr, 0}, frames, stacks, end);
        std::map<uint32_t, FuncStats> want;  // by frame
        int32_t prev = kNullStack;
        for (size_t i = 0; i < rep.samples.size(); ++i) {
            const Sample& s = rep.samples[i];
            if (s.stack != kNullStack && stacks.parent(static_cast<uint32_t>(s.stack)) ==
                                             (prev == kNullStack ? StackTable::kNoParent : static_cast<uint32_t>(prev))) {
                uint32_t f = stacks.frame(static_cast<uint32_t>(s.stack));
                bool recursive = false;
                for (uint32_t k = static_cast<uint32_t>(prev); prev != kNullStack && k != StackTable::kNoParent;
                     k = stacks.parent(k)) {
                    recursive |= stacks.frame(k) == f;
                }
                ++want[f].calls;
                if (!recursive) ++want[f].primitive_calls;
            }
            if (i + 1 < rep.samples.size() && s.stack != kNullStack) {
                int64_t gap = rep.samples[i + 1].t_ns - s.t_ns;
                want[stacks.frame(static_cast<uint32_t>(s.stack))].self_ns += gap;
                std::set<uint32_t> on_stack;
                for (uint32_t k = static_cast<uint32_t>(s.stack); k != StackTable::kNoParent; k = stacks.parent(k)) {
                    on_stack.insert(stacks.frame(k));
                }
                for (uint32_t f : on_stack) want[f].total_ns += gap;
            }
            prev = s.stack;
        }

        Result got = run(evs, end);
        std::map<uint32_t, FuncStats> have;
        for (const auto& [key, st] : got.funcs) have[key.first * 2 + (key.second ? 1 : 0)] = st;
        ASSERT_EQ(have.size(), want.size()) << "round " << round;
        for (const auto& [f, w] : want) {
            SCOPED_TRACE("round " + std::to_string(round) + " frame " + std::to_string(f));
            const FuncStats& h = have.at(f);
            EXPECT_EQ(h.calls, w.calls);
            EXPECT_EQ(h.primitive_calls, w.primitive_calls);
            EXPECT_EQ(h.self_ns, w.self_ns);
            EXPECT_EQ(h.total_ns, w.total_ns);
        }
        EXPECT_EQ(got.counters.unmatched_returns, rep.stats.unmatched_returns);
        EXPECT_EQ(got.counters.unclosed_c_calls, rep.stats.unclosed_c_calls);
        EXPECT_EQ(got.counters.open_at_end, rep.stats.open_at_end);
        EXPECT_EQ(got.counters.calls, rep.stats.calls);
        EXPECT_EQ(got.counters.max_depth, rep.stats.max_depth);
    }
}
