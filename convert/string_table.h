// Interns strings: each distinct string gets one index, in order of first use.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ftrace::convert {

class StringTable {
public:
    uint32_t intern(std::string_view s) {
        auto it = index_.find(s);
        if (it != index_.end()) return it->second;
        strings_.emplace_back(s);
        uint32_t id = static_cast<uint32_t>(strings_.size() - 1);
        index_.emplace(std::string_view(strings_.back()), id);  // deque: stable addresses
        return id;
    }
    size_t size() const { return strings_.size(); }
    const std::string& at(uint32_t i) const { return strings_.at(i); }
    const std::deque<std::string>& strings() const { return strings_; }

private:
    std::deque<std::string> strings_;
    std::unordered_map<std::string_view, uint32_t> index_;
};

}  // namespace ftrace::convert
