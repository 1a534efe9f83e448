// encode_events / decode_events: the exact bytes of each column (varint boundaries, negative
// tick deltas, the largest op) and the round trip, including reuse of one EncodedEvents.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "event_codec.h"

namespace ftrace::format {
namespace {

std::vector<RawEvent> decode(const EncodedEvents& enc, uint32_t count) {
    std::vector<RawEvent> out;
    std::string error;
    EXPECT_TRUE(decode_events(enc.first_tick, enc.ticks.data(), enc.ticks.size(), enc.ops.data(),
                              enc.ops.size(), count, out, error))
        << error;
    return out;
}

TEST(EventCodec, ExactBytesAtVarintBoundaries) {
    const uint64_t t0 = 1000;
    std::vector<RawEvent> ev = {
        {t0, 0, 0},                  // delta 0, op 0
        {t0 + 63, 15, 0},            // zigzag 126: 1 byte; op 15 << 3 = 120: 1 byte
        {t0 + 64, 16, 1},            // delta 1 -> 2; op 16 << 3 | 1 = 129: 2 bytes
        {t0 + 64 + 64, 0, 3},        // zigzag 128: 2 bytes
        {t0 + 63, UINT32_MAX, 2},    // negative delta -65 -> 129; op 35 bits: 5 bytes
    };
    EncodedEvents enc;
    encode_events(ev.data(), ev.size(), enc);
    EXPECT_EQ(enc.first_tick, t0);
    EXPECT_EQ(std::vector<uint8_t>(enc.ticks.begin(), enc.ticks.end()),
              (std::vector<uint8_t>{0x00, 0x7e, 0x02, 0x80, 0x01, 0x81, 0x01}));
    const uint64_t big = (uint64_t{UINT32_MAX} << 3) | 2;
    std::vector<uint8_t> big_bytes;
    for (uint64_t v = big; ; v >>= 7) {
        if (v < 0x80) { big_bytes.push_back(static_cast<uint8_t>(v)); break; }
        big_bytes.push_back(static_cast<uint8_t>(v) | 0x80);
    }
    ASSERT_EQ(big_bytes.size(), 5u);
    std::vector<uint8_t> ops = {0x00, 120, 0x81, 0x01, 0x03};
    ops.insert(ops.end(), big_bytes.begin(), big_bytes.end());
    EXPECT_EQ(std::vector<uint8_t>(enc.ops.begin(), enc.ops.end()), ops);

    auto back = decode(enc, static_cast<uint32_t>(ev.size()));
    ASSERT_EQ(back.size(), ev.size());
    for (size_t i = 0; i < ev.size(); ++i) {
        EXPECT_EQ(back[i].tick, ev[i].tick) << i;
        EXPECT_EQ(back[i].arg, ev[i].arg) << i;
        EXPECT_EQ(back[i].kind, ev[i].kind) << i;
    }
}

TEST(EventCodec, LargestTickJumpsAndReuse) {
    std::vector<RawEvent> ev = {{0, 1, 0}, {UINT64_MAX, 2, 0}, {0, 3, 1}, {UINT64_MAX / 2, 4, 5}};
    EncodedEvents enc;
    // A bigger encoding first: the second one must not keep any of its bytes.
    std::vector<RawEvent> many(1000, RawEvent{12345, 77777, 2});
    encode_events(many.data(), many.size(), enc);
    EXPECT_EQ(decode(enc, 1000).size(), 1000u);
    encode_events(ev.data(), ev.size(), enc);
    auto back = decode(enc, static_cast<uint32_t>(ev.size()));
    ASSERT_EQ(back.size(), ev.size());
    for (size_t i = 0; i < ev.size(); ++i) {
        EXPECT_EQ(back[i].tick, ev[i].tick) << i;
        EXPECT_EQ(back[i].arg, ev[i].arg) << i;
    }
    encode_events(nullptr, 0, enc);
    EXPECT_EQ(enc.first_tick, 0u);
    EXPECT_TRUE(enc.ticks.empty());
    EXPECT_TRUE(enc.ops.empty());
}

}  // namespace
}  // namespace ftrace::format
