#include "func_registry.h"

#include "py_util.h"

namespace ftrace::record {

bool FuncRegistry::init() {
    if (extra_index_ >= 0) return true;
    extra_index_ = compat::request_code_extra_index();
    if (extra_index_ < 0) {
        PyErr_Clear();
        return false;
    }
    return true;
}

uint32_t FuncRegistry::define_code(PyCodeObject* code) {
    ErrorGuard guard;  // never leak or clobber a pending exception of the traced code
    format::FuncDef d;
    d.id = static_cast<uint32_t>(defs_.size());
    d.kind = format::FuncKind::Python;
    d.name = utf8_or(code->co_name, "?");
    d.qualname = utf8_or(compat::code_qualname(code), d.name.c_str());
    d.file = utf8_or(code->co_filename, "");
    d.line = code->co_firstlineno;
    if (compat::code_set_extra(reinterpret_cast<PyObject*>(code), extra_index_,
                               reinterpret_cast<void*>(static_cast<uintptr_t>(d.id) + 1)) != 0) {
        PyErr_Clear();  // still usable, just slower for this code object next time
    }
    defs_.push_back(std::move(d));
    return defs_.back().id;
}

uint32_t FuncRegistry::lookup_cfunction(PyObject* func, const PyMethodDef* ml) {
    auto it = cfuncs_.find(ml);
    if (it != cfuncs_.end()) return it->second;

    ErrorGuard guard;
    auto* cf = reinterpret_cast<PyCFunctionObject*>(func);
    format::FuncDef d;
    d.id = static_cast<uint32_t>(defs_.size());
    d.kind = format::FuncKind::C;
    d.name = ml->ml_name != nullptr ? ml->ml_name : "?";
    // builtin_function_or_method.__qualname__ is a C getter: no bytecode runs, so the GIL
    // cannot be handed to another thread in the middle of this.
    PyObject* qn = PyObject_GetAttrString(func, "__qualname__");
    d.qualname = utf8_or(qn, d.name.c_str());
    Py_XDECREF(qn);
    PyErr_Clear();
    if (cf->m_module != nullptr && PyUnicode_Check(cf->m_module)) {
        d.module = utf8_or(cf->m_module, "builtins");
    } else if (cf->m_self != nullptr && !PyModule_Check(cf->m_self)) {
        d.module = Py_TYPE(cf->m_self)->tp_name;
    } else {
        d.module = "builtins";
    }
    // Module-level functions read better with their module, like cProfile shows them:
    // "time.sleep" rather than "sleep" (methods already read "list.append"; builtins stay
    // "len"). The bare name stays in `name`, the module in `module`.
    const bool module_level = cf->m_self == nullptr || PyModule_Check(cf->m_self);
    if (module_level && !d.module.empty() && d.module != "builtins" &&
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
    // method_descriptor.__qualname__ is a C getter ("list.append"): no bytecode runs.
    PyObject* qn = PyObject_GetAttrString(descr, "__qualname__");
    d.qualname = utf8_or(qn, d.name.c_str());
    Py_XDECREF(qn);
    PyErr_Clear();
    PyTypeObject* owner = PyDescr_TYPE(descr);
    d.module = owner != nullptr && owner->tp_name != nullptr ? owner->tp_name : "builtins";
    cfuncs_.emplace(ml, d.id);
    defs_.push_back(std::move(d));
    return defs_.back().id;
}

}  // namespace ftrace::record
