// Columnar, delta + varint encoding of event streams (the chunk's `ticks` and `ops`).
//
//   ticks: per event, varint(zigzag(tick[i] - tick[i-1])), tick[-1] = first_tick
//   ops:   per event, varint(kind | arg << 3)
//
// Two columns compress better with lz4 than interleaved records: ops repeat in patterns,
// tick deltas are small.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "event.h"

namespace ftrace::format {

// resize() without zero-filling: the encoder sizes a column for the worst case and writes
// only what it needs (zeroing ~15 bytes per event would cost more than the encoding).
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};
using ByteColumn = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;

struct EncodedEvents {
    uint64_t first_tick = 0;
    ByteColumn ticks;
    ByteColumn ops;
};

// Appends the encoding of `events` to `out` (cleared first). `out` keeps its capacity so
// a recorder can reuse it chunk after chunk without allocating.
void encode_events(const RawEvent* events, size_t count, EncodedEvents& out);

// Decodes `count` events. Returns false (and sets `error`) on malformed input: a varint that
// runs past its column or is too long, a kind out of range, or bytes left over.
bool decode_events(uint64_t first_tick, const uint8_t* ticks, size_t ticks_size,
                   const uint8_t* ops, size_t ops_size, uint32_t count,
                   std::vector<RawEvent>& out, std::string& error);

}  // namespace ftrace::format
