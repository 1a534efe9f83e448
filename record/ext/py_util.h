// Small helpers for code that calls the C API from inside the profile hook.
#pragma once
#include <string>

#include "compat.h"

namespace ftrace::record {

// Saves the pending exception (if any) and restores it on scope exit, so the recorder never
// changes the traced program's error state.
class ErrorGuard {
public:
#if PY_VERSION_HEX >= 0x030C0000
    ErrorGuard() : exc_(PyErr_GetRaisedException()) {}
    ~ErrorGuard() {
        PyErr_Clear();
        PyErr_SetRaisedException(exc_);
    }
#else
    ErrorGuard() { PyErr_Fetch(&type_, &value_, &tb_); }
    ~ErrorGuard() {
        PyErr_Clear();
        PyErr_Restore(type_, value_, tb_);
    }
#endif
    ErrorGuard(const ErrorGuard&) = delete;
    ErrorGuard& operator=(const ErrorGuard&) = delete;

private:
#if PY_VERSION_HEX >= 0x030C0000
    PyObject* exc_ = nullptr;
#else
    PyObject* type_ = nullptr;
    PyObject* value_ = nullptr;
    PyObject* tb_ = nullptr;
#endif
};

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
