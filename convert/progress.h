// A progress bar on stderr for long conversions: "converting 10M events [#####-----] 45%  ETA 3 s".
// Drawn by its own thread every 200 ms, only when enabled (stderr is a terminal and not
// --quiet), only after the first half second, and erased when done.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace ftrace::convert {

class Progress {
public:
    explicit Progress(bool enabled) : enabled_(enabled) {}
    ~Progress() { stop(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // True when stderr is a terminal.
    static bool stderr_is_terminal();

    void start(std::string what, uint64_t total);
    void add(uint64_t n) { done_.fetch_add(n, std::memory_order_relaxed); }
    void stop();

private:
    void run();
    void draw(double elapsed);
    const bool enabled_;
    std::string what_;
    uint64_t total_ = 0;
    std::atomic<uint64_t> done_{0};
    bool drawn_ = false;
    bool stopping_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
    std::thread thread_;
};

}  // namespace ftrace::convert
