// Swapping a C wrapper in for a module attribute and back: what the event hooks and the
// thread-start hook do at start and stop. C API only, no bytecode runs. GIL held.
#pragma once
#include <Python.h>

namespace ftrace::record {

// The dict of a module in sys.modules (borrowed), or null if it is not loaded.
inline PyObject* module_dict(const char* name) {
    PyObject* mod = PyDict_GetItemString(PyImport_GetModuleDict(), name);
    return mod != nullptr && PyModule_Check(mod) ? PyModule_GetDict(mod) : nullptr;
}

// Borrowed attribute of a module in sys.modules (null if absent).
inline PyObject* module_attr(const char* module, const char* attr) {
    PyObject* dict = module_dict(module);
    return dict != nullptr ? PyDict_GetItemString(dict, attr) : nullptr;
}

// Replaces dict[name] (a module's dict) by `wrapper`, keeping the original in `*orig`.
// Nothing happens if `*orig` is already held, the name is absent or already the wrapper.
inline void swap_in(PyObject* module_dict, const char* name, PyObject* wrapper, PyObject** orig) {
    if (module_dict == nullptr || wrapper == nullptr || *orig != nullptr) return;
    PyObject* cur = PyDict_GetItemString(module_dict, name);
    if (cur == nullptr || cur == wrapper) return;
    Py_INCREF(cur);
    if (PyDict_SetItemString(module_dict, name, wrapper) != 0) {
        Py_DECREF(cur);
        PyErr_Clear();
        return;
    }
    *orig = cur;
}

// Puts `*orig` back where `wrapper` is still in place (someone may have replaced it since),
// and drops it.
inline void swap_out(PyObject* module_dict, const char* name, PyObject* wrapper,
                     PyObject** orig) {
    if (*orig == nullptr) return;
    if (module_dict != nullptr && PyDict_GetItemString(module_dict, name) == wrapper &&
        PyDict_SetItemString(module_dict, name, *orig) != 0) {
        PyErr_Clear();
    }
    Py_CLEAR(*orig);
}

// A C function object for `def` whose __module__ is `module` and __self__ `self` (kept
// forever), or null.
inline PyObject* make_function(PyMethodDef* def, const char* module, PyObject* self = nullptr) {
    PyObject* mod = PyUnicode_FromString(module);
    PyObject* f = mod != nullptr ? PyCFunction_NewEx(def, self, mod) : nullptr;
    Py_XDECREF(mod);
    if (f == nullptr) PyErr_Clear();
    return f;
}

// A type for the C objects swapped in (kept forever), or null.
inline PyTypeObject* make_type(PyType_Spec* spec) {
    PyObject* t = PyType_FromSpec(spec);
    if (t == nullptr) PyErr_Clear();
    return reinterpret_cast<PyTypeObject*>(t);
}

// A C function object standing in for `orig` (kept forever), or null: named by `def` and, when
// `orig` is a built-in function, with its docstring and __self__ (its module), so __doc__,
// __text_signature__, inspect.signature() and __self__ are the original's, as on that version.
inline PyObject* make_stand_in(PyMethodDef* def, PyObject* orig, const char* module) {
    PyObject* self = nullptr;
    if (orig != nullptr && PyCFunction_Check(orig)) {
        def->ml_doc = reinterpret_cast<PyCFunctionObject*>(orig)->m_ml->ml_doc;
        self = PyCFunction_GET_SELF(orig);
    }
    return make_function(def, module, self);
}

}  // namespace ftrace::record
