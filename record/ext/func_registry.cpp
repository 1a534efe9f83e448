#include "func_registry.h"

#include <cstring>

#include "compat_qualname.h"
#include "py_util.h"

namespace ftrace::record {

bool FuncRegistry::init() {
    if (extra_index_ >= 0) return true;
    extra_index_ = compat::request_code_extra_index();
    if (extra_index_ < 0) {
        PyErr_Clear();
        return false;
    }
    qualnames_.init();  // without it, names fall back to lookups at the first call (3.8-3.10)
    // Checks the in-place read of the extra slot on a throw-away code object (no free
    // function is registered, so the marker value is never freed).
    ErrorGuard guard;
    PyCodeObject* probe = PyCode_NewEmpty("ftrace", "probe", 1);
    if (probe != nullptr) {
        auto* mark = reinterpret_cast<void*>(static_cast<uintptr_t>(0x5ca1ab1e));
        auto* obj = reinterpret_cast<PyObject*>(probe);
        void* via_api = nullptr;
        inline_extra_ = compat::code_extra_inline(probe, extra_index_) == nullptr &&
                        compat::code_set_extra(obj, extra_index_, mark) == 0 &&
                        compat::code_get_extra(obj, extra_index_, &via_api) == 0 &&
                        via_api == mark && compat::code_extra_inline(probe, extra_index_) == mark;
        compat::code_set_extra(obj, extra_index_, nullptr);
        Py_DECREF(probe);
    }
    return true;
}

uint32_t FuncRegistry::define_code(PyCodeObject* code, PyFrameObject* frame) {
    ErrorGuard guard;  // never leak or clobber a pending exception of the traced code
    format::FuncDef d;
    d.id = static_cast<uint32_t>(defs_.size());
    d.kind = format::FuncKind::Python;
    d.name = utf8_or(code->co_name, "?");
    d.qualname = utf8_or(qualnames_.at_first_call(code, frame), d.name.c_str());
    d.file = utf8_or(code->co_filename, "");
    d.line = code->co_firstlineno;
    if (compat::code_set_extra(reinterpret_cast<PyObject*>(code), extra_index_,
                               reinterpret_cast<void*>(static_cast<uintptr_t>(d.id) + 1)) != 0) {
        PyErr_Clear();  // still usable, just slower for this code object next time
    }
    defs_.push_back(std::move(d));
    return defs_.back().id;
}

namespace {

PyTypeObject* type_in_mro_defining(PyTypeObject* type, const PyMethodDef* ml) {
    PyObject* mro = type->tp_mro;
    if (mro == nullptr || !PyTuple_Check(mro)) return nullptr;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); ++i) {
        auto* t = reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(mro, i));
        for (const PyMethodDef* m = t->tp_methods; m != nullptr && m->ml_name != nullptr; ++m) {
            if (m == ml) return t;
        }
    }
    return nullptr;
}

// The type whose method table holds `ml`: the method's owner, whatever the runtime type of
// the bound object. builtin_method.__qualname__ names the runtime type instead, which would
// name every list.append after whichever list subclass happened to call it first (the id is
// keyed on `ml`, shared by all of them).
PyTypeObject* defining_type(PyObject* self, const PyMethodDef* ml) {
    PyTypeObject* t = nullptr;
    if (PyType_Check(self)) t = type_in_mro_defining(reinterpret_cast<PyTypeObject*>(self), ml);
    if (t == nullptr) t = type_in_mro_defining(Py_TYPE(self), ml);
    return t;
}

std::string type_qualname(PyTypeObject* t) {
    if ((t->tp_flags & Py_TPFLAGS_HEAPTYPE) != 0) {
        return utf8_or(reinterpret_cast<PyHeapTypeObject*>(t)->ht_qualname, t->tp_name);
    }
    const char* dot = std::strrchr(t->tp_name, '.');
    return dot != nullptr ? dot + 1 : t->tp_name;
}

}  // namespace

uint32_t FuncRegistry::lookup_cfunction(PyObject* func, const PyMethodDef* ml) {
    auto it = cfuncs_.find(ml);
    if (it != cfuncs_.end()) return it->second;

    ErrorGuard guard;
    auto* cf = reinterpret_cast<PyCFunctionObject*>(func);
    format::FuncDef d;
    d.id = static_cast<uint32_t>(defs_.size());
    d.kind = format::FuncKind::C;
    d.name = ml->ml_name != nullptr ? ml->ml_name : "?";
    // Named from the C structures, as builtin_function_or_method.__qualname__ would name it
    // (a plain function: its name; a method: type qualname + name), without calling that
    // getter: it would allocate strings the program can see (tracemalloc), and the registry
    // runs in the middle of the program's calls.
    const bool is_method = cf->m_self != nullptr && !PyModule_Check(cf->m_self);
    PyTypeObject* owner = is_method ? defining_type(cf->m_self, ml) : nullptr;
    if (owner != nullptr) {
        d.qualname = type_qualname(owner) + "." + d.name;
    } else if (is_method) {  // the getter's own choice: the bound type, or the object's type
        d.qualname = type_qualname(PyType_Check(cf->m_self)
                                       ? reinterpret_cast<PyTypeObject*>(cf->m_self)
                                       : Py_TYPE(cf->m_self)) +
                     "." + d.name;
    } else {
        d.qualname = d.name;
    }
    if (cf->m_module != nullptr && PyUnicode_Check(cf->m_module)) {
        d.module = utf8_or(cf->m_module, "builtins");
    } else if (is_method) {
        d.module = owner != nullptr ? owner->tp_name : Py_TYPE(cf->m_self)->tp_name;
    } else {
        d.module = "builtins";
    }
    // Module-level functions read better with their module, like cProfile shows them:
    // "time.sleep" rather than "sleep" (methods already read "list.append"; builtins stay
    // "len"). The bare name stays in `name`, the module in `module`.
    if (!is_method && !d.module.empty() && d.module != "builtins" &&
        d.qualname.rfind(d.module + ".", 0) != 0) {
        d.qualname = d.module + "." + d.qualname;
    }
    cfuncs_.emplace(ml, d.id);
    defs_.push_back(std::move(d));
    return defs_.back().id;
}

uint32_t FuncRegistry::lookup_method_descr(PyObject* descr, const PyMethodDef* ml) {
    auto it = cfuncs_.find(ml);
    if (it != cfuncs_.end()) return it->second;

    ErrorGuard guard;
    format::FuncDef d;
    d.id = static_cast<uint32_t>(defs_.size());
    d.kind = format::FuncKind::C;
    d.name = ml->ml_name != nullptr ? ml->ml_name : "?";
    // "list.append", as method_descriptor.__qualname__ would say, without that getter (it
    // allocates, and caches a string inside the descriptor).
    PyTypeObject* owner = PyDescr_TYPE(descr);
    d.qualname = owner != nullptr ? type_qualname(owner) + "." + d.name : d.name;
    d.module = owner != nullptr && owner->tp_name != nullptr ? owner->tp_name : "builtins";
    cfuncs_.emplace(ml, d.id);
    defs_.push_back(std::move(d));
    return defs_.back().id;
}

}  // namespace ftrace::record
