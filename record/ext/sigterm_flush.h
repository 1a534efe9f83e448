// SIGTERM with its default disposition: write the last events, then die by SIGTERM exactly as
// the untraced program would.
//
// Why not a Python-level handler (signal.signal): it runs only when the main thread next
// passes the eval loop. A SIGTERM landing just before the main thread blocks in a lock acquire
// (a multiprocessing Pool worker stopped by Pool.terminate()) is never handled: the process
// hangs where the untraced one dies at once (traced fork Pool runs: 2 hangs in 600 on 3.8, 4
// in 600 on 3.9; the same handler without ftrace also hangs). It would also show in
// signal.getsignal(SIGTERM). With this C handler: 0 in 600 on each.
//
// How: a C sigaction handler installed behind Python's back (signal.getsignal still says
// SIG_DFL) does only async-signal-safe work: it restores SIG_DFL (a second SIGTERM kills at
// once, as untraced), makes the interrupted thread's next event take the recorder's slow path,
// and posts a semaphore. Then whichever comes first runs the session's stop() in C++ (no
// Python code, so nothing of this appears in the trace) and raises SIGTERM again, now
// default-handled, so the process dies by it:
// - the interrupted thread at its next event, if it runs Python (finish_if_pending(), from
//   the slow path): a program that kills itself runs nothing after os.kill(), as untraced;
// - a flusher thread started by a native watchdog thread waiting on the semaphore (no Python
//   thread state, all signals blocked), which takes the GIL with PyGILState_Ensure (a thread
//   blocked in a lock acquire has released it).
// If neither has written the events within kDeadlineSeconds (a C extension holding the GIL),
// the watchdog raises SIGTERM itself: at most the unwritten buffers are lost, the process never
// hangs.
//
// If the program installs its own SIGTERM handler (signal.signal), Python replaces ours and
// that handler governs, as untraced; ftrace then writes its events at exit as for any ending.
//
// Threads and fork: Python 3.12+ warns on os.fork() in a multi-threaded process (it counts the
// kernel's threads), so the watchdog is stopped before every os.fork() (os.register_at_fork
// `before`) and started again after it: at once in the parent on 3.8-3.12 (the warning is
// decided before the after_in_parent hooks), on 3.13+ (decided after them) at the first chunk
// written >= 50 ms later (resume_if_due()). A SIGTERM arriving while no watchdog runs for this
// process (that window; a C-level fork child) gets the default action at once: the process
// dies as untraced, losing its unwritten buffers, never hanging.
//
// Every function here except the handler runs with the GIL held.
#pragma once

namespace ftrace::record::sigterm_flush {

inline constexpr int kDeadlineSeconds = 5;

// Installs the handler and starts the watchdog if SIGTERM is default-handled (sigaction and
// signal.getsignal agree). `stop` writes the last chunks and stops recording; it must call
// stop_begins() first and recording_stopped() at its end. `poke` (async-signal-safe, called
// by the handler) makes the calling thread's next event reach finish_if_pending(). False if
// not armed (the disposition is the program's, or no thread could be started).
bool arm(void (*stop)(), void (*poke)());
// A stop begins: finish_if_pending() does nothing until recording_stopped().
void stop_begins();
// If a SIGTERM is pending and still default-handled: `stop`, then the process dies by it.
// Called where the thread holds the GIL and may run Python (a chunk is being written).
void finish_if_pending();
// Recording stopped (end of `stop`): if a SIGTERM is pending, the process now dies by it (or,
// if the program took SIGTERM over meanwhile, its handler gets the signal); otherwise the
// default disposition is restored and the watchdog stopped.
void recording_stopped();
// The recording failed (the program continues untraced): as recording_stopped() without a
// pending SIGTERM; a pending one is finished by the flusher's stop().
void disarm();

// os.register_at_fork hooks.
void before_fork();
void after_fork_parent();
// In the child: forgets the parent's watchdog (not running here) and restores the default
// disposition; the session arms again if the child is recorded.
void after_fork_child();
// 3.13+: restarts the watchdog stopped for an os.fork() once the fork is well over. Cheap
// when there is nothing to do; called when a chunk is written.
void resume_if_due();

}  // namespace ftrace::record::sigterm_flush
