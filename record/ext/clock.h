// The tick source of the hot path and the sync points that map ticks to time.
//
// x86-64: rdtsc (ProcessInfo.clock = Tsc) when the CPU reports an invariant TSC; otherwise,
// and on other architectures, CLOCK_MONOTONIC in ns (clock = MonotonicNs). FTRACE_CLOCK=monotonic
// forces the fallback. The choice is made once per process (init()) and never changes, since
// every chunk of the process is interpreted with the same ProcessInfo.clock.
#pragma once
#include <cstdint>
#include <ctime>

#include "chunk.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ftrace::record::clock {

inline bool g_use_tsc = false;

// Decides the tick source (idempotent). Returns the kind to put in ProcessInfo.
format::ClockKind init();

inline int64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline int64_t realtime_ns() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Hot path: one rdtsc (or a vDSO clock_gettime on the fallback).
inline uint64_t now() {
#if defined(__x86_64__)
    if (__builtin_expect(g_use_tsc, 1)) return __rdtsc();
#endif
    return static_cast<uint64_t>(monotonic_ns());
}

// tick, MONOTONIC, REALTIME, tick: the tick recorded is the midpoint of the bracketing reads.
inline format::ClockSync take_sync() {
    format::ClockSync s;
    uint64_t t0 = now();
    s.monotonic_ns = monotonic_ns();
    s.realtime_ns = realtime_ns();
    uint64_t t1 = now();
    s.tick = t0 + (t1 - t0) / 2;
    return s;
}

}  // namespace ftrace::record::clock
