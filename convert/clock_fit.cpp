#include "clock_fit.h"

#include <algorithm>
#include <cmath>

namespace ftrace::convert {

ClockFit ClockFit::fit(const std::vector<format::ClockSync>& points, format::ClockKind kind,
                       std::string* note) {
    ClockFit f;
    f.points_ = points.size();
    if (points.empty()) {
        f.guessed_ = true;
        if (note) *note = "no clock sync point: ticks are taken as nanoseconds";
        return f;
    }
    std::vector<int64_t> offsets;
    offsets.reserve(points.size());
    for (const auto& p : points) offsets.push_back(p.realtime_ns - p.monotonic_ns);
    std::nth_element(offsets.begin(), offsets.begin() + offsets.size() / 2, offsets.end());
    f.wall_offset_ = offsets[offsets.size() / 2];

    // Anchor at the first point; all sums use offsets from it (exact in long double).
    const uint64_t t0 = points.front().tick;
    const int64_t n0 = points.front().monotonic_ns;
    long double sx = 0, sy = 0;
    uint64_t min_tick = t0, max_tick = t0;
    for (const auto& p : points) {
        sx += static_cast<long double>(static_cast<int64_t>(p.tick - t0));
        sy += static_cast<long double>(p.monotonic_ns - n0);
        min_tick = std::min(min_tick, p.tick);
        max_tick = std::max(max_tick, p.tick);
    }
    const long double n = static_cast<long double>(points.size());
    const long double mx = sx / n, my = sy / n;

    long double slope = 1.0L;
    if (kind == format::ClockKind::MonotonicNs) {
        slope = 1.0L;
    } else if (min_tick == max_tick) {
        f.guessed_ = true;
        if (note) {
            *note = points.size() == 1
                        ? "only one clock sync point: the tick rate is unknown, 1 tick is taken as 1 ns"
                        : "all clock sync points share one tick: the tick rate is unknown, 1 tick is "
                          "taken as 1 ns";
        }
    } else {
        long double sxx = 0, sxy = 0;
        for (const auto& p : points) {
            long double dx = static_cast<long double>(static_cast<int64_t>(p.tick - t0)) - mx;
            long double dy = static_cast<long double>(p.monotonic_ns - n0) - my;
            sxx += dx * dx;
            sxy += dx * dy;
        }
        slope = sxy / sxx;
        if (!(slope > 0) || !std::isfinite(static_cast<double>(slope))) {
            f.guessed_ = true;
            if (note) *note = "clock sync points do not fit a rising line: 1 tick is taken as 1 ns";
            slope = 1.0L;
        }
    }
    f.slope_ = slope;
    f.slope_d_ = static_cast<double>(slope);
    // The line passes through the centroid: ns = n0 + my + slope * (tick - t0 - mx).
    // Re-anchor at the tick nearest the centroid so to_ns only multiplies small deltas.
    long double anchor_off = std::round(mx);
    f.anchor_tick_ = t0 + static_cast<uint64_t>(static_cast<int64_t>(anchor_off));
    f.anchor_ns_ = n0 + static_cast<int64_t>(llroundl(my + slope * (anchor_off - mx)));
    return f;
}

}  // namespace ftrace::convert
