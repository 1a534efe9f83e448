// ftrace._ftrace: Python bindings of the recorder (bindings only; logic lives in Session).
// Every function runs with the GIL held and never raises: failures are reported by Session
// as one warning line and the program continues untraced.
#include <pybind11/pybind11.h>

#include <string>

#include "clock.h"
#include "event_hooks.h"
#include "exception_capture.h"
#include "memory_hooks.h"
#include "process_session.h"
#include "thread_recorder.h"

namespace py = pybind11;
using ftrace::record::Session;

PYBIND11_MODULE(_ftrace, m) {
    m.doc() = "ftrace recorder: traces Python and C function calls into a trace directory";

    m.def(
        "start",
        [](const std::string& trace_dir, bool include_open_frames, bool children,
           bool python_only, bool memory, uint64_t memory_threshold,
           const std::string& exceptions) {
            using ftrace::record::events::ExceptionMode;
            ftrace::record::StartOptions options;
            if (exceptions == "all") {
                options.exceptions = ExceptionMode::All;
            } else if (exceptions == "none") {
                options.exceptions = ExceptionMode::None;
            } else if (exceptions != "auto") {
                throw py::value_error("exceptions must be 'auto', 'all' or 'none', got '" +
                                      exceptions + "'");
            }
            options.include_open_frames = include_open_frames;
            options.follow_children = children;
            options.python_only = python_only;
            options.memory = memory;
            options.memory_threshold = memory_threshold;
            return Session::instance().start(trace_dir, options);
        },
        py::arg("trace_dir"), py::arg("include_open_frames") = false, py::arg("children") = true,
        py::arg("python_only") = false, py::arg("memory") = false,
        py::arg("memory_threshold") = ftrace::record::memory::kDefaultLargeThreshold,
        py::arg("exceptions") = "auto",
        "Start recording this process into TRACE_DIR/p<pid>-<ns>/. Returns False (after one "
        "warning line on stderr) if tracing could not start. include_open_frames: record the "
        "frames already open on every thread as calls at the start. children=False: fork "
        "children run untraced. python_only: Python frames only, no C calls (cheaper). "
        "memory: record allocations and frees (Memory counter) and allocations of at least "
        "memory_threshold bytes as LargeAlloc markers. exceptions: 'auto' (markers for the "
        "exceptions this interpreter reports at no cost per call), 'all' (every exception; on "
        "3.8-3.11 a trace function on every thread, which costs time), 'none'.");
    m.def("in_main_interpreter", &ftrace::record::in_main_interpreter,
          "True in the main interpreter; ftrace does not record subinterpreters.");
    m.attr("DEFAULT_MEMORY_THRESHOLD") = ftrace::record::memory::kDefaultLargeThreshold;
    m.def(
        "memory_stats",
        [] {
            const auto s = ftrace::record::memory::stats();
            py::dict d;
            d["installed"] = s.installed;
            d["threshold"] = s.threshold;
            d["allocs"] = s.allocs;
            d["frees"] = s.frees;
            d["large"] = s.large;
            d["live_blocks"] = s.live_blocks;
            d["live_bytes"] = s.live_bytes;
            d["unknown_frees"] = s.unknown_frees;
            d["foreign_events"] = s.foreign_events;
            d["lost_events"] = s.lost_events;
            d["untracked"] = s.untracked;
            d["table_bytes"] = s.table_bytes;
            return d;
        },
        "Counters of the --memory hooks (see record/ext/memory_hooks.h).");
    m.attr("MARKER_USER") = static_cast<int>(ftrace::format::MarkerKind::User);
    m.attr("MARKER_USER_REGION") = static_cast<int>(ftrace::format::MarkerKind::UserRegion);
    m.def(
        "now", [] { return ftrace::record::clock::now(); },
        "The recorder's tick counter (for marker start/end ticks).");
    m.def(
        "add_marker",
        [](int kind, const std::string& name, uint64_t start, uint64_t end, py::dict fields) {
            namespace ev = ftrace::record::events;
            if (!Session::instance().active()) return false;
            ftrace::format::Marker mk;
            mk.kind = static_cast<ftrace::format::MarkerKind>(kind);
            mk.name = name;
            mk.start_tick = start;
            mk.end_tick = end < start ? start : end;
            for (auto item : fields) {
                std::string key = py::str(item.first);
                py::handle v = item.second;
                if (PyLong_Check(v.ptr()) || PyFloat_Check(v.ptr())) {
                    double x = PyFloat_AsDouble(v.ptr());
                    if (PyErr_Occurred()) {
                        PyErr_Clear();
                        mk.fields.push_back(ev::text_field(key.c_str(), py::str(v)));
                    } else {
                        mk.fields.push_back(ev::number_field(key.c_str(), x));
                    }
                } else {
                    mk.fields.push_back(ev::text_field(key.c_str(), py::str(v)));
                }
            }
            return ev::emit(std::move(mk));
        },
        py::arg("kind"), py::arg("name"), py::arg("start"), py::arg("end"), py::arg("fields"),
        "Append a marker to the calling thread (False if the thread is not recorded).");
    m.def(
        "mechanism", [] { return std::string(Session::instance().mechanism()); },
        "How events are collected: setprofile, eval-frame, monitoring or noop-setprofile.");
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
                d["markers"] = r->marker_count();
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
