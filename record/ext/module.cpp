// ftrace._ftrace: Python bindings of the recorder (bindings only; logic lives in Session).
// Every function runs with the GIL held and never raises: failures are reported by Session
// as one warning line and the program continues untraced.
#include <pybind11/pybind11.h>

#include <string>

#include "process_session.h"
#include "thread_recorder.h"

namespace py = pybind11;
using ftrace::record::Session;

PYBIND11_MODULE(_ftrace, m) {
    m.doc() = "ftrace recorder: traces Python and C function calls into a trace directory";

    m.def(
        "start", [](const std::string& trace_dir) { return Session::instance().start(trace_dir); },
        py::arg("trace_dir"),
        "Start recording this process into TRACE_DIR/p<pid>-<ns>/. Returns False (after one "
        "warning line on stderr) if tracing could not start.");
    m.def(
        "stop", [] { Session::instance().stop(); },
        "Write every thread's last chunk and stop recording.");
    m.def(
        "is_active", [] { return Session::instance().active(); }, "True while recording.");
    m.def(
        "flush", [] { Session::instance().flush_all(); },
        "Write every thread's buffered events now.");
    m.def(
        "stats",
        [] {
            py::list out;
            for (const auto& r : Session::instance().recorders()) {
                py::dict d;
                d["index"] = r->info().index;
                d["tid"] = r->info().tid;
                d["name"] = r->info().name;
                d["recorded_events"] = r->recorded_events();
                d["dropped_events"] = r->dropped_events();
                out.append(d);
            }
            return out;
        },
        "Per-thread counters of the threads currently recorded.");
    m.def(
        "process_dir",
        [] { return Session::instance().active() ? Session::instance().process_dir() : ""; },
        "This process's folder in the trace directory ('' when not recording).");
}
