// Marker schemas: one per format::MarkerKind (plus a generic one for kinds this ftrace does
// not know). The registry also learns, from the markers themselves, fields the built-in
// schema does not declare (user markers carry arbitrary fields) and the right format of
// each field (a field ever seen holding text is declared as a string).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "categories.h"
#include "chunk.h"

namespace ftrace::convert {

struct SchemaField {
    std::string key;
    std::string label;
    std::string format;  // "string", "sanitized-string", "integer", "decimal", "bytes", ...
};

struct MarkerSchema {
    std::string name;  // == data.type of its markers
    std::string tooltip_label, table_label, chart_label, description;
    std::vector<std::string> display;
    std::vector<SchemaField> fields;
    uint8_t category = kCatOther;
    bool generic = false;  // unknown marker kinds: data also carries "kind"
};

class SchemaRegistry {
public:
    SchemaRegistry();  // declares every built-in schema

    // The schema index for `m`, learning its fields.
    uint32_t observe(const format::Marker& m);
    // The schema index `m` maps to, without learning.
    uint32_t schema_of(format::MarkerKind kind) const;

    const std::vector<MarkerSchema>& schemas() const { return schemas_; }
    const MarkerSchema& at(uint32_t i) const { return schemas_.at(i); }

    // Key a marker field is written under inside data ("type" is reserved for the schema).
    static std::string data_key(const std::string& field_key);
    static bool is_numeric_format(const std::string& format);

private:
    std::vector<MarkerSchema> schemas_;
    std::unordered_map<uint8_t, uint32_t> by_kind_;
    uint32_t generic_ = 0;
};

}  // namespace ftrace::convert
