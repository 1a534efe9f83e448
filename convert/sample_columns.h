// A thread's samples, compact: stack and time columns as varints (zigzag deltas), about
// 3-5 bytes per sample instead of 16, because a converter worker must hold a whole thread's
// samples before writing them (the profile stores the stack column before the time column).
#pragma once
#include <cstdint>
#include <vector>

namespace ftrace::convert {

class SampleColumns {
public:
    void push(int64_t t_ns, int32_t stack) {
        put(stacks_, zigzag(static_cast<int64_t>(stack) - prev_stack_));
        put(times_, zigzag(t_ns - prev_t_));
        prev_stack_ = stack;
        prev_t_ = t_ns;
        ++size_;
    }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    int64_t last_time() const { return prev_t_; }
    size_t memory_bytes() const { return stacks_.capacity() + times_.capacity(); }

    // f(int32_t stack) for every sample, in order.
    template <typename F>
    void each_stack(F&& f) const {
        size_t pos = 0;
        int64_t s = 0;
        for (size_t i = 0; i < size_; ++i) {
            s += unzigzag(get(stacks_, pos));
            f(static_cast<int32_t>(s));
        }
    }
    // f(int64_t delta_ns) for every sample: its time minus the previous one's (the first: minus 0).
    template <typename F>
    void each_delta(F&& f) const {
        size_t pos = 0;
        for (size_t i = 0; i < size_; ++i) f(unzigzag(get(times_, pos)));
    }

private:
    static uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
    static int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
    static void put(std::vector<uint8_t>& out, uint64_t v) {
        while (v >= 0x80) {
            out.push_back(static_cast<uint8_t>(v | 0x80));
            v >>= 7;
        }
        out.push_back(static_cast<uint8_t>(v));
    }
    static uint64_t get(const std::vector<uint8_t>& in, size_t& pos) {
        uint64_t v = 0;
        for (int shift = 0;; shift += 7) {
            uint8_t b = in[pos++];
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (b < 0x80) return v;
        }
    }

    std::vector<uint8_t> stacks_, times_;
    int64_t prev_t_ = 0;
    int64_t prev_stack_ = 0;
    size_t size_ = 0;
};

}  // namespace ftrace::convert
