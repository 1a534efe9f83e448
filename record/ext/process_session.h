// The recording of one process: its folder in the trace directory, its ProcessInfo, the
// function registry and the recorders of its traced threads. Handles start/stop, interpreter
// exit, thread end, fork and failure.
//
// A leaked singleton (never destroyed, so nothing runs after the interpreter is gone). All
// methods run with the GIL held; the GIL is the session's lock.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "chunk.h"
#include "chunk_writer.h"
#include "exception_capture.h"
#include "func_registry.h"
#include "thread_recorder.h"

namespace ftrace::record {

struct StartOptions {
    // Record the frames already open on every thread (calls at the start tick), as when
    // tracing starts inside a call stack (ftrace.trace()); off for the bootstrap.
    bool include_open_frames = false;
    // Fork children get their own folder and the programs this one starts learn it is their
    // parent. When false (ftrace record --no-children), fork children run untraced and
    // nothing is left in the environment.
    bool follow_children = true;
    // Python frames only, no C calls, through the cheapest mechanism for that (--python-only).
    bool python_only = false;
    // --memory: allocator hooks (memory_hooks.h); allocations of at least
    // `memory_threshold` bytes also get a LargeAlloc marker.
    bool memory = false;
    uint64_t memory_threshold = 0;
    // --exceptions: which exceptions get markers (exception_capture.h).
    events::ExceptionMode exceptions = events::ExceptionMode::Auto;
};

// True in the main interpreter (the only one ftrace records). GIL held.
bool in_main_interpreter();

class Session {
public:
    // Inline, no guard: the hooks call this per event. Created at first use (module import).
    static Session& instance() {
        if (s_instance_ != nullptr) [[likely]] return *s_instance_;
        return create_instance();
    }

    // Starts recording this process into a new folder of `trace_dir` and hooks every thread
    // (those already running and those started later). False (after one warning line) if
    // tracing could not start; the program then runs untraced.
    bool start(const std::string& trace_dir, const StartOptions& options = {});
    // Writes every thread's buffer as its last chunk, then unhooks everything. If a SIGTERM
    // is being handled (sigterm_flush.h), the process then ends by it.
    void stop();
    // Writes every thread's buffered events (not marked last).
    void flush_all();
    bool active() const { return active_; }

    // Prints one "ftrace: warning:" line (once per process) and stops without writing more.
    // Inside an allocator hook (ThreadRecorder::python_forbidden()) only the C++ side stops at
    // once; the hooks are taken out at the next safe point (finish_deferred_fail()).
    void fail(const std::string& what);
    bool fail_deferred() const { return deferred_unhook_; }
    void finish_deferred_fail();

    // The recorder that takes the memory events of threads without one: the first thread of
    // the process still recording (null if none).
    ThreadRecorder* memory_sink() const;

    // Hook support.
    // The calling thread; `thread_obj` (borrowed) is its threading.Thread if known, else it is
    // looked up in threading._active.
    std::shared_ptr<ThreadRecorder> register_current_thread(bool ends_at_depth0,
                                                            PyObject* thread_obj = nullptr);
    // A thread that began under recording: its ThreadStart marker.
    void thread_started(ThreadRecorder* rec, uint64_t tick);
    void end_thread(ThreadRecorder* rec);  // may free `rec`; writes its ThreadEnd marker
    void after_fork_child();

    FuncRegistry& registry() { return registry_; }
    format::ChunkWriter& writer() { return writer_; }
    const format::ProcessInfo& process_info() const { return process_; }
    const std::string& process_dir() const { return process_dir_; }
    const std::vector<std::shared_ptr<ThreadRecorder>>& recorders() const { return recorders_; }
    const char* mechanism() const;  // how events are collected (hook_mechanism.h)
    // How many clock ticks `ns` nanoseconds are (estimated from the sync taken at start).
    uint64_t ticks_for_ns(int64_t ns) const;

private:
    Session() = default;
    static Session& create_instance();
    static inline Session* s_instance_ = nullptr;  // leaked on purpose: see above
    bool create_process_dir(const std::string& parent_key);
    bool register_process_hooks();  // atexit + os.register_at_fork, once per process
    void unhook_all();
    void stop_recording();
    std::shared_ptr<ThreadRecorder> register_thread(PyObject* thread_obj, int64_t tid,
                                                    bool ends_at_depth0);
    void hook_running_threads(uint64_t tick, bool include_open_frames);
    std::vector<uint32_t> open_frame_ids(PyFrameObject* innermost);  // steals the reference

    bool active_ = false;
    bool failed_ = false;
    bool process_hooks_registered_ = false;
    bool follow_children_ = true;
    bool deferred_unhook_ = false;
    std::string trace_dir_;
    std::string process_dir_;
    format::ProcessInfo process_;
    FuncRegistry registry_;
    format::ChunkWriter writer_;  // shared: every flush holds the GIL
    std::vector<std::shared_ptr<ThreadRecorder>> recorders_;
    // Recorders that a thread may still point to through t_recorder (thread_binding.h):
    // kept until the process ends. Stopped recorders hold no buffers.
    std::vector<std::shared_ptr<ThreadRecorder>> retired_;
    uint32_t next_index_ = 0;
};

// Prints `ftrace: warning: <text>` as one line on stderr (fd 2, one write).
void warn(const std::string& text);

}  // namespace ftrace::record
