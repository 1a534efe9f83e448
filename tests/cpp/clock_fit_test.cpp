#include <gtest/gtest.h>

#include <random>

#include "clock_fit.h"

using ftrace::convert::ClockFit;
using ftrace::format::ClockKind;
using ftrace::format::ClockSync;

TEST(ClockFit, ExactLineWithHugeTicks) {
    // 2.5 ticks per ns, ticks around 1e18: precision must survive.
    std::vector<ClockSync> pts;
    const uint64_t base = 1'000'000'000'000'000'000ull;
    for (int i = 0; i < 10; ++i) {
        int64_t ns = 1'000'000'000LL * i;
        pts.push_back({base + static_cast<uint64_t>(ns) * 5 / 2, 7'000'000'000 + ns, 0});
    }
    std::string note;
    auto f = ClockFit::fit(pts, ClockKind::Tsc, &note);
    EXPECT_TRUE(note.empty());
    EXPECT_FALSE(f.guessed());
    EXPECT_NEAR(static_cast<double>(f.ns_per_tick()), 0.4, 1e-15);
    for (const auto& p : pts) EXPECT_EQ(f.to_ns(p.tick), p.monotonic_ns);
    // Between and beyond the points, to the nanosecond.
    EXPECT_EQ(f.to_ns(base + 5), 7'000'000'002);
    EXPECT_EQ(f.to_ns(base + 25'000'000'000ull), 7'000'000'000 + 10'000'000'000);
}

TEST(ClockFit, NoisyPointsFitWithinNoise) {
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<int> noise(-50, 50);  // ns of jitter on each sync point
    std::vector<ClockSync> pts;
    const uint64_t base = 123'456'789'012'345ull;
    for (int i = 0; i < 200; ++i) {
        int64_t ns = 10'000'000LL * i;  // 10 ms apart, 2 s total
        pts.push_back({base + static_cast<uint64_t>(ns) * 3, 1'000'000 + ns + noise(rng), 0});
    }
    auto f = ClockFit::fit(pts, ClockKind::Tsc);
    EXPECT_NEAR(static_cast<double>(f.ns_per_tick()), 1.0 / 3.0, 1e-7);
    for (int i = 0; i < 200; i += 17) {
        int64_t ns = 10'000'000LL * i;
        EXPECT_NEAR(static_cast<double>(f.to_ns(base + static_cast<uint64_t>(ns) * 3)),
                    static_cast<double>(1'000'000 + ns), 30.0);
    }
}

TEST(ClockFit, SinglePointTscIsReportedAndUsesOneNsPerTick) {
    std::string note;
    auto f = ClockFit::fit({{1000, 5000, 9000}}, ClockKind::Tsc, &note);
    EXPECT_TRUE(f.guessed());
    EXPECT_NE(note.find("one clock sync point"), std::string::npos);
    EXPECT_EQ(f.to_ns(1000), 5000);
    EXPECT_EQ(f.to_ns(1010), 5010);
    EXPECT_EQ(f.wall_offset_ns(), 4000);
}

TEST(ClockFit, MonotonicNsTicksAreNanoseconds) {
    std::string note;
    auto f = ClockFit::fit({{777, 777, 1777}}, ClockKind::MonotonicNs, &note);
    EXPECT_TRUE(note.empty());
    EXPECT_FALSE(f.guessed());
    EXPECT_EQ(f.to_ns(12345), 12345);
    // Several points: still the identity.
    auto g = ClockFit::fit({{100, 100, 0}, {200, 200, 0}, {900, 900, 0}}, ClockKind::MonotonicNs);
    EXPECT_EQ(g.to_ns(555), 555);
}

TEST(ClockFit, NoPointsAndRepeatedTickAreHandled) {
    std::string note;
    auto f = ClockFit::fit({}, ClockKind::Tsc, &note);
    EXPECT_TRUE(f.guessed());
    EXPECT_FALSE(note.empty());
    EXPECT_EQ(f.to_ns(42), 42);
    note.clear();
    auto g = ClockFit::fit({{50, 10, 0}, {50, 12, 0}}, ClockKind::CntVct, &note);
    EXPECT_TRUE(g.guessed());
    EXPECT_FALSE(note.empty());
    EXPECT_EQ(g.to_ns(60), 21);  // through the centroid (50, 11), slope 1
}

TEST(ClockFit, WallOffsetIsTheMedian) {
    std::vector<ClockSync> pts = {{0, 0, 100}, {10, 10, 110}, {20, 20, 999999}, {30, 30, 130},
                                  {40, 40, 140}};
    auto f = ClockFit::fit(pts, ClockKind::Tsc);
    EXPECT_EQ(f.wall_offset_ns(), 100);
}
