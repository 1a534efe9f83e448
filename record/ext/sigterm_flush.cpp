#include "sigterm_flush.h"

#include <Python.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>

#include "clock.h"
#include "process_session.h"
#include "py_util.h"

namespace ftrace::record::sigterm_flush {

namespace {

// Who acts on a SIGTERM of this process. Read by the handler: lock-free atomics only.
enum State : int {
    kOff,      // nobody: the handler gives the default action at once
    kIdle,     // the watchdog waits for the handler's post
    kForking,  // the watchdog is stopped for an os.fork(); after_fork_parent() takes over
    kPending,  // a SIGTERM arrived: the process is ending by it once the events are written
};
std::atomic<int> g_state{kOff};
std::atomic<pid_t> g_pid{0};  // the process whose watchdog this is (not a C-level fork child)
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<pid_t>::is_always_lock_free,
              "used in a signal handler");

sem_t g_wake;  // handler -> watchdog (also the quit request)
sem_t g_done;  // flusher -> watchdog: the flusher returned (the program governs SIGTERM)
std::atomic<bool> g_quit{false};
std::atomic<pid_t> g_watchdog_tid{0};
// GIL-protected.
bool g_sems_ready = false;
bool g_watchdog_joinable = false;  // the watchdog runs, idle, and is joined when stopped
pthread_t g_watchdog;
void (*g_stop)() = nullptr;
std::atomic<void (*)()> g_poke{nullptr};
bool g_in_stop = false;  // a stop() is running: finish_if_pending() must not start another
bool g_resume_wanted = false;  // 3.13+: restart the watchdog after an os.fork()
int64_t g_forked_ns = 0;

void set_default() {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
}

void on_sigterm(int) {
    const int saved_errno = errno;
    int s = kIdle;
    const bool ours = g_pid.load() == getpid();
    if (ours && g_state.compare_exchange_strong(s, kPending)) {
        set_default();  // from now on a second SIGTERM kills at once, as untraced
        if (auto poke = g_poke.load()) poke();
        sem_post(&g_wake);
    } else if (ours && s == kForking && g_state.compare_exchange_strong(s, kPending)) {
        set_default();  // the forking thread finishes it in after_fork_parent()
    } else {
        // Nobody to write the events (or a second SIGTERM racing the first): the default
        // action, delivered as soon as this handler returns (SIGTERM is blocked inside it).
        set_default();
        raise(SIGTERM);
    }
    errno = saved_errno;
}

bool handler_is_ours(const struct sigaction& sa) {
    return (sa.sa_flags & SA_SIGINFO) == 0 && sa.sa_handler == on_sigterm;
}

bool disposition(struct sigaction& sa) { return sigaction(SIGTERM, nullptr, &sa) == 0; }

void restore_default_if_ours() {
    struct sigaction sa;
    if (disposition(sa) && handler_is_ours(sa)) set_default();
}

// Delivers SIGTERM to the calling thread, unblocked: with the default disposition the process
// dies before raise() returns; with a handler the program installed meanwhile, that handler
// gets it (Python's runs it on the main thread) and this returns.
void deliver() {
    restore_default_if_ours();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    raise(SIGTERM);
}

// Python's view (signal.getsignal) of SIGTERM is SIG_DFL. C calls only, no bytecode (the
// recording may already be on): _signal is imported by every interpreter at startup.
bool python_says_default() {
    ErrorGuard guard;
    PyObject* mod = PyDict_GetItemString(PyImport_GetModuleDict(), "_signal");  // borrowed
    if (mod == nullptr) return false;
    PyObject* h = PyObject_CallMethod(mod, "getsignal", "i", SIGTERM);
    const bool dfl = h != nullptr && PyLong_Check(h) && PyLong_AsLong(h) == 0;  // SIG_DFL
    Py_XDECREF(h);
    return dfl;
}

// Takes the GIL and runs the session's stop(), which ends in recording_stopped() and so in
// deliver(): with the default disposition the process dies there, holding the GIL (no Python
// code runs after the last chunks). Returns only when the program took SIGTERM over.
void* flusher_main(void*) {
    pthread_setname_np(pthread_self(), "ftrace-sigterm");
    PyGILState_STATE gil = PyGILState_Ensure();
    if (g_stop != nullptr) g_stop();
    g_state.store(kOff);  // the program's handler governs from now on
    PyGILState_Release(gil);
    sem_post(&g_done);
    return nullptr;
}

void wait_sem(sem_t* s) {
    while (sem_wait(s) != 0 && errno == EINTR) {
    }
}

void* watchdog_main(void*) {
    g_watchdog_tid.store(static_cast<pid_t>(syscall(SYS_gettid)));
    for (;;) {
        wait_sem(&g_wake);
        if (g_quit.load()) return nullptr;
        if (g_state.load() == kPending) break;
    }
    pthread_detach(pthread_self());  // never joined now: the process is ending
    timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);  // sem_timedwait's clock
    deadline.tv_sec += kDeadlineSeconds;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t flusher;
    const bool started = pthread_create(&flusher, &attr, flusher_main, nullptr) == 0;
    pthread_attr_destroy(&attr);
    int r = -1;
    if (started) {
        while ((r = sem_timedwait(&g_done, &deadline)) != 0 && errno == EINTR) {
        }
    }
    if (r != 0) {
        // The GIL was not had, or the writing did not end, in time: die without the rest.
        static const char msg[] =
            "ftrace: warning: SIGTERM: the last events could not be written in time "
            "(the GIL was held); the process ends without them\n";
        ssize_t ignored = write(2, msg, sizeof msg - 1);
        (void)ignored;
        deliver();
    }
    return nullptr;
}

// Starts the watchdog with every signal blocked (it and the flusher inherit the mask), so
// no program signal is handled on our threads.
bool start_watchdog() {
    if (!g_sems_ready) {
        if (sem_init(&g_wake, 0, 0) != 0 || sem_init(&g_done, 0, 0) != 0) return false;
        g_sems_ready = true;
    }
    g_quit.store(false);
    g_watchdog_tid.store(0);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    const bool ok = pthread_create(&g_watchdog, nullptr, watchdog_main, nullptr) == 0;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (ok) pthread_setname_np(g_watchdog, "ftrace-watchdog");
    g_watchdog_joinable = ok;
    return ok;
}

// Stops the idle watchdog (its state already moved off kIdle, so no handler posts any more).
void stop_watchdog() {
    if (!g_watchdog_joinable) return;
    g_quit.store(true);
    sem_post(&g_wake);
    pthread_join(g_watchdog, nullptr);
    g_watchdog_joinable = false;
#if PY_VERSION_HEX >= 0x030C0000
    // os.fork() counts the kernel's threads (/proc/self/stat) to warn: pthread_join returns
    // when the thread's tid is cleared, slightly before the kernel drops it from the count.
    const pid_t tid = g_watchdog_tid.load();
    if (tid > 0) {
        char path[64];
        std::snprintf(path, sizeof path, "/proc/self/task/%d", static_cast<int>(tid));
        for (int i = 0; i < 2000 && access(path, F_OK) == 0; ++i) {
            const timespec pause = {0, 50'000};
            nanosleep(&pause, nullptr);
        }
    }
#endif
}

bool run_watchdog() {
    if (!start_watchdog()) {
        warn("cannot start the SIGTERM watchdog thread; a SIGTERM ends this process without "
             "writing its last events");
        return false;
    }
    return true;
}

}  // namespace

bool arm(void (*stop)(), void (*poke)()) {
    g_stop = stop;
    g_poke.store(poke);
    if (g_state.load() != kOff) return g_state.load() == kIdle;
    g_resume_wanted = false;
    struct sigaction cur;
    if (!disposition(cur)) return false;
    const bool dfl = (cur.sa_flags & SA_SIGINFO) == 0 && cur.sa_handler == SIG_DFL;
    if (!(dfl || handler_is_ours(cur)) || !python_says_default()) return false;
    if (!run_watchdog()) {
        restore_default_if_ours();
        return false;
    }
    g_pid.store(getpid());
    g_state.store(kIdle);
    if (!handler_is_ours(cur)) {
        struct sigaction sa = {};
        sa.sa_handler = on_sigterm;
        sigemptyset(&sa.sa_mask);
        // SA_RESTART: the program's interrupted system calls resume as if nothing happened
        // (with the default disposition there would have been no interruption either).
        sa.sa_flags = SA_RESTART | SA_ONSTACK;
        if (sigaction(SIGTERM, &sa, nullptr) != 0) {
            disarm();
            return false;
        }
    }
    return true;
}

void disarm() {
    g_resume_wanted = false;
    int s = kIdle;
    if (g_state.compare_exchange_strong(s, kOff)) {
        restore_default_if_ours();
        stop_watchdog();
    } else if (s == kForking) {
        g_state.store(kOff);  // the watchdog is already stopped
        restore_default_if_ours();
    } else if (s == kOff) {
        restore_default_if_ours();
    }
    // kPending: the process is ending by SIGTERM; recording_stopped() delivers it.
}

void stop_begins() { g_in_stop = true; }

void finish_if_pending() {
    if (g_state.load(std::memory_order_relaxed) != kPending) [[likely]] return;
    if (g_in_stop || g_stop == nullptr || g_pid.load() != getpid()) return;
    struct sigaction sa;
    // Only while SIGTERM is still default-handled, so the stop surely ends in the process's
    // death (this may run inside an event hook, which must not continue after a stop). If the
    // program took SIGTERM over meanwhile, the flusher thread handles it.
    if (!disposition(sa) || (sa.sa_flags & SA_SIGINFO) != 0 || sa.sa_handler != SIG_DFL) return;
    g_stop();
}

void recording_stopped() {
    g_in_stop = false;
    if (g_state.load() == kPending && g_pid.load() == getpid()) {
        deliver();  // returns only if the program took SIGTERM over meanwhile
        g_state.store(kOff);
        return;
    }
    disarm();
}

void before_fork() {
    int s = kIdle;
    if (g_state.compare_exchange_strong(s, kForking)) stop_watchdog();
}

void after_fork_parent() {
    int s = g_state.load();
    if (s == kPending && !g_watchdog_joinable) {
        // SIGTERM arrived during the fork, with no watchdog: this thread writes and ends.
        if (g_stop != nullptr) g_stop();
        return;
    }
    if (s != kForking) return;
#if PY_VERSION_HEX >= 0x030D0000
    // 3.13+ counts threads for its fork warning after these hooks: restart later.
    if (g_state.compare_exchange_strong(s, kOff)) {
        g_resume_wanted = true;
        g_forked_ns = clock::monotonic_ns();
        return;
    }
#else
    if (run_watchdog() && g_state.compare_exchange_strong(s, kIdle)) return;
    if (s == kForking) {  // no watchdog: default action from now on
        g_state.store(kOff);
        return;
    }
#endif
    // A SIGTERM arrived meanwhile (state now kPending) and nobody waits for it.
    if (g_stop != nullptr) g_stop();
}

void after_fork_child() {
    // Only the forking thread exists here: the parent's watchdog and semaphores are gone.
    g_watchdog_joinable = false;
    g_sems_ready = false;
    g_resume_wanted = false;
    g_state.store(kOff);
    g_pid.store(0);
    restore_default_if_ours();
}

void resume_if_due() {
    if (!g_resume_wanted || g_in_stop) return;
    if (clock::monotonic_ns() - g_forked_ns < 50'000'000) return;
    g_resume_wanted = false;
    int s = kOff;
    if (g_state.load() != kOff || !run_watchdog()) return;
    if (!g_state.compare_exchange_strong(s, kIdle)) stop_watchdog();
}

}  // namespace ftrace::record::sigterm_flush
