#include "output_sink.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace ftrace::convert {

bool ends_with_gz(const std::string& path) {
    return path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

namespace {

class FdSink : public Sink {
public:
    FdSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    ~FdSink() override { close_fd(); }

    bool write(const char* data, size_t size) override { return raw_write(data, size); }
    bool close() override { return close_fd(); }
    const std::string& error() const override { return error_; }
    uint64_t bytes_written() const override { return written_; }

protected:
    bool raw_write(const char* data, size_t size) {
        if (!error_.empty()) return false;
        while (size > 0) {
            ssize_t n = ::write(fd_, data, size);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail(std::string("write failed: ") + std::strerror(errno));
                return false;
            }
            data += n;
            size -= static_cast<size_t>(n);
            written_ += static_cast<uint64_t>(n);
        }
        return true;
    }
    bool close_fd() {
        if (fd_ >= 0) {
            if (::close(fd_) != 0 && error_.empty()) {
                fail(std::string("close failed: ") + std::strerror(errno));
            }
            fd_ = -1;
        }
        return error_.empty();
    }
    void fail(std::string msg) {
        if (error_.empty()) error_ = path_ + ": " + msg;
    }

    int fd_;
    std::string path_;
    std::string error_;
    uint64_t written_ = 0;
};

class GzipSink final : public FdSink {
public:
    GzipSink(int fd, std::string path, int level) : FdSink(fd, std::move(path)), out_(1 << 18) {
        std::memset(&zs_, 0, sizeof zs_);
        // windowBits 15 + 16: a gzip header and trailer instead of a zlib one.
        if (deflateInit2(&zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            fail("cannot initialise zlib");
        } else {
            init_ = true;
        }
    }
    ~GzipSink() override {
        if (init_) deflateEnd(&zs_);
    }

    bool write(const char* data, size_t size) override {
        if (!init_ || !error_.empty()) return false;
        while (size > 0) {
            // avail_in is 32-bit: feed at most 1 GiB at a time.
            uInt part = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
            zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
            zs_.avail_in = part;
            if (!pump(Z_NO_FLUSH)) return false;
            data += part;
            size -= part;
        }
        return true;
    }

    bool close() override {
        if (init_ && error_.empty() && !finished_) {
            zs_.next_in = nullptr;
            zs_.avail_in = 0;
            pump(Z_FINISH);
            finished_ = true;
        }
        return close_fd();
    }

private:
    bool pump(int flush) {
        for (;;) {
            zs_.next_out = out_.data();
            zs_.avail_out = static_cast<uInt>(out_.size());
            int rc = deflate(&zs_, flush);
            if (rc == Z_STREAM_ERROR) {
                fail("zlib stream error");
                return false;
            }
            size_t have = out_.size() - zs_.avail_out;
            if (have > 0 && !raw_write(reinterpret_cast<const char*>(out_.data()), have)) return false;
            if (flush == Z_FINISH) {
                if (rc == Z_STREAM_END) return true;
            } else if (zs_.avail_in == 0 && zs_.avail_out != 0) {
                return true;
            }
        }
    }

    z_stream zs_;
    bool init_ = false;
    bool finished_ = false;
    std::vector<Bytef> out_;
};

// Runs another sink (the compressor) on its own thread, so JSON generation and deflate
// overlap. Writes are copied into a small bounded queue.
class ThreadedSink final : public Sink {
public:
    explicit ThreadedSink(std::unique_ptr<Sink> inner) : inner_(std::move(inner)) {
        worker_ = std::thread([this] { run(); });
    }
    ~ThreadedSink() override { close(); }

    bool write(const char* data, size_t size) override {
        std::unique_lock<std::mutex> lock(mu_);
        space_.wait(lock, [&] { return queue_.size() < kMaxQueued || failed_; });
        if (failed_) return false;
        queue_.emplace_back(data, size);
        ready_.notify_one();
        return true;
    }

    bool close() override {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (closed_) return error_.empty();
            closed_ = true;
        }
        ready_.notify_one();
        worker_.join();
        bool ok = inner_->close();
        if (!ok && error_.empty()) error_ = inner_->error();
        return ok && error_.empty();
    }
    const std::string& error() const override { return error_.empty() ? inner_->error() : error_; }
    uint64_t bytes_written() const override { return inner_->bytes_written(); }

private:
    static constexpr size_t kMaxQueued = 4;
    void run() {
        for (;;) {
            std::string buf;
            {
                std::unique_lock<std::mutex> lock(mu_);
                ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
                if (queue_.empty()) return;
                buf = std::move(queue_.front());
                queue_.pop_front();
            }
            space_.notify_one();
            if (!inner_->write(buf.data(), buf.size())) {
                std::lock_guard<std::mutex> lock(mu_);
                failed_ = true;
                queue_.clear();
                space_.notify_all();
            }
        }
    }

    std::unique_ptr<Sink> inner_;
    std::thread worker_;
    std::mutex mu_;
    std::condition_variable ready_, space_;
    std::deque<std::string> queue_;
    bool closed_ = false;
    bool failed_ = false;
    std::string error_;
};

}  // namespace

std::unique_ptr<Sink> open_file_sink(const std::string& path, bool gzip, std::string& error,
                                     int gzip_level) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = path + ": cannot create: " + std::strerror(errno);
        return nullptr;
    }
    if (gzip) return std::make_unique<ThreadedSink>(std::make_unique<GzipSink>(fd, path, gzip_level));
    return std::make_unique<FdSink>(fd, path);
}

}  // namespace ftrace::convert
