#include "thread_recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "chunk_writer.h"
#include "clock.h"
#include "process_session.h"
#include "py_util.h"
#include "sigterm_flush.h"
#include "trace_dir.h"
#include "version.h"

namespace ftrace::record {

static_assert(ThreadRecorder::kCapacity <= format::kMaxChunkEvents,
              "the reader refuses chunks above kMaxChunkEvents");

ThreadRecorder::ThreadRecorder(Session& session, format::ThreadInfo info, PyObject* thread_obj,
                               bool ends_at_depth0)
    : session_(session), ends_at_depth0_(ends_at_depth0), info_(std::move(info)),
      thread_obj_(thread_obj) {
    // May throw: caught by the caller.
    events_ = std::make_unique_for_overwrite<format::RawEvent[]>(kCapacity);
    flush_tick_ = clock::now() + session_.ticks_for_ns(kFlushIntervalNs);
    stack_.reserve(256);
    pending_.reserve(256);
}

// Destroyed with the GIL held (session list or hook handle release), so releasing the
// Thread object here is safe.
ThreadRecorder::~ThreadRecorder() {
    Py_XDECREF(thread_obj_);
}

void ThreadRecorder::note_new_id(uint32_t id) {
    const size_t word = id >> 6;
    if (word >= defined_.size()) defined_.resize(word + 1 + defined_.size() / 2, 0);
    defined_[word] |= uint64_t{1} << (id & 63);
    pending_.push_back(id);
}

int ThreadRecorder::open_file() {
    std::string path =
        session_.process_dir() + "/" + format::thread_file_name(info_.index, info_.tid);
    // Created exclusively (a planted file or symlink makes this fail, never followed), then
    // reopened for appending without O_CREAT (a vanished file is an error, not recreated).
    const int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (created_ ? O_APPEND : O_CREAT | O_EXCL);
    int fd;
    do {
        fd = ::open(path.c_str(), flags, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        session_.fail(std::string(created_ ? "cannot open " : "cannot create ") + path + ": " +
                      std::strerror(errno));
        return -1;
    }
    created_ = true;
    return fd;
}

bool ThreadRecorder::refresh_name() {
    if (thread_obj_ == nullptr) return false;
    ErrorGuard guard;
    // Thread._name is a plain instance attribute: a generic lookup runs no bytecode (the
    // `name` property would, and could hand the GIL to another thread mid-flush).
    // The key is made once (kept forever): a flush allocates no Python object for it, so
    // --memory sees no recorder allocation when a buffer is written mid-run.
    static PyObject* key = PyUnicode_InternFromString("_name");
    if (key == nullptr) return false;
    PyObject* name = PyObject_GenericGetAttr(thread_obj_, key);
    bool changed = false;
    if (name != nullptr && PyUnicode_Check(name)) {
        std::string now = utf8_or(name, info_.name.c_str());
        if (now != info_.name) {
            info_.name = std::move(now);
            changed = true;
            renamed_ = true;  // until a chunk carries the new ThreadInfo
        }
    }
    Py_XDECREF(name);
    return changed;
}

bool ThreadRecorder::flush(bool last) {
    // A default-handled SIGTERM arrived: if this thread may run Python code, the process
    // writes its last events and dies by it right here (does not return then).
    if (!last && python_forbidden() == 0) sigterm_flush::finish_if_pending();
    if (!alive_) return false;
    struct Depth {
        Depth() { ++flush_depth(); }
        ~Depth() { --flush_depth(); }
    } depth;
    flush_tick_ = clock::now() + session_.ticks_for_ns(kFlushIntervalNs);
    if (python_forbidden() == 0) refresh_name();
    const bool renamed = renamed_;
    if (count_ == 0 && pending_.empty() && markers_.empty() && seq_ > 0 && !last && !renamed)
        return true;

    defs_scratch_.clear();
    const FuncRegistry& registry = session_.registry();
    for (uint32_t id : pending_) defs_scratch_.push_back(registry.def(id));

    format::ChunkInput in;
    in.seq = seq_;
    in.sync = clock::take_sync();
    if (seq_ == 0) in.process = &session_.process_info();
    if (seq_ == 0 || renamed) in.thread = &info_;
    in.funcs = defs_scratch_.data();
    in.func_count = defs_scratch_.size();
    in.events = events_.get();
    in.event_count = events_ != nullptr ? count_ : 0;
    in.markers = markers_.data();
    in.marker_count = markers_.size();
    in.last = last;
    in.dropped_events = dropped_;
    flushing_ = true;  // markers_ is being read: a marker arriving now (GC) waits

    const std::vector<uint8_t>* encoded = nullptr;
    try {
        encoded = &session_.writer().encode(in);
    } catch (const std::exception& e) {
        flushing_ = false;
        session_.fail(std::string("cannot encode a chunk: ") + e.what());
        return false;
    }
    flushing_ = false;
    markers_.clear();
    const std::vector<uint8_t>& frame = *encoded;
    const int fd = open_file();
    if (fd < 0) return false;
    const uint8_t* p = frame.data();
    size_t left = frame.size();
    int err = 0;
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err != 0) {
        // Disk full, file-size limit, I/O error: the partial frame is reported by the
        // reader as a damaged tail; everything written before it stays readable.
        session_.fail("cannot write " + session_.process_dir() + "/" +
                      format::thread_file_name(info_.index, info_.tid) + ": " +
                      std::strerror(err));
        return false;
    }
    ++seq_;
    recorded_ += count_;
    count_ = 0;
    pending_.clear();
    renamed_ = false;
    if (last) {
        recording_ = false;
        alive_ = false;
        release_buffers();
    }
    if (python_forbidden() == 0) sigterm_flush::resume_if_due();  // cold: once per chunk
    return true;
}

void ThreadRecorder::add_marker(format::Marker m) {
    if (!alive_ || !recording_) return;
    if (flushing_) {
        ++dropped_;  // counted: a marker raised while this thread's chunk was being encoded
        return;
    }
    markers_.push_back(std::move(m));
    ++markers_recorded_;
    // Bounded memory for marker-heavy threads that make few calls.
    if (markers_.size() >= kMaxMarkers) flush(false);
}

void ThreadRecorder::push_open_frames(uint64_t tick, const std::vector<uint32_t>& python_ids) {
    for (uint32_t id : python_ids) on_call(tick, id, false);
}

void ThreadRecorder::close_open_frames(uint64_t tick) {
    while (!stack_.empty() && events_ != nullptr) {
        const bool is_c = (stack_.back() & kCFlag) != 0;
        stack_.pop_back();
        append(tick, 0, is_c ? format::EventKind::CReturn : format::EventKind::PyReturn);
    }
}

void ThreadRecorder::release_buffers() {
    events_.reset();
    recorded_ += count_;
    count_ = 0;
    flush_tick_ = 0;  // append() takes its slow path, which drops (no buffer)
    std::vector<uint32_t>().swap(stack_);
    std::vector<uint64_t>().swap(defined_);
    std::vector<uint32_t>().swap(pending_);
    std::vector<format::FuncDef>().swap(defs_scratch_);
    std::vector<format::Marker>().swap(markers_);
}

void ThreadRecorder::abandon() {
    recording_ = false;
    alive_ = false;
    release_buffers();
}

void ThreadRecorder::restart_in_child(format::ThreadInfo info, uint64_t tick) {
    created_ = false;  // the parent's file is the parent's: the child creates its own
    info_ = std::move(info);
    seq_ = 0;
    flush_tick_ = clock::now() + session_.ticks_for_ns(kFlushIntervalNs);
    count_ = 0;
    recorded_ = 0;
    dropped_ = 0;
    defined_.clear();
    pending_.clear();
    markers_.clear();  // the parent's: already (or never) written by the parent
    if (events_ == nullptr) {
        events_ = std::make_unique_for_overwrite<format::RawEvent[]>(kCapacity);
    }
    recording_ = true;
    alive_ = true;
    const std::vector<uint32_t> open_frames = stack_;  // append() may fail and free stack_
    for (uint32_t entry : open_frames) {
        const bool is_c = (entry & kCFlag) != 0;
        const uint32_t id = entry & ~kCFlag;
        note_id(id);
        append(tick, id, is_c ? format::EventKind::CCall : format::EventKind::PyCall);
    }
}

}  // namespace ftrace::record
