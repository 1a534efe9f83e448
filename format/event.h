// What the recorder stores per event, and the kinds of events and markers.
#pragma once
#include <cstdint>

namespace ftrace::format {

// The on-disk op is `kind | arg << 3` (varint), so kinds must fit in 3 bits.
enum class EventKind : uint8_t {
    PyCall = 0,     // arg = function id (also generator/coroutine resume)
    PyReturn = 1,   // arg unused (also yield, await-suspend and unwinding by exception)
    CCall = 2,      // arg = function id of the C function
    CReturn = 3,    // arg unused (also C raise)
    Alloc = 4,      // arg = bytes allocated
    Free = 5,       // arg = bytes freed
};
inline constexpr uint8_t kEventKindCount = 6;
static_assert(kEventKindCount <= 8, "EventKind must fit in 3 bits");

// One event as the recorder's hot path writes it: 16 bytes, no pointers.
struct RawEvent {
    uint64_t tick;
    uint32_t arg;
    uint32_t kind;  // EventKind; 32 bits keeps the struct padding-free
};
static_assert(sizeof(RawEvent) == 16);

enum class MarkerKind : uint8_t {
    Print = 1,
    Log = 2,
    Import = 3,
    GC = 4,
    Exception = 5,
    ThreadStart = 6,
    ThreadEnd = 7,
    User = 8,        // ftrace.marker(): instant
    UserRegion = 9,  // ftrace.region(): interval
    LargeAlloc = 10,
};

}  // namespace ftrace::format
