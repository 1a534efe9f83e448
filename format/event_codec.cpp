#include "event_codec.h"

namespace ftrace::format {
namespace {

// Writes through a raw pointer into space reserved beforehand: this runs for every event of
// every chunk on the traced thread, and a push_back per byte cost more than the hook itself.
inline uint8_t* put_varint(uint8_t* p, uint64_t v) {
    if (v < 0x80) {  // most ops, short tick deltas
        *p = static_cast<uint8_t>(v);
        return p + 1;
    }
    if (v < 0x4000) {  // most tick deltas
        p[0] = static_cast<uint8_t>(v) | 0x80;
        p[1] = static_cast<uint8_t>(v >> 7);
        return p + 2;
    }
    while (v >= 0x80) {
        *p++ = static_cast<uint8_t>(v) | 0x80;
        v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    return p;
}
inline constexpr size_t kMaxTickVarint = 10;  // a zigzagged 64-bit delta
inline constexpr size_t kMaxOpVarint = 5;     // kind (3 bits) | 32-bit arg << 3: 35 bits

inline bool get_varint(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p == end) return false;
        uint8_t b = *p++;
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;  // more than 10 bytes: not a varint we wrote
}

inline uint64_t zigzag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t unzigzag(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace

void encode_events(const RawEvent* events, size_t count, EncodedEvents& out) {
    out.first_tick = count ? events[0].tick : 0;
    // Sized for the worst case, shrunk after (capacity is kept from chunk to chunk).
    out.ticks.resize(count * kMaxTickVarint);
    out.ops.resize(count * kMaxOpVarint);
    uint8_t* t = out.ticks.data();
    uint8_t* o = out.ops.data();
    uint64_t prev = out.first_tick;
    for (size_t i = 0; i < count; ++i) {
        const RawEvent& e = events[i];
        t = put_varint(t, zigzag(static_cast<int64_t>(e.tick - prev)));
        prev = e.tick;
        o = put_varint(o, static_cast<uint64_t>(e.kind & 7u) | (static_cast<uint64_t>(e.arg) << 3));
    }
    out.ticks.resize(static_cast<size_t>(t - out.ticks.data()));
    out.ops.resize(static_cast<size_t>(o - out.ops.data()));
}

bool decode_events(uint64_t first_tick, const uint8_t* ticks, size_t ticks_size,
                   const uint8_t* ops, size_t ops_size, uint32_t count,
                   std::vector<RawEvent>& out, std::string& error) {
    // Each event takes at least one byte per column: refuse counts the columns cannot hold
    // before reserving memory for them.
    if (count > ticks_size || count > ops_size) {
        error = "event count " + std::to_string(count) + " exceeds the encoded columns";
        return false;
    }
    out.reserve(out.size() + count);
    const uint8_t* tp = ticks;
    const uint8_t* te = ticks + ticks_size;
    const uint8_t* op = ops;
    const uint8_t* oe = ops + ops_size;
    uint64_t tick = first_tick;
    for (uint32_t i = 0; i < count; ++i) {
        uint64_t d = 0, o = 0;
        if (!get_varint(tp, te, d)) {
            error = "bad tick varint at event " + std::to_string(i);
            return false;
        }
        if (!get_varint(op, oe, o)) {
            error = "bad op varint at event " + std::to_string(i);
            return false;
        }
        tick += static_cast<uint64_t>(unzigzag(d));
        uint32_t kind = static_cast<uint32_t>(o & 7u);
        uint64_t arg = o >> 3;
        if (kind >= kEventKindCount || arg > UINT32_MAX) {
            error = "bad op at event " + std::to_string(i);
            return false;
        }
        out.push_back(RawEvent{tick, static_cast<uint32_t>(arg), kind});
    }
    if (tp != te || op != oe) {
        error = "trailing bytes after " + std::to_string(count) + " events";
        return false;
    }
    return true;
}

}  // namespace ftrace::format
