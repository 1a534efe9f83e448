// The qualified name of a Python function, from its code object (and its frame at the call),
// asked once per code object, when the registry first sees it (never on the hot path).
//
//  - 3.11+: code->co_qualname, exact.
//  - 3.8-3.10: code objects carry no qualname; the compiler hands it to MAKE_FUNCTION instead.
//    In 3.8-3.10 every MAKE_FUNCTION is preceded by LOAD_CONST <code>, LOAD_CONST <qualname>
//    (compile.c, compiler_make_closure: functions, lambdas, comprehensions, class bodies), so
//    when a code object is first seen its bytecode names the functions defined in it: each
//    child code object gets its qualname in a code-extra slot of its own (freed with it), read
//    when the child first runs. Exact for nested functions ("outer.<locals>.inner"), lambdas,
//    methods of classes defined in functions, whenever the defining code ran while recording.
//    A class body names itself: its code starts by storing its qualname in __qualname__
//    (MAKE_FUNCTION gets only the plain class name for it).
//    Definitions that ran before recording started (modules imported earlier) fall back to the
//    cheap lookups: a module-level function of that name in the frame's globals, or a method
//    (plain, classmethod, staticmethod or property getter) of that name in the class of the
//    first argument (self or cls) or its bases, whose __code__ is this code. Else: co_name.
// Only dict lookups, bytecode reads and C getters: no bytecode runs, so the GIL is never
// released here.
#pragma once
#include "compat.h"

#if PY_VERSION_HEX < 0x030B0000
#include <opcode.h>
#endif

namespace ftrace::record::compat {

#if PY_VERSION_HEX < 0x030B0000
namespace detail {

// `obj`'s function if it is (or wraps, as classmethod/staticmethod/property getter) a
// function running `code`.
inline PyObject* function_running(PyObject* obj, PyCodeObject* code) {
    if (obj == nullptr) return nullptr;
    const bool is_property = PyObject_TypeCheck(obj, &PyProperty_Type);
    if (is_property || PyObject_TypeCheck(obj, &PyClassMethod_Type) ||
        PyObject_TypeCheck(obj, &PyStaticMethod_Type)) {
        // C member getters (exact types only: a subclass could override them in Python).
        if (Py_TYPE(obj) != &PyProperty_Type && Py_TYPE(obj) != &PyClassMethod_Type &&
            Py_TYPE(obj) != &PyStaticMethod_Type) {
            return nullptr;
        }
        PyObject* inner = PyObject_GetAttrString(obj, is_property ? "fget" : "__func__");
        if (inner == nullptr) {
            PyErr_Clear();
            return nullptr;
        }
        Py_DECREF(inner);  // still owned by the wrapper
        obj = inner;
    }
    if (PyFunction_Check(obj) &&
        PyFunction_GET_CODE(obj) == reinterpret_cast<PyObject*>(code)) {
        return obj;
    }
    return nullptr;
}

// One decoded instruction of 3.8-3.10 wordcode (opcode byte, argument byte, EXTENDED_ARG
// prefixes folded into the argument).
struct Instr {
    int op = -1;
    unsigned arg = 0;
};

// Calls f(Instr) for each instruction of `code` until f returns false.
template <class F>
inline void for_each_instr(PyCodeObject* code, F&& f) {
    PyObject* bytes = code->co_code;
    if (bytes == nullptr || !PyBytes_Check(bytes)) return;
    const auto* b = reinterpret_cast<const unsigned char*>(PyBytes_AS_STRING(bytes));
    const Py_ssize_t n = PyBytes_GET_SIZE(bytes) & ~Py_ssize_t{1};
    unsigned ext = 0;
    for (Py_ssize_t i = 0; i < n; i += 2) {
        const unsigned arg = b[i + 1] | ext;
        if (b[i] == EXTENDED_ARG) {
            ext = arg << 8;
            continue;
        }
        ext = 0;
        if (!f(Instr{b[i], arg})) return;
    }
}

inline PyObject* tuple_item(PyObject* tuple, unsigned i) {
    if (tuple == nullptr || !PyTuple_Check(tuple) || static_cast<Py_ssize_t>(i) >= PyTuple_GET_SIZE(tuple)) {
        return nullptr;
    }
    return PyTuple_GET_ITEM(tuple, i);
}

// A plausible qualified name of `code`: a str that is its co_name or ends with "." co_name.
inline bool names(PyObject* qualname, PyCodeObject* code) {
    if (qualname == nullptr || !PyUnicode_Check(qualname) || code->co_name == nullptr ||
        !PyUnicode_Check(code->co_name)) {
        return false;
    }
    const Py_ssize_t qn = PyUnicode_GET_LENGTH(qualname);
    const Py_ssize_t cn = PyUnicode_GET_LENGTH(code->co_name);
    if (qn < cn || PyUnicode_Tailmatch(qualname, code->co_name, 0, qn, +1) != 1) {
        PyErr_Clear();
        return false;
    }
    return qn == cn || PyUnicode_READ_CHAR(qualname, qn - cn - 1) == '.';
}

// A class body's own qualname: its code starts with
//   LOAD_NAME __name__; STORE_NAME __module__; LOAD_CONST <qualname>; STORE_NAME __qualname__
inline PyObject* class_body_qualname(PyCodeObject* code) {
    Instr first[4];
    int n = 0;
    for_each_instr(code, [&](Instr in) {
        first[n++] = in;
        return n < 4;
    });
    if (n < 4 || first[2].op != LOAD_CONST || first[3].op != STORE_NAME) return nullptr;
    PyObject* target = tuple_item(code->co_names, first[3].arg);
    if (target == nullptr || !PyUnicode_Check(target) ||
        PyUnicode_CompareWithASCIIString(target, "__qualname__") != 0) {
        return nullptr;
    }
    PyObject* qualname = tuple_item(code->co_consts, first[2].arg);
    return names(qualname, code) ? qualname : nullptr;
}

inline void release_qualname(void* qualname) { Py_XDECREF(static_cast<PyObject*>(qualname)); }

}  // namespace detail
#endif

// The qualified names of code objects. One per process; GIL held for every call.
class Qualnames {
public:
    // 3.8-3.10: requests the code-extra slot that carries a function's qualname from its
    // definition (false if the interpreter has none left: the lookups still work).
    bool init() {
#if PY_VERSION_HEX < 0x030B0000
        if (defined_index_ >= 0) return true;
        defined_index_ = _PyEval_RequestCodeExtraIndex(detail::release_qualname);
        if (defined_index_ < 0) {
            PyErr_Clear();
            return false;
        }
#endif
        return true;
    }

    // The qualname of `code`, asked once, when it is first registered; `frame` is the frame
    // entering it if the hook has one. Borrowed: owned by the code object (or its slot) or
    // by a function that the frame keeps reachable.
    PyObject* at_first_call(PyCodeObject* code, PyFrameObject* frame) {
#if PY_VERSION_HEX >= 0x030B0000
        (void)frame;
        return code->co_qualname;
#else
        note_definitions(code);
        if (PyObject* own = detail::class_body_qualname(code)) return own;
        if (defined_index_ >= 0) {
            void* defined = nullptr;
            if (_PyCode_GetExtra(reinterpret_cast<PyObject*>(code), defined_index_, &defined) ==
                    0 && defined != nullptr) {
                return static_cast<PyObject*>(defined);
            }
            PyErr_Clear();
        }
        return looked_up(code, frame);
#endif
    }

private:
#if PY_VERSION_HEX < 0x030B0000
    // Gives each code object that `code` makes a function of (LOAD_CONST code,
    // LOAD_CONST qualname, MAKE_FUNCTION) its qualname, unless it has one already.
    void note_definitions(PyCodeObject* code) {
        if (defined_index_ < 0) return;
        detail::Instr prev2, prev1;
        detail::for_each_instr(code, [&](detail::Instr in) {
            if (in.op == MAKE_FUNCTION && prev2.op == LOAD_CONST && prev1.op == LOAD_CONST) {
                PyObject* child = detail::tuple_item(code->co_consts, prev2.arg);
                PyObject* qualname = detail::tuple_item(code->co_consts, prev1.arg);
                if (child != nullptr && PyCode_Check(child) &&
                    detail::names(qualname, reinterpret_cast<PyCodeObject*>(child))) {
                    remember(child, qualname);
                }
            }
            prev2 = prev1;
            prev1 = in;
            return true;
        });
    }

    void remember(PyObject* child, PyObject* qualname) {
        void* known = nullptr;
        if (_PyCode_GetExtra(child, defined_index_, &known) != 0) {
            PyErr_Clear();
            return;
        }
        if (known != nullptr) return;
        Py_INCREF(qualname);
        if (_PyCode_SetExtra(child, defined_index_, qualname) != 0) {
            PyErr_Clear();
            Py_DECREF(qualname);
        }
    }

    static PyObject* looked_up(PyCodeObject* code, PyFrameObject* frame) {
        if (frame == nullptr) return code->co_name;
        PyObject* fn = nullptr;
        if (frame->f_globals != nullptr && PyDict_Check(frame->f_globals)) {
            fn = detail::function_running(PyDict_GetItem(frame->f_globals, code->co_name), code);
        }
        // The first argument as passed (3.8-3.10 keep arguments in f_localsplus; an argument
        // that is also a cell variable has been moved into its cell and reads null here).
        PyObject* first = code->co_argcount > 0 ? frame->f_localsplus[0] : nullptr;
        if (fn == nullptr && first != nullptr) {
            PyTypeObject* cls = PyType_Check(first) ? reinterpret_cast<PyTypeObject*>(first)
                                                    : Py_TYPE(first);
            PyObject* mro = cls->tp_mro;
            if (mro != nullptr && PyTuple_Check(mro)) {
                for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro) && fn == nullptr; ++i) {
                    PyObject* dict =
                        reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(mro, i))->tp_dict;
                    if (dict != nullptr && PyDict_Check(dict)) {
                        fn = detail::function_running(PyDict_GetItem(dict, code->co_name), code);
                    }
                }
            }
        }
        if (fn != nullptr) {
            PyObject* qn = reinterpret_cast<PyFunctionObject*>(fn)->func_qualname;
            if (qn != nullptr && PyUnicode_Check(qn)) return qn;
        }
        return code->co_name;
    }

    Py_ssize_t defined_index_ = -1;
#endif
};

}  // namespace ftrace::record::compat
