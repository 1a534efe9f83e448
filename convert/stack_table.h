// The shared stack table: a prefix tree of frames. A stack is (parent stack, frame); the
// same pair always gets the same index, and a parent always gets a smaller index than its
// children, so the profile's prefixOffset (index - parent) is positive, and 0 marks a root.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ftrace::convert {

class StackTable {
public:
    static constexpr uint32_t kNoParent = UINT32_MAX;

    uint32_t intern(uint32_t parent, uint32_t frame) {
        uint64_t key = (static_cast<uint64_t>(parent) << 32) | frame;
        auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(frames_.size()));
        if (inserted) {
            frames_.push_back(frame);
            parents_.push_back(parent);
        }
        return it->second;
    }

    size_t size() const { return frames_.size(); }
    uint32_t frame(uint32_t stack) const { return frames_[stack]; }
    uint32_t parent(uint32_t stack) const { return parents_[stack]; }
    // 0 for a root, else the distance back to the parent.
    uint32_t prefix_offset(uint32_t stack) const {
        return parents_[stack] == kNoParent ? 0 : stack - parents_[stack];
    }

private:
    std::vector<uint32_t> frames_;
    std::vector<uint32_t> parents_;
    std::unordered_map<uint64_t, uint32_t> index_;
};

}  // namespace ftrace::convert
