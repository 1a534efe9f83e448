// The --memory pointer -> size table (record/ext/ptr_size_table.h, header-only, no Python):
// randomized against std::unordered_map, including growth and backward-shift deletion.
#include "ptr_size_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

using ftrace::record::PtrSizeTable;

namespace {
const void* addr(uint64_t a) { return reinterpret_cast<const void*>(static_cast<uintptr_t>(a)); }
}  // namespace

TEST(PtrSizeTable, InsertEraseUnknown) {
    PtrSizeTable t;
    bool found = true;
    uint64_t old = 7, size = 0;
    EXPECT_FALSE(t.erase(addr(0x1000), &size));  // empty table
    ASSERT_TRUE(t.insert(addr(0x1000), 48, &found, &old));
    EXPECT_FALSE(found);
    EXPECT_EQ(old, 0u);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_FALSE(t.erase(addr(0x2000), &size));  // a block allocated before recording
    ASSERT_TRUE(t.insert(addr(0x1000), 64, &found, &old));  // its free went unseen
    EXPECT_TRUE(found);
    EXPECT_EQ(old, 48u);
    ASSERT_TRUE(t.erase(addr(0x1000), &size));
    EXPECT_EQ(size, 64u);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_FALSE(t.erase(addr(0x1000), &size));
}

TEST(PtrSizeTable, SizesAbove32Bits) {
    PtrSizeTable t;
    bool found = false;
    uint64_t old = 0, size = 0;
    const uint64_t big = (uint64_t{5} << 30) + 17;
    ASSERT_TRUE(t.insert(addr(0x7f0000001000), big, &found, &old));
    ASSERT_TRUE(t.erase(addr(0x7f0000001000), &size));
    EXPECT_EQ(size, big);
}

TEST(PtrSizeTable, RandomizedAgainstMap) {
    PtrSizeTable t;
    std::unordered_map<uint64_t, uint64_t> ref;
    std::vector<uint64_t> live;
    std::mt19937_64 rng(42);
    bool found = false;
    uint64_t old = 0, size = 0;
    // 16-byte aligned addresses in a narrow range (dense clusters stress probe runs), enough
    // operations to grow the table several times past its initial 64 Ki slots.
    for (int i = 0; i < 250000; ++i) {
        const bool do_insert = live.empty() || rng() % 100 < (i < 180000 ? 70 : 30);
        if (do_insert) {
            const uint64_t a = 0x10000 + (rng() % (1 << 22)) * 16;
            const uint64_t s = rng() % 100000;
            ASSERT_TRUE(t.insert(addr(a), s, &found, &old));
            auto it = ref.find(a);
            ASSERT_EQ(found, it != ref.end());
            if (found) {
                ASSERT_EQ(old, it->second);
            } else {
                live.push_back(a);
            }
            ref[a] = s;
        } else {
            const size_t k = rng() % live.size();
            const uint64_t a = live[k];
            live[k] = live.back();
            live.pop_back();
            ASSERT_TRUE(t.erase(addr(a), &size));
            ASSERT_EQ(size, ref[a]);
            ref.erase(a);
            ASSERT_FALSE(t.erase(addr(a), &size));
        }
        ASSERT_EQ(t.size(), ref.size());
    }
    EXPECT_GT(t.capacity(), size_t{1} << PtrSizeTable::kInitialBits);
    for (auto [a, s] : ref) {
        ASSERT_TRUE(t.erase(addr(a), &size));
        ASSERT_EQ(size, s);
    }
    EXPECT_EQ(t.size(), 0u);
    t.release();
    EXPECT_EQ(t.capacity(), 0u);
}
