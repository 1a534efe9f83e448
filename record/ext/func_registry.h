// Function ids: assigned once per process, with the definition kept for the thread files.
//
//  - Python functions: keyed on the code object; the id (+1, so 0 means "none yet") is stored
//    in the code object's extra slot, so the hot path reads it back without a map lookup.
//  - C functions: keyed on the PyMethodDef* (stable for the function's life, unlike the
//    bound builtin-method objects created on every attribute access), looked up through a
//    small direct-mapped cache in front of a hash map.
//
// All methods are called with the GIL held (the GIL is the lock of the registry). Allocation
// happens only the first time a function is seen.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "chunk.h"
#include "compat.h"
#include "compat_qualname.h"

namespace ftrace::record {

inline constexpr uint32_t kNoFunc = UINT32_MAX;

class FuncRegistry {
public:
    // Requests the code-extra slot (once per process). False if the interpreter has none left.
    bool init();

    // `frame`: the frame being entered, if the hook has one (names the function on interpreters
    // without co_qualname; null: the plain co_name there).
    uint32_t id_for_code(PyCodeObject* code, PyFrameObject* frame = nullptr) {
        void* extra = nullptr;
        if (inline_extra_) [[likely]] {
            extra = compat::code_extra_inline(code, extra_index_);
        } else if (compat::code_get_extra(reinterpret_cast<PyObject*>(code), extra_index_,
                                          &extra) != 0) {
            extra = nullptr;
        }
        if (extra != nullptr) [[likely]] {
            return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(extra) - 1);
        }
        return define_code(code, frame);
    }

    // `func` must satisfy PyCFunction_Check.
    uint32_t id_for_cfunction(PyObject* func) {
        const PyMethodDef* ml = reinterpret_cast<PyCFunctionObject*>(func)->m_ml;
        return cached(ml, [&] { return lookup_cfunction(func, ml); });
    }

    // `descr` must be a method descriptor (PyMethodDescr_Type), e.g. list.append as
    // sys.monitoring's CALL event reports `lst.append(x)`; same id as its bound form.
    uint32_t id_for_method_descr(PyObject* descr) {
        const PyMethodDef* ml = reinterpret_cast<PyMethodDescrObject*>(descr)->d_method;
        return cached(ml, [&] { return lookup_method_descr(descr, ml); });
    }

    const format::FuncDef& def(uint32_t id) const { return defs_[id]; }
    size_t size() const { return defs_.size(); }

private:
    struct CacheSlot {
        const PyMethodDef* key = nullptr;
        uint32_t id = 0;
    };
    static constexpr size_t kCacheSlots = 1024;

    // C functions by their PyMethodDef (a bound method and its descriptor share it): a small
    // direct-mapped cache in front of `lookup` (which fills cfuncs_ and may throw).
    template <typename Lookup>
    uint32_t cached(const PyMethodDef* ml, Lookup&& lookup) {
        CacheSlot& slot = cache_[(reinterpret_cast<uintptr_t>(ml) >> 4) % kCacheSlots];
        if (slot.key == ml) [[likely]] return slot.id;
        const uint32_t id = lookup();
        slot.key = ml;
        slot.id = id;
        return id;
    }

    uint32_t define_code(PyCodeObject* code, PyFrameObject* frame);
    uint32_t lookup_cfunction(PyObject* func, const PyMethodDef* ml);
    uint32_t lookup_method_descr(PyObject* descr, const PyMethodDef* ml);

    Py_ssize_t extra_index_ = -1;
    compat::Qualnames qualnames_;
    bool inline_extra_ = false;  // compat::code_extra_inline() reads what the API writes
    std::vector<format::FuncDef> defs_;
    std::unordered_map<const PyMethodDef*, uint32_t> cfuncs_;
    CacheSlot cache_[kCacheSlots];
};

}  // namespace ftrace::record
