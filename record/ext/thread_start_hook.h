// New threads: every thread started under recording is bound to its own recorder before its
// first frame runs, by wrapping the functions that start threads:
//   threading._start_new_thread (3.8-3.12) / threading._start_joinable_thread (3.13+): the
//     module's own reference to the _thread function that Thread.start() calls;
//   _thread.start_new_thread / _thread.start_joinable_thread: for programs that use _thread.
// Each wrapper is a C function of the original's name that calls the original with the
// thread's function wrapped in a C callable ("boot"), which registers the thread, installs
// the hook and records ThreadStart, then calls the function; the thread's recording ends when
// that function returns (or at exit for a daemon thread still running).
//
// Why not threading.setprofile(hook) (what threading offers): the program sees it
// (threading.getprofile() returns it, 3.12's setprofile_all_threads puts it back on every
// thread), and a program that calls threading.setprofile itself would silently stop new
// threads from being traced. The wrapped attributes are private; a wrapper is put back at
// stop only where it is still in place (gevent's monkey-patching, say, replaced it).
#pragma once

namespace ftrace::record::thread_start_hook {

// Wraps every thread-starting function found (idempotent; never raises).
void install();
// Puts the originals back where the wrappers are still in place.
void uninstall();

}  // namespace ftrace::record::thread_start_hook
