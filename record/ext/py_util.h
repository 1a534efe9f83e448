// Small helpers for code that calls the C API from inside the profile hook.
#pragma once
#include <string>

#include "compat.h"

namespace ftrace::record {

// Saves the pending exception and restores it on scope exit (version-specific: compat.h).
using compat::ErrorGuard;

// UTF-8 of `s` if it is a str, else `fallback` (lone surrogates become '?', never raised).
// Encoded here from the str's code points: PyUnicode_AsUTF8 would cache the UTF-8 inside a
// non-ASCII str, an allocation the program never made (seen under --memory) that lives as
// long as the str. Only legacy not-ready strings (3.8-3.11 deprecated APIs) take the API path.
inline std::string utf8_or(PyObject* s, const char* fallback) {
    if (s == nullptr || !PyUnicode_Check(s)) return fallback;
    if (PyUnicode_IS_READY(s)) {
        const Py_ssize_t len = PyUnicode_GET_LENGTH(s);
        const void* data = PyUnicode_DATA(s);
        if (PyUnicode_IS_ASCII(s)) return std::string(static_cast<const char*>(data), static_cast<size_t>(len));
        const int kind = PyUnicode_KIND(s);
        std::string out;
        out.reserve(static_cast<size_t>(len) + static_cast<size_t>(len) / 2);
        for (Py_ssize_t i = 0; i < len; ++i) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 0x80) {
                out += static_cast<char>(c);
            } else if (c < 0x800) {
                out += static_cast<char>(0xC0 | (c >> 6));
                out += static_cast<char>(0x80 | (c & 0x3F));
            } else if (c >= 0xD800 && c <= 0xDFFF) {
                out += '?';  // a lone surrogate has no UTF-8 form
            } else if (c < 0x10000) {
                out += static_cast<char>(0xE0 | (c >> 12));
                out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (c & 0x3F));
            } else {
                out += static_cast<char>(0xF0 | (c >> 18));
                out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
                out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (c & 0x3F));
            }
        }
        return out;
    }
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
