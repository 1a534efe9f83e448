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

    StackTable() { slots_.assign(1024, Slot{kEmptyKey, 0}); }

    uint32_t intern(uint32_t parent, uint32_t frame) {
        const uint64_t key = (static_cast<uint64_t>(parent) << 32) | frame;
        size_t mask = slots_.size() - 1;
        for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
            Slot& s = slots_[i];
            if (s.key == key) return s.value;
            if (s.key == kEmptyKey) {
                uint32_t id = static_cast<uint32_t>(frames_.size());
                frames_.push_back(frame);
                parents_.push_back(parent);
                s = Slot{key, id};
                if (frames_.size() * 2 > slots_.size()) grow();
                return id;
            }
        }
    }

    size_t size() const { return frames_.size(); }
    uint32_t frame(uint32_t stack) const { return frames_[stack]; }
    uint32_t parent(uint32_t stack) const { return parents_[stack]; }
    // 0 for a root, else the distance back to the parent.
    uint32_t prefix_offset(uint32_t stack) const {
        return parents_[stack] == kNoParent ? 0 : stack - parents_[stack];
    }

private:
    // (kNoParent, UINT32_MAX) can never be a real key: frame UINT32_MAX does not exist.
    static constexpr uint64_t kEmptyKey = UINT64_MAX;
    struct Slot {
        uint64_t key;
        uint32_t value;
    };
    static size_t hash(uint64_t k) {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdull;
        k ^= k >> 33;
        return static_cast<size_t>(k);
    }
    void grow() {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(old.size() * 2, Slot{kEmptyKey, 0});
        size_t mask = slots_.size() - 1;
        for (const auto& s : old) {
            if (s.key == kEmptyKey) continue;
            size_t i = hash(s.key) & mask;
            while (slots_[i].key != kEmptyKey) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }

    std::vector<uint32_t> frames_;
    std::vector<uint32_t> parents_;
    std::vector<Slot> slots_;
};

}  // namespace ftrace::convert
