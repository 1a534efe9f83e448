#include "clock.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace ftrace::record::clock {

namespace {

bool cpu_has_invariant_tsc() {
#if defined(__x86_64__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000007u) return false;
    if (__get_cpuid(0x80000007u, &a, &b, &c, &d) == 0) return false;
    return (d & (1u << 8)) != 0;  // "Invariant TSC": constant rate across P/C-states
#else
    return false;
#endif
}

}  // namespace

format::ClockKind init() {
    const char* force = std::getenv("FTRACE_CLOCK");
    bool want_tsc = cpu_has_invariant_tsc();
    if (force != nullptr && std::strcmp(force, "monotonic") == 0) want_tsc = false;
#if defined(__x86_64__)
    if (force != nullptr && std::strcmp(force, "tsc") == 0) want_tsc = true;
#endif
    g_use_tsc = want_tsc;
    return g_use_tsc ? format::ClockKind::Tsc : format::ClockKind::MonotonicNs;
}

}  // namespace ftrace::record::clock
