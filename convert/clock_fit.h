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
        long double d = static_cast<long double>(static_cast<int64_t>(tick - anchor_tick_));
        return anchor_ns_ + static_cast<int64_t>(llroundl(d * slope_));
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
    int64_t wall_offset_ = 0;
    size_t points_ = 0;
    bool guessed_ = false;
};

}  // namespace ftrace::convert
