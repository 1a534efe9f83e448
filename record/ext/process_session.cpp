#include "process_session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>

#include "clock.h"
#include "event_hooks.h"
#include "parent_lookup.h"
#include "eval_frame_hook.h"
#include "hook_mechanism.h"
#include "monitoring_hook.h"
#include "memory_hooks.h"
#include "profiler_hook.h"
#include "py_util.h"
#include "sigterm_flush.h"
#include "thread_start_hook.h"
#include "trace_dir.h"
#include "version.h"

namespace ftrace::record {

void warn(const std::string& text) {
    std::string line = "ftrace: warning: " + text + "\n";
    ssize_t ignored = ::write(2, line.data(), line.size());
    (void)ignored;
}

namespace {

int64_t os_tid() { return static_cast<int64_t>(::syscall(SYS_gettid)); }

std::vector<std::string> read_cmdline() {
    std::vector<std::string> argv;
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t start = 0;
    while (start < all.size()) {
        size_t end = all.find('\0', start);
        if (end == std::string::npos) end = all.size();
        argv.push_back(all.substr(start, end - start));
        start = end + 1;
    }
    return argv;
}

std::string executable_path() {
    PyObject* exe = PySys_GetObject("executable");  // borrowed
    std::string s = utf8_or(exe, "");
    if (!s.empty()) return s;
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string python_version() {
    std::string v = Py_GetVersion();  // "3.11.7 (main, ...) [GCC ...]"
    return v.substr(0, v.find(' '));
}

std::string host_name() {
    struct utsname u;
    return ::uname(&u) == 0 ? std::string(u.nodename) : std::string();
}

// threading.<attr> without running bytecode (borrowed, or null).
PyObject* threading_attr(const char* attr) {
    PyObject* modules = PyImport_GetModuleDict();  // borrowed
    PyObject* threading = PyDict_GetItemString(modules, "threading");
    if (threading == nullptr || !PyModule_Check(threading)) return nullptr;
    return PyDict_GetItemString(PyModule_GetDict(threading), attr);
}

// The threading.Thread object of the calling thread (new reference, or null), found in
// threading._active by ident: a dict lookup, no bytecode.
PyObject* current_thread_object() {
    ErrorGuard guard;
    PyObject* active = threading_attr("_active");
    if (active == nullptr || !PyDict_Check(active)) return nullptr;
    PyObject* ident = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    if (ident == nullptr) return nullptr;
    PyObject* t = PyDict_GetItem(active, ident);  // borrowed
    Py_DECREF(ident);
    Py_XINCREF(t);
    return t;
}

std::string thread_name_of(PyObject* thread_obj, const std::string& fallback) {
    if (thread_obj == nullptr) return fallback;
    ErrorGuard guard;
    PyObject* key = PyUnicode_FromString("_name");
    if (key == nullptr) return fallback;
    PyObject* name = PyObject_GenericGetAttr(thread_obj, key);
    Py_DECREF(key);
    std::string s = utf8_or(name, fallback.c_str());
    Py_XDECREF(name);
    return s;
}

bool ensure_trace_dir(const std::string& dir) {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return true;
        errno = ENOTDIR;
        return false;
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
    // First creator writes the marker; a concurrent creator just finds it.
    std::string marker = dir + "/" + format::kDirMarkerFile;
    int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        std::string text = format::dir_marker_text();
        ssize_t ignored = ::write(fd, text.data(), text.size());
        (void)ignored;
        ::close(fd);
    }
    return true;
}

// Python-visible process hooks (plain C API, so they exist whatever the module's name).
PyObject* py_atexit(PyObject*, PyObject*) {
    Session::instance().stop();
    Py_RETURN_NONE;
}
PyObject* py_after_fork_child(PyObject*, PyObject*) {
    Session::instance().after_fork_child();
    Py_RETURN_NONE;
}
PyObject* py_before_fork(PyObject*, PyObject*) {
    sigterm_flush::before_fork();
    Py_RETURN_NONE;
}
PyObject* py_after_fork_parent(PyObject*, PyObject*) {
    sigterm_flush::after_fork_parent();
    Py_RETURN_NONE;
}
PyMethodDef atexit_def = {"_ftrace_atexit", py_atexit, METH_NOARGS,
                          "ftrace: writes every thread's last chunk"};
PyMethodDef fork_def = {"_ftrace_after_fork_child", py_after_fork_child, METH_NOARGS,
                        "ftrace: starts the child's own trace files"};
PyMethodDef before_fork_def = {"_ftrace_before_fork", py_before_fork, METH_NOARGS,
                               "ftrace: stops the SIGTERM watchdog thread for the fork"};
PyMethodDef after_fork_parent_def = {"_ftrace_after_fork_parent", py_after_fork_parent,
                                     METH_NOARGS, "ftrace: restarts the SIGTERM watchdog"};

void stop_for_sigterm() { Session::instance().stop(); }
// In the SIGTERM handler: the interrupted thread's next event writes the last chunks.
void poke_for_sigterm() {
    if (ThreadRecorder* rec = hook::signal_thread_recorder()) rec->request_flush_from_signal();
}

}  // namespace

uint64_t Session::ticks_for_ns(int64_t ns) const {
    if (!clock::g_use_tsc) return static_cast<uint64_t>(ns);
    // The TSC rate, measured since this process started; below 10 ms of history assume one
    // tick per ns (every invariant TSC runs at >= 1 GHz, so the interval only gets shorter).
    if (!process_.start_sync) return static_cast<uint64_t>(ns);
    const int64_t dm = clock::monotonic_ns() - process_.start_sync->monotonic_ns;
    const uint64_t dt = clock::now() - process_.start_sync->tick;
    if (dm < 10'000'000) return static_cast<uint64_t>(ns);
    return static_cast<uint64_t>(static_cast<long double>(dt) / static_cast<long double>(dm) *
                                 static_cast<long double>(ns));
}

Session& Session::create_instance() {
    s_instance_ = new Session();  // leaked on purpose: see the header (GIL held)
    return *s_instance_;
}

bool Session::create_process_dir(const std::string& parent_key) {
    process_ = format::ProcessInfo{};
    process_.pid = ::getpid();
    process_.ppid = ::getppid();
    process_.parent_key = parent_key;
    if (parent_key.empty()) {
        // Not a fork child: find the traced process that started us (see parent_lookup.h).
        process_.parent_key = find_parent_key(trace_dir_, process_.pid, process_.ppid,
                                              std::getenv(kParentKeyEnv));
    }
    process_.argv = read_cmdline();
    process_.executable = executable_path();
    process_.python_version = python_version();
    process_.host = host_name();
    process_.clock = clock::init();
    process_.start_sync = clock::take_sync();
    for (int attempt = 0; attempt < 100; ++attempt) {
        process_.start_realtime_ns = clock::realtime_ns() + attempt;
        process_.process_key = format::process_dir_name(process_.pid, process_.start_realtime_ns);
        process_dir_ = trace_dir_ + "/" + process_.process_key;
        if (::mkdir(process_dir_.c_str(), 0700) == 0) {
            if (follow_children_) ::setenv(kParentKeyEnv, process_.process_key.c_str(), 1);
            return true;
        }
        if (errno != EEXIST) break;
    }
    fail("cannot create " + process_dir_ + ": " + std::strerror(errno));
    return false;
}

bool Session::register_process_hooks() {
    if (process_hooks_registered_) return true;
    // atexit handlers run last-registered-first: registering at startup makes ours run after
    // every handler of the program, so their events are recorded too.
    PyObject* atexit = PyImport_ImportModule("atexit");
    PyObject* os = atexit != nullptr ? PyImport_ImportModule("os") : nullptr;
    PyObject* on_exit = PyCFunction_New(&atexit_def, nullptr);
    PyObject* on_fork = PyCFunction_New(&fork_def, nullptr);
    PyObject* before_fork = PyCFunction_New(&before_fork_def, nullptr);
    PyObject* fork_parent = PyCFunction_New(&after_fork_parent_def, nullptr);
    bool ok = atexit != nullptr && os != nullptr && on_exit != nullptr && on_fork != nullptr &&
              before_fork != nullptr && fork_parent != nullptr;
    if (ok) {
        PyObject* r = PyObject_CallMethod(atexit, "register", "O", on_exit);
        ok = r != nullptr;
        Py_XDECREF(r);
    }
    if (ok) {
        PyObject* reg = PyObject_GetAttrString(os, "register_at_fork");
        if (reg != nullptr) {
            // `before`/`after_in_parent`: the SIGTERM watchdog thread is not running while
            // os.fork() counts threads (sigterm_flush.h).
            PyObject* kwargs = Py_BuildValue("{s:O,s:O,s:O}", "after_in_child", on_fork,
                                             "before", before_fork, "after_in_parent",
                                             fork_parent);
            PyObject* empty = PyTuple_New(0);
            PyObject* r = kwargs && empty ? PyObject_Call(reg, empty, kwargs) : nullptr;
            ok = r != nullptr;
            Py_XDECREF(r);
            Py_XDECREF(empty);
            Py_XDECREF(kwargs);
            Py_DECREF(reg);
        } else {
            PyErr_Clear();  // no fork on this platform
        }
    }
    Py_XDECREF(fork_parent);
    Py_XDECREF(before_fork);
    Py_XDECREF(on_fork);
    Py_XDECREF(on_exit);
    Py_XDECREF(os);
    Py_XDECREF(atexit);
    if (!ok) PyErr_Clear();
    process_hooks_registered_ = ok;
    return ok;
}

bool in_main_interpreter() { return PyThreadState_Get()->interp == PyInterpreterState_Main(); }

const char* Session::mechanism() const { return mechanism_name(g_mechanism); }

bool Session::start(const std::string& trace_dir, const StartOptions& options) {
    try {
        if (!in_main_interpreter()) {
            // The hooks and the recorder's state are the main interpreter's (3.12+ refuses to
            // load the extension in a subinterpreter at all).
            warn("ftrace records the main interpreter only; this subinterpreter runs untraced");
            return false;
        }
        if (active_) return true;
        if (failed_) return false;
        follow_children_ = options.follow_children;
        if (!follow_children_) ::unsetenv(kParentKeyEnv);
        Mechanism mechanism;
        std::string why;
        if (!choose_mechanism(options.python_only, mechanism, why)) {
            warn(why + "; this process runs untraced");
            return false;
        }
        PyThreadState* ts = PyThreadState_Get();
        if (!binds_by_tls(mechanism) && compat::profile_func_of(ts) != nullptr &&
            compat::profile_func_of(ts) != hook::profile_hook) {
            warn("another profiler is installed (sys.setprofile); ftrace does not replace it, "
                 "this process runs untraced");
            return false;
        }
        if (!registry_.init()) {
            warn("no free code-object slot in this interpreter; this process runs untraced");
            return false;
        }
        char resolved[PATH_MAX];
        trace_dir_ = trace_dir;
        if (!ensure_trace_dir(trace_dir_)) {
            fail("cannot create trace directory " + trace_dir_ + ": " + std::strerror(errno));
            return false;
        }
        if (::realpath(trace_dir_.c_str(), resolved) != nullptr) trace_dir_ = resolved;

        // Python-level preparation first (it runs bytecode, which must not be recorded
        // half-way nor interleave with the registration below).
        {
            PyObject* threading = PyImport_ImportModule("threading");
            if (threading == nullptr) {
                PyErr_Clear();
                warn("cannot import threading; this process runs untraced");
                return false;
            }
            Py_DECREF(threading);
        }
        if (!register_process_hooks()) {
            warn("cannot register the exit/fork handlers; this process runs untraced");
            return false;
        }
        if (!create_process_dir("")) return false;

        for (auto& r : recorders_) retired_.push_back(std::move(r));
        recorders_.clear();
        next_index_ = 0;
        g_mechanism = mechanism;
        g_python_only = options.python_only;
        events::g_exception_mode = options.exceptions;
        if (mechanism == Mechanism::Monitoring && !monitoring_hook::install(options.python_only, why)) {
            warn(why + "; this process runs untraced");
            return false;
        }
        active_ = true;
        const uint64_t tick = clock::now();
        std::shared_ptr<ThreadRecorder> main = register_current_thread(false);
        if (!main) return false;
        if (options.include_open_frames) {
            main->push_open_frames(tick, open_frame_ids(compat::current_frame()));
        }
        if (!hook::install_on_current_thread(main)) {
            PyErr_Clear();
            fail("cannot install the profile hook");
            return false;
        }
        // Last: from here on every frame of every thread passes through it.
        if (mechanism == Mechanism::EvalFrame) eval_hook::install();
        hook_running_threads(tick, options.include_open_frames);
        events::install();
        thread_start_hook::install();
        // Chunk 0 (process and thread details) right away: a process killed before its first
        // buffer fills is still listed, and an unwritable directory is reported at start.
        // Before the memory hooks, which would count the writer's own allocations.
        if (!main->flush(false)) return false;
        if (options.memory) {
            memory::install(options.memory_threshold > 0 ? options.memory_threshold
                                                         : memory::kDefaultLargeThreshold);
        }
        sigterm_flush::arm(stop_for_sigterm, poke_for_sigterm);
        return true;
    } catch (const std::exception& e) {
        fail(std::string("internal error at start: ") + e.what());
        return false;
    }
}

std::shared_ptr<ThreadRecorder> Session::register_current_thread(bool ends_at_depth0,
                                                                 PyObject* thread_obj) {
    if (!active_) return nullptr;
    if (thread_obj != nullptr) {
        Py_INCREF(thread_obj);  // register_thread takes a reference
    } else {
        thread_obj = current_thread_object();
    }
    return register_thread(thread_obj, os_tid(), ends_at_depth0);
}

std::vector<uint32_t> Session::open_frame_ids(PyFrameObject* frame) {
    std::vector<uint32_t> ids;  // innermost first, reversed below
    while (frame != nullptr) {
        ids.push_back(registry_.id_for_code(compat::frame_code(frame), frame));
        PyFrameObject* back = compat::frame_back(frame);
        Py_DECREF(frame);
        frame = back;
    }
    return std::vector<uint32_t>(ids.rbegin(), ids.rend());
}

// Threads that were running before start (the ftrace.trace() case): each gets its own
// recorder and handle. Their Thread objects are found in threading._active by ident.
void Session::hook_running_threads(uint64_t tick, bool include_open_frames) {
    PyThreadState* self = PyThreadState_Get();
    PyInterpreterState* interp = self->interp;
    PyObject* active = threading_attr("_active");
    for (PyThreadState* ts = PyInterpreterState_ThreadHead(interp); ts != nullptr && active_;
         ts = PyThreadState_Next(ts)) {
        if (ts == self || compat::profile_func_of(ts) != nullptr) continue;
        PyObject* thread_obj = nullptr;
        int64_t tid = 0;
        if (active != nullptr && PyDict_Check(active)) {
            PyObject* ident = PyLong_FromUnsignedLong(compat::thread_ident(ts));
            thread_obj = ident != nullptr ? PyDict_GetItem(active, ident) : nullptr;
            Py_XDECREF(ident);
            Py_XINCREF(thread_obj);
        }
        if (thread_obj != nullptr) {
            PyObject* nid = PyObject_GetAttrString(thread_obj, "_native_id");
            if (nid != nullptr && PyLong_Check(nid)) tid = PyLong_AsLongLong(nid);
            Py_XDECREF(nid);
        }
        PyErr_Clear();
        if (tid <= 0) tid = static_cast<int64_t>(compat::thread_ident(ts));
        // Its outermost frame is seen when the open frames are recorded: its return then
        // ends the thread, as for threads started under recording.
        std::shared_ptr<ThreadRecorder> rec =
            register_thread(thread_obj, tid, include_open_frames);
        if (!rec) return;
        if (include_open_frames) rec->push_open_frames(tick, open_frame_ids(compat::thread_frame(ts)));
        if (!hook::install_on_thread(ts, rec)) {
            rec->abandon();
            warn("cannot hook a running thread; it is not traced");
        }
    }
}

void Session::thread_started(ThreadRecorder* rec, uint64_t tick) {
    format::Marker m;
    m.kind = format::MarkerKind::ThreadStart;
    m.name = "thread start";
    m.start_tick = m.end_tick = tick;
    m.fields.push_back(events::text_field("name", rec->info().name));
    rec->add_marker(std::move(m));
}

std::shared_ptr<ThreadRecorder> Session::register_thread(PyObject* thread_obj, int64_t tid,
                                                         bool ends_at_depth0) {
    PyObject* main_obj = threading_attr("_main_thread");
    format::ThreadInfo info;
    info.tid = tid;
    info.index = next_index_++;
    info.is_main = thread_obj != nullptr ? thread_obj == main_obj : !ends_at_depth0;
    info.name = thread_name_of(thread_obj, info.is_main ? "MainThread"
                                                        : "Thread-" + std::to_string(info.tid));
    try {
        auto rec = std::make_shared<ThreadRecorder>(*this, std::move(info), thread_obj,
                                                    ends_at_depth0);
        recorders_.push_back(rec);
        return rec;
    } catch (const std::bad_alloc&) {
        Py_XDECREF(thread_obj);
        fail("out of memory for a thread buffer");
        return nullptr;
    }
}

void Session::flush_all() {
    if (!active_) return;
    try {
        for (size_t i = 0; i < recorders_.size() && active_; ++i) recorders_[i]->flush(false);
    } catch (const std::exception& e) {
        fail(std::string("internal error while flushing: ") + e.what());
    }
}

void Session::unhook_all() {
    compat::clear_profile_everywhere(hook::profile_hook);
    compat::clear_profile_everywhere(hook::noop_hook);
    compat::clear_profile_everywhere(hook::bind_hook);
    if (g_mechanism == Mechanism::EvalFrame) eval_hook::uninstall();
    if (g_mechanism == Mechanism::Monitoring) monitoring_hook::uninstall();
    hook::uninstall_current_thread();
    thread_start_hook::uninstall();
}

void Session::stop() {
    sigterm_flush::stop_begins();
    stop_recording();
    // Last: if a SIGTERM is being handled (sigterm_flush.h), the process ends by it here.
    sigterm_flush::recording_stopped();
}

void Session::stop_recording() {
    if (deferred_unhook_) finish_deferred_fail();
    if (!active_) return;
    memory::uninstall();  // first: no event may follow the last chunks
    events::uninstall();
    try {
        // Recording ends inside whatever frames are open: their returns, at the stop tick.
        const uint64_t tick = clock::now();
        for (auto& r : recorders_) r->close_open_frames(tick);
        for (size_t i = 0; i < recorders_.size() && active_; ++i) recorders_[i]->flush(true);
    } catch (const std::exception& e) {
        fail(std::string("internal error while writing the last chunks: ") + e.what());
    }
    if (!active_) return;  // failed meanwhile: fail() already stopped everything
    active_ = false;
    for (auto& r : recorders_) r->abandon();  // frees buffers of anything not yet finished
    unhook_all();
}

void Session::fail(const std::string& what) {
    if (!failed_) {
        failed_ = true;
        warn(what + "; the program continues untraced");
    }
    active_ = false;
    sigterm_flush::disarm();
    memory::uninstall();  // C only: safe inside an allocator hook
    for (auto& r : recorders_) r->abandon();
    if (ThreadRecorder::python_forbidden() > 0) {
        deferred_unhook_ = true;  // the recorders ignore events meanwhile
        return;
    }
    finish_deferred_fail();
}

void Session::finish_deferred_fail() {
    deferred_unhook_ = false;
    unhook_all();
    events::uninstall();
}

ThreadRecorder* Session::memory_sink() const {
    if (!active_) return nullptr;
    for (const auto& r : recorders_) {
        if (r->recording()) return r.get();
    }
    return nullptr;
}

void Session::end_thread(ThreadRecorder* rec) {
    rec->refresh_name();
    format::Marker m;
    m.kind = format::MarkerKind::ThreadEnd;
    m.name = "thread end";
    m.start_tick = m.end_tick = clock::now();
    m.fields.push_back(events::text_field("name", rec->info().name));
    rec->add_marker(std::move(m));
    rec->flush(true);  // on failure the session is failed and `rec` abandoned
    auto it = std::find_if(recorders_.begin(), recorders_.end(),
                           [rec](const std::shared_ptr<ThreadRecorder>& p) { return p.get() == rec; });
    if (it != recorders_.end()) recorders_.erase(it);
    // Last: this may drop the final reference to `rec`.
    hook::uninstall_current_thread();
}

void Session::after_fork_child() {
    // First: the parent's watchdog thread does not exist here (armed again below).
    sigterm_flush::after_fork_child();
    if (!active_) return;
    if (!follow_children_) {
        // The child runs untraced: drop what it inherited, write nothing.
        memory::uninstall();
        for (auto& r : recorders_) r->abandon();
        recorders_.clear();
        active_ = false;
        unhook_all();
        return;
    }
    memory::after_fork_child();
    try {
        const uint64_t tick = clock::now();
        ThreadRecorder* current = hook::current_recorder();
        std::shared_ptr<ThreadRecorder> keep;
        for (auto& r : recorders_) {
            if (r.get() == current) {
                keep = r;
            } else {
                r->abandon();  // another thread of the parent: its events stay the parent's
            }
        }
        recorders_.clear();
        const std::string parent_key = process_.process_key;
        if (!create_process_dir(parent_key)) return;  // failed: fail() disarmed
        next_index_ = 0;
        if (keep) {
            format::ThreadInfo info = keep->info();
            info.tid = os_tid();
            info.index = next_index_++;
            info.is_main = true;  // the forking thread is the child's main thread
            recorders_.push_back(keep);
            keep->restart_in_child(std::move(info), tick);
            // The child's chunk 0 right away, so even a child killed early is listed.
            keep->flush(false);
        }
        if (active_) sigterm_flush::arm(stop_for_sigterm, poke_for_sigterm);
    } catch (const std::exception& e) {
        fail(std::string("internal error after fork: ") + e.what());
    }
}

}  // namespace ftrace::record
