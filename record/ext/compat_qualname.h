// The qualified name of a Python function, from its code object and its frame at the call.
//
//  - 3.11+: code->co_qualname, exact.
//  - 3.8-3.10: code objects carry no qualname and a profile hook sees the frame, not the
//    function object. We find the function the cheap ways that cover most code, once per code
//    object (the registry caches the id): a module-level function of that name in the frame's
//    globals, or a method (plain, classmethod, staticmethod or property getter) of that name in the class of the
//    first argument (self or cls) or its bases, whose __code__ is this code. Anything else
//    (nested functions "outer.<locals>.inner", methods of classes nested in functions, static
//    methods called without an instance) keeps the plain co_name.
// Only dict lookups and C getters: no bytecode runs, so the GIL is never released here.
#pragma once
#include "compat.h"

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

}  // namespace detail
#endif

// Borrowed: owned by the code object or by a function that the frame keeps reachable.
inline PyObject* qualname_at_call(PyCodeObject* code, PyFrameObject* frame) {
#if PY_VERSION_HEX >= 0x030B0000
    (void)frame;
    return code->co_qualname;
#else
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
                PyObject* dict = reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(mro, i))->tp_dict;
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
#endif
}

}  // namespace ftrace::record::compat
