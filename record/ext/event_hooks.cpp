#include "event_hooks.h"

#include "exception_capture.h"

#include <exception>

#include "clock.h"
#include "hook_mechanism.h"
#include "module_swap.h"
#include "process_session.h"
#include "profiler_hook.h"
#include "py_util.h"
#include "thread_recorder.h"

namespace ftrace::record::events {

using format::Marker;
using format::MarkerKind;

namespace {

constexpr size_t kMaxText = 4096;  // longer print/log texts are cut (bytes, "..." appended)

std::string cut(std::string s) {
    if (s.size() > kMaxText) {
        size_t n = kMaxText;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // UTF-8 boundary
        s.resize(n);
        s += "...";
    }
    return s;
}

Marker make(MarkerKind kind, const char* name, uint64_t start, uint64_t end) {
    Marker m;
    m.kind = kind;
    m.name = name;
    m.start_tick = start;
    m.end_tick = end;
    return m;
}

bool is_plain_value(PyObject* o) {
    return o == Py_None || PyUnicode_CheckExact(o) || PyLong_CheckExact(o) ||
           PyFloat_CheckExact(o) || PyBool_Check(o) || PyBytes_CheckExact(o);
}

// str(exc) when it runs no user code: __str__ comes from a built-in type and every argument
// is a plain value. Otherwise the bare exception arguments are not rendered.
std::string exception_message(PyObject* exc) {
    if (!PyExceptionInstance_Check(exc)) return utf8_or(exc, "");  // unnormalized: a str
    PyObject* mro = Py_TYPE(exc)->tp_mro;
    bool builtin_str = false;
    if (mro != nullptr && PyTuple_Check(mro)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); ++i) {
            auto* t = reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(mro, i));
            PyObject* dict = compat::type_own_dict(t);
            const bool defines = dict != nullptr && PyDict_Check(dict) &&
                                 PyDict_GetItemString(dict, "__str__") != nullptr;
            Py_XDECREF(dict);
            if (defines) {
                builtin_str = (t->tp_flags & Py_TPFLAGS_HEAPTYPE) == 0;
                break;
            }
        }
    }
    PyObject* args = PyObject_GetAttrString(exc, "args");
    bool plain = args != nullptr && PyTuple_Check(args);
    if (plain) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); ++i) {
            if (!is_plain_value(PyTuple_GET_ITEM(args, i))) plain = false;
        }
    }
    Py_XDECREF(args);
    PyErr_Clear();
    if (!builtin_str || !plain) return "(not rendered: custom __str__ or arguments)";
    PyObject* s = PyObject_Str(exc);
    std::string out = utf8_or(s, "");
    Py_XDECREF(s);
    PyErr_Clear();
    return cut(std::move(out));
}

// ---------------------------------------------------------------------------------------
// print

PyObject* g_orig_print = nullptr;   // strong while installed
PyObject* g_print_wrapper = nullptr;

struct PrintTap {
    PyObject_HEAD
    PyObject* file;      // borrowed from the print call (alive for its duration)
    std::string* text;   // the wrapper's buffer; null once the call returned
};

PyObject* tap_write(PyObject* self, PyObject* s) {
    auto* tap = reinterpret_cast<PrintTap*>(self);
    if (tap->text != nullptr && PyUnicode_Check(s) && tap->text->size() <= kMaxText) {
        Py_ssize_t n = 0;
        const char* p = PyUnicode_AsUTF8AndSize(s, &n);
        if (p != nullptr) {
            tap->text->append(p, static_cast<size_t>(n));
        } else {
            PyErr_Clear();
        }
    }
    return PyObject_CallMethod(tap->file, "write", "O", s);
}

PyObject* tap_flush(PyObject* self, PyObject*) {
    return PyObject_CallMethod(reinterpret_cast<PrintTap*>(self)->file, "flush", nullptr);
}

PyMethodDef tap_methods[] = {
    {"write", tap_write, METH_O, nullptr},
    {"flush", tap_flush, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};
PyType_Slot tap_slots[] = {{Py_tp_methods, tap_methods}, {0, nullptr}};
PyType_Spec tap_spec = {"ftrace._ftrace.PrintTap", sizeof(PrintTap), 0, Py_TPFLAGS_DEFAULT,
                        tap_slots};
PyTypeObject* g_tap_type = nullptr;

PyObject* print_wrapper(PyObject*, PyObject* args, PyObject* kwargs) {
    PyObject* orig = g_orig_print;
    if (orig == nullptr) orig = PyDict_GetItemString(PyEval_GetBuiltins(), "print");
    ThreadRecorder* rec = hook::current_recorder();
    PyObject* file = kwargs != nullptr ? PyDict_GetItemString(kwargs, "file") : nullptr;
    if (file == nullptr || file == Py_None) file = PySys_GetObject("stdout");
    if (rec == nullptr || g_tap_type == nullptr || file == nullptr || file == Py_None) {
        return PyObject_Call(orig, args, kwargs);
    }
    Py_INCREF(file);
    Py_INCREF(orig);
    std::string text;
    PyObject* result = nullptr;
    PrintTap* tap = PyObject_New(PrintTap, g_tap_type);
    PyObject* kw = kwargs != nullptr ? PyDict_Copy(kwargs) : PyDict_New();
    const uint64_t start = clock::now();
    if (tap != nullptr && kw != nullptr) {
        tap->file = file;
        tap->text = &text;
        if (PyDict_SetItemString(kw, "file", reinterpret_cast<PyObject*>(tap)) == 0) {
            result = PyObject_Call(orig, args, kw);
        }
        tap->text = nullptr;
    } else {
        PyErr_Clear();
        result = PyObject_Call(orig, args, kwargs);
    }
    const uint64_t end = clock::now();
    Py_XDECREF(kw);
    Py_XDECREF(reinterpret_cast<PyObject*>(tap));
    Py_DECREF(orig);
    Py_DECREF(file);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    Marker m = make(MarkerKind::Print, "print", start, end);
    m.fields.push_back(text_field("text", cut(std::move(text))));
    emit(std::move(m));
    return result;
}

PyMethodDef print_def = {"print", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(
                                      print_wrapper)),
                         METH_VARARGS | METH_KEYWORDS,
                         "print(*args, sep=' ', end='\\n', file=None, flush=False) (traced by "
                         "ftrace)"};

// ---------------------------------------------------------------------------------------
// import

PyObject* g_orig_find_and_load = nullptr;
PyObject* g_find_and_load_wrapper = nullptr;
void patch_logging();

PyObject* find_and_load_wrapper(PyObject*, PyObject* args) {
    PyObject* orig = g_orig_find_and_load;
    if (orig == nullptr) {
        PyErr_SetString(PyExc_ImportError, "ftrace: import hook used after uninstall");
        return nullptr;
    }
    Py_INCREF(orig);
    const uint64_t start = clock::now();
    PyObject* result = PyObject_Call(orig, args, nullptr);
    const uint64_t end = clock::now();
    Py_DECREF(orig);
    if (PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1) {
        PyObject* name = PyTuple_GET_ITEM(args, 0);
        std::string module = utf8_or(name, "?");
        Marker m = make(MarkerKind::Import, "import", start, end);
        m.fields.push_back(text_field("module", module));
        emit(std::move(m));
        if (result != nullptr && module == "logging") {
            ErrorGuard guard;
            patch_logging();
        }
    }
    return result;
}

PyMethodDef find_and_load_def = {"_find_and_load", find_and_load_wrapper, METH_VARARGS,
                                 "importlib._bootstrap._find_and_load (traced by ftrace)"};

// ---------------------------------------------------------------------------------------
// logging: a descriptor in place of Logger.callHandlers (a C callable that is no
// PyCFunction: it adds no frame to the profile; the original's Python frame stays).

struct LogHook {
    PyObject_HEAD
    PyObject* orig;  // the original Logger.callHandlers function (strong)
};
PyTypeObject* g_loghook_type = nullptr;
PyObject* g_loghook = nullptr;
PyObject* g_logger_class = nullptr;  // strong while patched

std::string attr_text(PyObject* obj, const char* name) {
    PyObject* v = PyObject_GetAttrString(obj, name);
    std::string s;
    if (v != nullptr && PyUnicode_Check(v)) s = utf8_or(v, "");
    Py_XDECREF(v);
    PyErr_Clear();
    return s;
}

// The record's message without running user code twice: record.message if a Formatter
// already computed it, else msg % args when every part is a plain value, else msg.
std::string log_message(PyObject* record) {
    PyObject* dict = PyObject_GenericGetDict(record, nullptr);
    std::string out;
    if (dict != nullptr && PyDict_Check(dict)) {
        PyObject* message = PyDict_GetItemString(dict, "message");
        PyObject* msg = PyDict_GetItemString(dict, "msg");
        PyObject* args = PyDict_GetItemString(dict, "args");
        bool plain_args = args == nullptr || args == Py_None ||
                          (PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 0);
        if (message != nullptr && PyUnicode_Check(message)) {
            out = utf8_or(message, "");
        } else if (msg != nullptr && PyUnicode_Check(msg) && plain_args) {
            out = utf8_or(msg, "");
        } else if (msg != nullptr && is_plain_value(msg)) {
            bool plain = args != nullptr && PyTuple_Check(args);
            if (plain) {
                for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); ++i) {
                    if (!is_plain_value(PyTuple_GET_ITEM(args, i))) plain = false;
                }
            }
            PyObject* s = plain ? PyObject_CallMethod(record, "getMessage", nullptr) : nullptr;
            out = s != nullptr ? utf8_or(s, "") : utf8_or(msg, "");
            Py_XDECREF(s);
        }
    }
    Py_XDECREF(dict);
    PyErr_Clear();
    return cut(std::move(out));
}

PyObject* loghook_call(PyObject* self, PyObject* args, PyObject* kwargs) {
    PyObject* orig = reinterpret_cast<LogHook*>(self)->orig;
    Py_INCREF(orig);
    const uint64_t start = clock::now();
    PyObject* result = PyObject_Call(orig, args, kwargs);
    const uint64_t end = clock::now();
    Py_DECREF(orig);
    if (hook::current_recorder() != nullptr && PyTuple_Check(args) &&
        PyTuple_GET_SIZE(args) == 2) {
        ErrorGuard guard;
        PyObject* record = PyTuple_GET_ITEM(args, 1);
        Marker m = make(MarkerKind::Log, "log", start, end);
        m.fields.push_back(text_field("message", log_message(record)));
        m.fields.push_back(text_field("level", attr_text(record, "levelname")));
        m.fields.push_back(text_field("logger", attr_text(record, "name")));
        emit(std::move(m));
    }
    return result;
}

PyObject* loghook_get(PyObject* self, PyObject* obj, PyObject*) {
    if (obj == nullptr || obj == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, obj);
}

void loghook_dealloc(PyObject* self) {
    Py_XDECREF(reinterpret_cast<LogHook*>(self)->orig);
    PyTypeObject* tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

PyType_Slot loghook_slots[] = {
    {Py_tp_call, reinterpret_cast<void*>(loghook_call)},
    {Py_tp_descr_get, reinterpret_cast<void*>(loghook_get)},
    {Py_tp_dealloc, reinterpret_cast<void*>(loghook_dealloc)},
    {0, nullptr},
};
PyType_Spec loghook_spec = {"ftrace._ftrace.LogHook", sizeof(LogHook), 0, Py_TPFLAGS_DEFAULT,
                            loghook_slots};

void patch_logging() {
    if (g_loghook != nullptr || g_loghook_type == nullptr) return;
    PyObject* logger_class = module_attr("logging", "Logger");
    if (logger_class == nullptr || !PyType_Check(logger_class)) return;
    PyObject* orig = PyObject_GetAttrString(logger_class, "callHandlers");
    if (orig == nullptr || !PyFunction_Check(orig)) {
        Py_XDECREF(orig);
        PyErr_Clear();
        return;
    }
    LogHook* h = PyObject_New(LogHook, g_loghook_type);
    if (h == nullptr) {
        Py_DECREF(orig);
        PyErr_Clear();
        return;
    }
    h->orig = orig;  // takes the reference
    if (PyObject_SetAttrString(logger_class, "callHandlers", reinterpret_cast<PyObject*>(h)) != 0) {
        Py_DECREF(h);
        PyErr_Clear();
        return;
    }
    g_loghook = reinterpret_cast<PyObject*>(h);
    Py_INCREF(logger_class);
    g_logger_class = logger_class;
}

void unpatch_logging() {
    if (g_loghook == nullptr) return;
    PyObject* now = PyObject_GetAttrString(g_logger_class, "callHandlers");
    // Class attribute lookup goes through our __get__ with obj == NULL: returns the hook.
    if (now == g_loghook &&
        PyObject_SetAttrString(g_logger_class, "callHandlers",
                               reinterpret_cast<LogHook*>(g_loghook)->orig) != 0) {
        PyErr_Clear();
    }
    Py_XDECREF(now);
    PyErr_Clear();
    Py_CLEAR(g_loghook);
    Py_CLEAR(g_logger_class);
}

// ---------------------------------------------------------------------------------------
// GC

PyObject* g_gc_callback = nullptr;
uint64_t g_gc_start = 0;  // GIL-protected: one collection at a time

double dict_number(PyObject* d, const char* key) {
    PyObject* v = PyDict_Check(d) ? PyDict_GetItemString(d, key) : nullptr;
    if (v == nullptr || !PyLong_Check(v)) return 0;
    double x = PyLong_AsDouble(v);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return x;
}

PyObject* gc_callback(PyObject*, PyObject* args) {
    const uint64_t tick = clock::now();
    PyObject* phase = nullptr;
    PyObject* info = nullptr;
    if (!PyArg_UnpackTuple(args, "gc_callback", 2, 2, &phase, &info)) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    if (PyUnicode_Check(phase) && PyUnicode_CompareWithASCIIString(phase, "start") == 0) {
        g_gc_start = tick;
    } else if (g_gc_start != 0) {
        Marker m = make(MarkerKind::GC, "GC", g_gc_start, tick);
        m.fields.push_back(number_field("generation", dict_number(info, "generation")));
        m.fields.push_back(number_field("collected", dict_number(info, "collected")));
        m.fields.push_back(number_field("uncollectable", dict_number(info, "uncollectable")));
        g_gc_start = 0;
        emit(std::move(m));
    }
    Py_RETURN_NONE;
}

PyMethodDef gc_def = {"_ftrace_gc_callback", gc_callback, METH_VARARGS,
                      "ftrace: records garbage collections"};

PyObject* gc_callbacks_list() {
    PyObject* gc = PyImport_ImportModule("gc");
    if (gc == nullptr) return nullptr;
    PyObject* list = PyObject_GetAttrString(gc, "callbacks");
    Py_DECREF(gc);
    if (list != nullptr && !PyList_Check(list)) Py_CLEAR(list);
    return list;  // new reference or null
}

// ---------------------------------------------------------------------------------------

PyObject* builtins_dict() {
    PyObject* b = PyImport_ImportModule("builtins");
    if (b == nullptr) return nullptr;
    PyObject* d = PyModule_GetDict(b);
    Py_DECREF(b);  // the module lives forever
    return d;
}

}  // namespace


format::MarkerField text_field(const char* key, std::string value) {
    format::MarkerField f;
    f.key = key;
    f.text = std::move(value);
    return f;
}

format::MarkerField number_field(const char* key, double value) {
    format::MarkerField f;
    f.key = key;
    f.number = value;
    f.is_number = true;
    return f;
}

bool emit(Marker m) {
    ThreadRecorder* rec = hook::current_recorder();
    if (rec == nullptr || !Session::instance().active()) return false;
    try {
        rec->add_marker(std::move(m));
    } catch (const std::exception& e) {
        Session::instance().fail(std::string("cannot record a marker: ") + e.what());
        return false;
    }
    return true;
}

void install() {
    ErrorGuard guard;
    if (g_tap_type == nullptr) g_tap_type = make_type(&tap_spec);
    if (g_loghook_type == nullptr) g_loghook_type = make_type(&loghook_spec);
    if (g_print_wrapper == nullptr) {
        PyObject* b = builtins_dict();
        g_print_wrapper = make_stand_in(
            &print_def, b != nullptr ? PyDict_GetItemString(b, "print") : nullptr, "builtins");
    }
    if (g_find_and_load_wrapper == nullptr)
        g_find_and_load_wrapper = make_function(&find_and_load_def, "importlib._bootstrap");
    if (g_gc_callback == nullptr) g_gc_callback = PyCFunction_New(&gc_def, nullptr);
    PyErr_Clear();

    swap_in(builtins_dict(), "print", g_print_wrapper, &g_orig_print);
    swap_in(module_dict("_frozen_importlib"), "_find_and_load", g_find_and_load_wrapper,
            &g_orig_find_and_load);
    if (PyObject* cbs = gc_callbacks_list()) {
        if (g_gc_callback != nullptr && PySequence_Contains(cbs, g_gc_callback) == 0 &&
            PyList_Append(cbs, g_gc_callback) != 0) {
            PyErr_Clear();
        }
        Py_DECREF(cbs);
    }
    PyErr_Clear();
    patch_logging();
    install_exception_hooks();
}

void uninstall() {
    ErrorGuard guard;
    swap_out(builtins_dict(), "print", g_print_wrapper, &g_orig_print);
    swap_out(module_dict("_frozen_importlib"), "_find_and_load", g_find_and_load_wrapper,
             &g_orig_find_and_load);
    if (PyObject* cbs = gc_callbacks_list()) {
        Py_ssize_t n = PyList_GET_SIZE(cbs);
        for (Py_ssize_t i = n - 1; i >= 0; --i) {
            if (PyList_GET_ITEM(cbs, i) == g_gc_callback) PySequence_DelItem(cbs, i);
        }
        Py_DECREF(cbs);
    }
    PyErr_Clear();
    unpatch_logging();
    g_gc_start = 0;
    uninstall_exception_hooks();
}

// ---------------------------------------------------------------------------------------
// exceptions
//
// A marker when an exception is first seen on a thread; every later sighting of the same
// exception is recognized and skipped, so an exception is one marker however many frames it
// travels through. How an exception is seen depends on the version (exception_capture.h):
// sys.monitoring RAISE on 3.12+, a one-shot trace function on 3.8-3.11.

namespace {

// The interpreter prepends one traceback entry per frame the exception enters. A sighting
// whose traceback continues from the entry the same exception had at this thread's previous
// sighting is that exception travelling on (to the caller, or re-raised by `raise e`). The
// previous entry is only compared (with its frame and instruction, against address reuse),
// never dereferenced nor kept alive.
bool continues_last_sighting(const ThreadRecorder* rec, PyObject* value, PyObject* tb) {
    if (value != rec->last_exc || tb == nullptr || !PyTraceBack_Check(tb)) return false;
    const PyTracebackObject* next = reinterpret_cast<PyTracebackObject*>(tb)->tb_next;
    return next != nullptr && next == rec->last_exc_tb &&
           static_cast<const void*>(next->tb_frame) == rec->last_exc_tb_frame &&
           next->tb_lasti == rec->last_exc_tb_lasti;
}

void remember_sighting(ThreadRecorder* rec, PyObject* value, PyObject* tb) {
    const bool has_tb = tb != nullptr && PyTraceBack_Check(tb);
    const auto* t = has_tb ? reinterpret_cast<PyTracebackObject*>(tb) : nullptr;
    rec->last_exc = value;
    rec->last_exc_tb = t;
    rec->last_exc_tb_frame = t != nullptr ? t->tb_frame : nullptr;
    rec->last_exc_tb_lasti = t != nullptr ? t->tb_lasti : -1;
}

}  // namespace

// `value` (with its `type` and current traceback `tb`) seen in the frame of `func_id`.
void record_exception(ThreadRecorder* rec, PyObject* type, PyObject* value, PyObject* tb,
                      uint64_t tick, uint32_t func_id) {
    const auto& reg = Session::instance().registry();
    // The import system's own lookups (FileNotFoundError from stat, ZipImportError, ...) are
    // its control flow; skipped without touching the sighting state, so an ImportError that
    // reaches user code is recorded in the user's function.
    if (func_id < reg.size() && reg.def(func_id).file.rfind("<frozen importlib", 0) == 0) return;
    if (func_id < reg.size() && reg.def(func_id).file.rfind("<frozen zipimport", 0) == 0) return;
    const bool continues = continues_last_sighting(rec, value, tb);
    remember_sighting(rec, value, tb);
    if (continues || type == nullptr || !PyType_Check(type)) return;
    // Control flow, not errors: generator close and iterator exhaustion.
    if (PyErr_GivenExceptionMatches(type, PyExc_StopIteration) ||
        PyErr_GivenExceptionMatches(type, PyExc_StopAsyncIteration) ||
        PyErr_GivenExceptionMatches(type, PyExc_GeneratorExit)) {
        return;
    }
    Marker m = make(MarkerKind::Exception, "exception", tick, tick);
    m.fields.push_back(text_field("type", reinterpret_cast<PyTypeObject*>(type)->tp_name));
    m.fields.push_back(text_field("message", exception_message(value)));
    m.fields.push_back(
        text_field("function", func_id < reg.size() ? reg.def(func_id).qualname : "?"));
    rec->add_marker(std::move(m));
}

}  // namespace ftrace::record::events
