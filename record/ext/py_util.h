// Small helpers for code that calls the C API from inside the profile hook.
#pragma once
#include <string>

#include "compat.h"

namespace ftrace::record {

// Saves the pending exception and restores it on scope exit (version-specific: compat.h).
using compat::ErrorGuard;

// UTF-8 of `s` if it is a str, else `fallback` (lone surrogates are replaced, never raised).
inline std::string utf8_or(PyObject* s, const char* fallback) {
    if (s == nullptr || !PyUnicode_Check(s)) return fallback;
    Py_ssize_t n = 0;
    const char* p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p != nullptr) return std::string(p, static_cast<size_t>(n));
    PyErr_Clear();
    PyObject* b = PyUnicode_AsEncodedString(s, "utf-8", "replace");
    if (b == nullptr) {
        PyErr_Clear();
        return fallback;
    }
    std::string out(PyBytes_AS_STRING(b), static_cast<size_t>(PyBytes_GET_SIZE(b)));
    Py_DECREF(b);
    return out;
}

}  // namespace ftrace::record
