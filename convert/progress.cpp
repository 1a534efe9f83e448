#include "progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace ftrace::convert {


bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::start(std::string what, uint64_t total) {
    stop();
    if (!enabled_ || total == 0) return;
    what_ = std::move(what);
    total_ = total;
    done_ = 0;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void Progress::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (drawn_) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        drawn_ = false;
    }
}

void Progress::run() {
    auto begin = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_; })) {
        double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        if (elapsed >= 0.5) draw(elapsed);
    }
}

void Progress::draw(double elapsed) {
    uint64_t done = std::min(done_.load(std::memory_order_relaxed), total_);
    double frac = static_cast<double>(done) / static_cast<double>(total_);
    constexpr int kWidth = 24;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '-');
    char eta[32] = "";
    if (done > 0 && frac < 1.0) {
        double left = elapsed * (1.0 - frac) / frac;
        std::snprintf(eta, sizeof eta, "  ETA %.0f s", left);
    }
    std::fprintf(stderr, "\r\033[Kftrace: %s [%s] %3.0f%%%s", what_.c_str(), bar.c_str(), frac * 100.0, eta);
    std::fflush(stderr);
    drawn_ = true;
}

}  // namespace ftrace::convert
