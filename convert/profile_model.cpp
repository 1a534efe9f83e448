#include "profile_model.h"

namespace ftrace::convert {

namespace {

std::string func_key(const format::FuncDef& d) {
    std::string k;
    k.reserve(d.qualname.size() + d.file.size() + d.module.size() + 24);
    k.push_back(d.kind == format::FuncKind::C ? 'C' : 'P');
    k += d.qualname.empty() ? d.name : d.qualname;
    k.push_back('\0');
    k += d.file;
    k.push_back('\0');
    k += std::to_string(d.line);
    k.push_back('\0');
    k += d.module;
    return k;
}

}  // namespace

uint32_t SharedTables::resource_for(const std::string& name) {
    uint32_t s = strings.intern(name);
    auto [it, inserted] = resource_index_.try_emplace(s, static_cast<uint32_t>(resource_name.size()));
    if (inserted) resource_name.push_back(s);
    return it->second;
}

uint32_t SharedTables::source_for(const std::string& file) {
    uint32_t s = strings.intern(file);
    auto [it, inserted] = source_index_.try_emplace(s, static_cast<uint32_t>(source_file.size()));
    if (inserted) source_file.push_back(s);
    return it->second;
}

uint32_t SharedTables::frame_for(const format::FuncDef& def) {
    auto [it, inserted] = func_index_.try_emplace(func_key(def), static_cast<uint32_t>(frame_func.size()));
    if (!inserted) return it->second;
    const bool is_c = def.kind == format::FuncKind::C;
    const std::string& name = def.qualname.empty() ? def.name : def.qualname;
    uint32_t func = static_cast<uint32_t>(func_name.size());
    func_name.push_back(strings.intern(name.empty() ? "<unnamed function>" : name));
    func_is_python.push_back(!is_c);
    if (is_c) {
        func_resource.push_back(def.module.empty() ? kNone : static_cast<int32_t>(resource_for(def.module)));
        func_source.push_back(def.file.empty() ? kNone : static_cast<int32_t>(source_for(def.file)));
    } else {
        // Python: the file is both the source (call tree shows file:line) and the resource
        // (so "collapse resource" folds a whole file).
        func_resource.push_back(def.file.empty() ? kNone : static_cast<int32_t>(resource_for(def.file)));
        func_source.push_back(def.file.empty() ? kNone : static_cast<int32_t>(source_for(def.file)));
    }
    func_line.push_back(def.line);
    frame_func.push_back(func);
    frame_category.push_back(is_c ? kCatNative : kCatPython);
    frame_line.push_back(def.line);
    return it->second;
}

uint32_t SharedTables::frame_for_unknown(uint32_t id, bool is_c) {
    format::FuncDef d;
    d.id = id;
    d.kind = is_c ? format::FuncKind::C : format::FuncKind::Python;
    d.qualname = std::string(is_c ? "<unknown C function #" : "<unknown function #") +
                 std::to_string(id) + ">";
    return frame_for(d);
}

}  // namespace ftrace::convert
