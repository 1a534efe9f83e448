// One traced thread: its event buffer, its open-frame stack, the function ids its file has
// defined, and its thread file. Owned through shared_ptr by the session (while the thread is
// traced) and by the thread's hook handle (while the hook can still fire), so a stale hook
// never sees freed memory.
//
// Threading: every method runs with the GIL held, either on the owning thread (hot path,
// flush when full, thread end) or on another thread while the owner is blocked on the GIL
// (flush at exit, fork, stop). Flushing never runs Python bytecode, so it cannot hand the GIL
// to the owner in the middle.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chunk.h"
#include "compat.h"
#include "event.h"

namespace ftrace::record {

class Session;

class ThreadRecorder {
public:
    static constexpr uint32_t kCapacity = 64 * 1024;  // events per chunk (1 MiB buffer)
    static constexpr size_t kMaxMarkers = 4096;        // markers per chunk at most
    static constexpr uint32_t kCFlag = 0x80000000u;    // stack entry is a C call
    // A busy thread also writes its buffer once this much time has passed since its last
    // write, so a killed long-running process loses at most ~this much of each thread's
    // recent activity (and never more than one buffer, kCapacity events).
    static constexpr int64_t kFlushIntervalNs = 1'000'000'000;

    // `thread_obj`: the threading.Thread (new reference, may be null). `ends_at_depth0`: the
    // thread's recording began at its outermost frame (Thread._bootstrap, or the function a
    // _thread thread was started with), so the stack becoming empty again means the thread
    // is finishing.
    ThreadRecorder(Session& session, format::ThreadInfo info, PyObject* thread_obj,
                   bool ends_at_depth0);
    ~ThreadRecorder();
    ThreadRecorder(const ThreadRecorder&) = delete;
    ThreadRecorder& operator=(const ThreadRecorder&) = delete;

    bool recording() const { return recording_; }

    // ---- hot path: no allocation (except the first sight of an id, or a deeper stack than
    // ever before), no lock, no syscall (except when the buffer is full).
    void on_call(uint64_t tick, uint32_t id, bool is_c) {
        note_id(id);
        stack_.push_back(is_c ? (id | kCFlag) : id);
        append(tick, id, is_c ? format::EventKind::CCall : format::EventKind::PyCall);
    }
    // Returns true when the thread's outermost traced frame just returned (thread end).
    bool on_return(uint64_t tick, bool is_c) {
        if (stack_.empty()) return false;  // a frame entered before recording began
        // A C return over a Python frame closes a C call entered before recording began
        // (e.g. the ftrace.start() call itself, under synthesized enclosing frames).
        if (is_c && (stack_.back() & kCFlag) == 0) return false;
        stack_.pop_back();
        append(tick, 0, is_c ? format::EventKind::CReturn : format::EventKind::PyReturn);
        return stack_.empty() && ends_at_depth0_ && recording_;
    }

    // --memory (memory_hooks.cpp): an allocation or free of `bytes`, possibly on behalf of
    // another thread (GIL held). Sizes above 4 GiB - 1 are split over several events of the
    // same kind and tick, so the sum is exact.
    void on_memory(uint64_t tick, uint64_t bytes, bool is_free) {
        const auto kind = is_free ? format::EventKind::Free : format::EventKind::Alloc;
        do {
            const uint32_t part = bytes > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(bytes);
            append(tick, part, kind);
            bytes -= part;
        } while (bytes > 0);
    }
    // Open frames (calls minus returns seen).
    size_t depth() const { return stack_.size(); }

    // Code running inside an allocator hook must not call into Python (the allocation may
    // come from anywhere in the interpreter): flush() then skips the thread-name refresh and
    // Session::fail() defers its unhooking. Process-wide, GIL-protected.
    static int& python_forbidden() {
        static int depth = 0;
        return depth;
    }
    // True while any recorder writes a chunk: allocations made by the writing itself are not
    // recorded (it would re-enter the writer).
    static bool any_flushing() { return flush_depth() > 0; }

    // The function id of the innermost open Python frame (kNoFunc-like UINT32_MAX if none).
    uint32_t top_python_id() const {
        for (size_t i = stack_.size(); i > 0; --i) {
            if ((stack_[i - 1] & kCFlag) == 0) return stack_[i - 1];
        }
        return UINT32_MAX;
    }

    // ---- markers (cold path): appended here, written with the thread's next chunk.
    void add_marker(format::Marker m);
    // Pushes calls for frames that were already open when recording began (outermost
    // first), all at `tick`, so their later returns balance.
    void push_open_frames(uint64_t tick, const std::vector<uint32_t>& python_ids);
    // Appends returns for every open frame at `tick` (recording stops inside them).
    void close_open_frames(uint64_t tick);
    uint64_t marker_count() const { return markers_recorded_; }
    // Per-thread state of the exception-marker logic (event_hooks.cpp): the exception last
    // seen and its traceback head then (compared only, never dereferenced).
    const void* last_exc = nullptr;
    const void* last_exc_tb = nullptr;
    const void* last_exc_tb_frame = nullptr;
    int last_exc_tb_lasti = -1;

    // Makes the next event take the slow path (flush()), from a signal handler running on the
    // owning thread (sigterm_flush.h): one relaxed atomic store.
    void request_flush_from_signal() {
        std::atomic_ref<uint64_t>(flush_tick_).store(0, std::memory_order_relaxed);
    }

    // Writes the buffered events as one chunk (a chunk is written even when empty if `last`
    // or if nothing was written yet). `last` ends the thread: the file is closed, the
    // buffer freed, recording stops. False after a write error (the session was failed).
    bool flush(bool last);
    // Stops recording without writing anything more; frees the buffer, closes the file.
    void abandon();
    // Fork child: drops everything inherited (buffered events, file, defined ids) and starts
    // over as a thread of the new process; re-emits the open frames as calls at `tick` so the
    // child's file is balanced and self-contained.
    void restart_in_child(format::ThreadInfo info, uint64_t tick);

    const format::ThreadInfo& info() const { return info_; }
    bool refresh_name();  // true when the thread's name changed since the last ThreadInfo sent
    uint64_t recorded_events() const { return recorded_ + count_; }
    uint64_t dropped_events() const { return dropped_; }

private:
    void note_id(uint32_t id) {
        const size_t word = id >> 6;
        const uint64_t bit = uint64_t{1} << (id & 63);
        if (word < defined_.size() && (defined_[word] & bit) != 0) return;
        note_new_id(id);
    }
    void note_new_id(uint32_t id);
    static int& flush_depth() {
        static int depth = 0;
        return depth;
    }
    // One compare-and-branch pair per event: a recorder without a buffer (ended, abandoned)
    // has flush_tick_ = 0, so it also takes the slow path, where flush() refuses (!alive_).
    void append(uint64_t tick, uint32_t arg, format::EventKind kind) {
        if (count_ == kCapacity || tick >= flush_tick_) [[unlikely]] {
            if (events_ == nullptr || !flush(false)) {
                ++dropped_;
                return;
            }
        }
        events_[count_++] = format::RawEvent{tick, arg, static_cast<uint32_t>(kind)};
    }
    // The file is opened for each write and closed right after, never kept open: thousands
    // of threads cost no descriptors, a program that closes descriptors it does not know
    // (closerange) cannot make us write into its files, and a vanished directory is noticed.
    int open_file();
    void release_buffers();

    Session& session_;
    // hot
    std::unique_ptr<format::RawEvent[]> events_;
    uint32_t count_ = 0;
    // Write the buffer at the first event at/after this tick. Also 0 from a signal handler.
    alignas(std::atomic_ref<uint64_t>::required_alignment) uint64_t flush_tick_ = UINT64_MAX;
    bool recording_ = true;
    bool ends_at_depth0_ = false;
    std::vector<uint32_t> stack_;
    std::vector<uint64_t> defined_;  // bitset over function ids already defined in this file
    std::vector<uint32_t> pending_;  // ids whose FuncDef goes into the next chunk
    uint64_t recorded_ = 0;  // events appended before the current buffer (+ count_: all)
    uint64_t dropped_ = 0;
    // cold
    bool alive_ = true;  // false once the last chunk is written or the recorder abandoned
    format::ThreadInfo info_;
    PyObject* thread_obj_ = nullptr;
    bool created_ = false;  // the file exists (created exclusively by the first write)
    uint32_t seq_ = 0;
    std::vector<format::FuncDef> defs_scratch_;
    std::vector<format::Marker> markers_;
    uint64_t markers_recorded_ = 0;
    bool flushing_ = false;
    bool renamed_ = false;
};

}  // namespace ftrace::record
