// The profile's category list (meta.categories): the index constants and the names/colors.
#pragma once
#include <cstdint>

namespace ftrace::convert {

// Category indexes; the list itself is kCategories (first grey = default).
enum Category : uint8_t { kCatOther = 0, kCatIdle, kCatPython, kCatNative, kCatGC, kCatImport, kCatMemory };
struct CategoryDef {
    const char* name;
    const char* color;
};
inline constexpr CategoryDef kCategories[] = {
    {"Other", "grey"},     {"Idle", "transparent"}, {"Python", "yellow"}, {"Native", "blue"},
    {"GC", "orange"},      {"Import", "lightblue"}, {"Memory", "red"},
};

}  // namespace ftrace::convert
