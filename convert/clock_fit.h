// Maps raw tick counts to monotonic nanoseconds from the chunks' clock sync points.
//
// Every chunk records (tick, monotonic_ns, realtime_ns) read together. The tick rate is
// the least-squares slope over all sync points of one clock kind; computed around the
// means in long double so 1e18-sized ticks keep their precision.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "chunk.h"

namespace ftrace::convert {

class ClockFit {
public:
    // Fits a line through `points`. `kind` MonotonicNs means ticks already are ns.
    // `note` receives a sentence when the fit had to guess (too few points).
    static ClockFit fit(const std::vector<format::ClockSync>& points, format::ClockKind kind,
                        std::string* note = nullptr);

    int64_t to_ns(uint64_t tick) const {
        // Deltas from the anchor (near the sync points' centroid) are small, so double keeps
        // sub-ns precision over any realistic span; far ticks fall back to long double.
        int64_t d = static_cast<int64_t>(tick - anchor_tick_);
        if (d > -kExactDelta && d < kExactDelta) {
            return anchor_ns_ + static_cast<int64_t>(std::llround(static_cast<double>(d) * slope_d_));
        }
        return anchor_ns_ + static_cast<int64_t>(llroundl(static_cast<long double>(d) * slope_));
    }
    long double ns_per_tick() const { return slope_; }
    // Median of realtime_ns - monotonic_ns over the points (0 without points).
    int64_t wall_offset_ns() const { return wall_offset_; }
    size_t points() const { return points_; }
    bool guessed() const { return guessed_; }

private:
    uint64_t anchor_tick_ = 0;
    int64_t anchor_ns_ = 0;
    long double slope_ = 1.0L;
    double slope_d_ = 1.0;
    static constexpr int64_t kExactDelta = int64_t{1} << 50;
    int64_t wall_offset_ = 0;
    size_t points_ = 0;
    bool guessed_ = false;
};

}  // namespace ftrace::convert
