// The shared stack table: a prefix tree of frames. A stack is (parent stack, frame); the
// same pair always gets the same index, and a parent always gets a smaller index than its
// children, so the profile's prefixOffset (index - parent) is positive, and 0 marks a root.
//
// Interning is on the per-event hot path, so the index is a flat open-addressing table
// (linear probing, power-of-two capacity) rather than a node-based map.
#pragma once
#include <cstdint>
#include <vector>

namespace ftrace::convert {

class StackTable {
public:
    static constexpr uint32_t kNoParent = UINT32_MAX;

    StackTable() { slots_.assign(1024, kEmpty); }

    uint32_t intern(uint32_t parent, uint32_t frame) {
        const uint64_t key = (static_cast<uint64_t>(parent) << 32) | frame;
        size_t mask = slots_.size() - 1;
        for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
            uint32_t id = slots_[i];
            if (id == kEmpty) {
                id = static_cast<uint32_t>(keys_.size());
                keys_.push_back(key);
                slots_[i] = id;
                if (keys_.size() * 2 > slots_.size()) grow();
                return id;
            }
            if (keys_[id] == key) return id;
        }
    }

    size_t size() const { return keys_.size(); }
    uint32_t frame(uint32_t stack) const { return static_cast<uint32_t>(keys_[stack]); }
    uint32_t parent(uint32_t stack) const { return static_cast<uint32_t>(keys_[stack] >> 32); }
    // 0 for a root, else the distance back to the parent.
    uint32_t prefix_offset(uint32_t stack) const {
        return parent(stack) == kNoParent ? 0 : stack - parent(stack);
    }

private:
    // Slots hold only stack ids (the key lives in keys_): 4 bytes per slot keeps a table of
    // millions of stacks (synthetic worst cases) at about 20 bytes per stack.
    static constexpr uint32_t kEmpty = UINT32_MAX;
    static size_t hash(uint64_t k) {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdull;
        k ^= k >> 33;
        return static_cast<size_t>(k);
    }
    void grow() {
        slots_.assign(slots_.size() * 2, kEmpty);
        size_t mask = slots_.size() - 1;
        for (uint32_t id = 0; id < keys_.size(); ++id) {
            size_t i = hash(keys_[id]) & mask;
            while (slots_[i] != kEmpty) i = (i + 1) & mask;
            slots_[i] = id;
        }
    }

    std::vector<uint64_t> keys_;  // (parent << 32) | frame, by stack id
    std::vector<uint32_t> slots_;
};

}  // namespace ftrace::convert
