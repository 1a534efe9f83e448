#include "parallel_output.h"

#include <algorithm>

namespace ftrace::convert {

namespace {
// Non-current segments stop producing once this much output waits for earlier segments.
constexpr uint64_t kMaxPendingBytes = 64ull << 20;
}  // namespace

class ParallelOutput::SegmentSink final : public Sink {
public:
    SegmentSink(ParallelOutput& o, size_t id) : o_(o), id_(id) { buf_.reserve(o.piece_bytes_); }
    ~SegmentSink() override { close(); }
    bool write(const char* data, size_t size) override {
        if (closed_) return false;
        while (size > 0) {
            size_t n = std::min(size, o_.piece_bytes_ - buf_.size());
            buf_.append(data, n);
            data += n;
            size -= n;
            written_ += n;
            if (buf_.size() >= o_.piece_bytes_) {
                std::string full;
                full.reserve(o_.piece_bytes_);
                full.swap(buf_);
                if (!o_.submit(id_, std::move(full))) return false;
            }
        }
        return true;
    }
    bool close() override {
        if (closed_) return o_.error_.empty();
        closed_ = true;
        bool ok = buf_.empty() || o_.submit(id_, std::move(buf_));
        o_.close_segment(id_);
        return ok;
    }
    const std::string& error() const override { return o_.error_; }
    uint64_t bytes_written() const override { return written_; }

private:
    ParallelOutput& o_;
    size_t id_;
    std::string buf_;
    uint64_t written_ = 0;
    bool closed_ = false;
};

ParallelOutput::ParallelOutput(Sink& dest, size_t segments, bool gzip, int level, unsigned threads,
                               size_t piece_bytes)
    : dest_(dest), gzip_(gzip), level_(level), piece_bytes_(std::max<size_t>(piece_bytes, 4096)),
      segments_(segments) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    max_queued_ = 2 * threads;
    if (gzip_) {
        std::string h = gzip_member_header();
        if (!dest_.write(h.data(), h.size())) fail(dest_.error());
    }
    for (unsigned i = 0; i < threads; ++i) compressors_.emplace_back([this] { compress_loop(); });
    writer_ = std::thread([this] { write_loop(); });
}

ParallelOutput::~ParallelOutput() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
        if (!finished_) failed_ = true;  // abandoned: wake everyone
    }
    work_.notify_all();
    space_.notify_all();
    written_.notify_all();
    for (auto& t : compressors_) t.join();
    if (writer_.joinable()) writer_.join();
}

std::unique_ptr<Sink> ParallelOutput::segment(size_t id) { return std::make_unique<SegmentSink>(*this, id); }

void ParallelOutput::fail(const std::string& why) {
    // Called with mu_ held or before threads start.
    if (!failed_) {
        failed_ = true;
        error_ = why.empty() ? std::string("cannot write the profile") : why;
    }
}

bool ParallelOutput::submit(size_t seg, std::string&& raw) {
    json_bytes_ += raw.size();
    auto p = std::make_shared<Piece>();
    p->raw = std::move(raw);
    std::unique_lock<std::mutex> lock(mu_);
    // The segment being written never waits for the writer, only for compressors, which
    // always make progress; later segments also wait while too much output is pending.
    space_.wait(lock, [&] {
        return failed_ || (queue_.size() < max_queued_ &&
                           (seg == current_ || pending_bytes_ < kMaxPendingBytes));
    });
    if (failed_) return false;
    pending_bytes_ += p->raw.size();
    segments_[seg].pieces.push_back(p);
    queue_.push_back(std::move(p));
    work_.notify_one();
    return true;
}

void ParallelOutput::close_segment(size_t seg) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        segments_[seg].closed = true;
    }
    written_.notify_all();
}

void ParallelOutput::compress_loop() {
    std::unique_ptr<PieceCompressor> pc;
    if (gzip_) pc = std::make_unique<PieceCompressor>(level_);
    for (;;) {
        std::shared_ptr<Piece> p;
        {
            std::unique_lock<std::mutex> lock(mu_);
            work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            p = std::move(queue_.front());
            queue_.pop_front();
        }
        space_.notify_all();
        std::string err;
        bool ok = true;
        if (gzip_) {
            ok = pc->compress(p->raw.data(), p->raw.size(), p->out, err);
            std::string().swap(p->raw);
        } else {
            p->out.size = p->raw.size();
            p->out.bytes = std::move(p->raw);
        }
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (!ok) fail(err);
            p->ready = true;
        }
        written_.notify_all();
    }
}

void ParallelOutput::write_loop() {
    for (;;) {
        std::shared_ptr<Piece> p;
        {
            std::unique_lock<std::mutex> lock(mu_);
            written_.wait(lock, [&] {
                if (failed_ || current_ >= segments_.size()) return true;
                const Segment& s = segments_[current_];
                return (!s.pieces.empty() && s.pieces.front()->ready) || (s.closed && s.pieces.empty());
            });
            if (failed_ || current_ >= segments_.size()) return;
            Segment& s = segments_[current_];
            if (s.pieces.empty()) {
                ++current_;
                space_.notify_all();
                written_.notify_all();
                continue;
            }
            p = std::move(s.pieces.front());
            s.pieces.pop_front();
        }
        bool ok = p->out.bytes.empty() || dest_.write(p->out.bytes.data(), p->out.bytes.size());
        std::lock_guard<std::mutex> lock(mu_);
        if (!ok) fail(dest_.error());
        crc_ = total_ == 0 ? p->out.crc : crc32_concat(crc_, p->out.crc, p->out.size);
        total_ += p->out.size;
        pending_bytes_ -= std::min<uint64_t>(pending_bytes_, p->out.size);
        space_.notify_all();
        written_.notify_all();
    }
}

bool ParallelOutput::finish() {
    {
        std::unique_lock<std::mutex> lock(mu_);
        written_.wait(lock, [&] { return failed_ || current_ >= segments_.size(); });
        finished_ = true;
        stopping_ = true;
    }
    work_.notify_all();
    written_.notify_all();
    for (auto& t : compressors_) t.join();
    compressors_.clear();
    if (writer_.joinable()) writer_.join();
    if (failed_) return false;
    if (gzip_) {
        std::string f = gzip_member_footer(crc_, total_);
        if (!dest_.write(f.data(), f.size())) {
            fail(dest_.error());
            return false;
        }
    }
    return true;
}

}  // namespace ftrace::convert
