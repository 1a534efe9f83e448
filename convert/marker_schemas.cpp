#include "marker_schemas.h"

#include <cmath>

namespace ftrace::convert {

namespace {

using format::MarkerKind;

const std::vector<std::string> kOverview = {"marker-chart", "marker-table", "timeline-overview"};
const std::vector<std::string> kChartTable = {"marker-chart", "marker-table"};

MarkerSchema make(std::string name, uint8_t category, std::string tooltip, std::string table,
                  std::string chart, std::string description, std::vector<std::string> display,
                  std::vector<SchemaField> fields) {
    MarkerSchema s;
    s.name = std::move(name);
    s.category = category;
    s.tooltip_label = std::move(tooltip);
    s.table_label = std::move(table);
    s.chart_label = std::move(chart);
    s.description = std::move(description);
    s.display = std::move(display);
    s.fields = std::move(fields);
    return s;
}

}  // namespace

SchemaRegistry::SchemaRegistry() {
    auto add = [&](MarkerKind kind, MarkerSchema s) {
        by_kind_[static_cast<uint8_t>(kind)] = static_cast<uint32_t>(schemas_.size());
        schemas_.push_back(std::move(s));
    };
    add(MarkerKind::Print,
        make("Print", kCatOther, "print: {marker.data.text}", "{marker.data.text}",
             "{marker.data.text}", "Text written by print()", kOverview,
             {{"text", "Text", "sanitized-string"}}));
    add(MarkerKind::Log,
        make("Log", kCatOther, "{marker.data.level} {marker.data.logger}: {marker.data.message}",
             "{marker.data.level} {marker.data.logger}: {marker.data.message}",
             "{marker.data.message}", "A logging record", kOverview,
             {{"message", "Message", "sanitized-string"},
              {"level", "Level", "string"},
              {"logger", "Logger", "string"}}));
    add(MarkerKind::Import,
        make("Import", kCatImport, "import {marker.data.module}", "import {marker.data.module}",
             "{marker.data.module}", "Time spent importing a module", kOverview,
             {{"module", "Module", "string"}}));
    add(MarkerKind::GC,
        make("GC", kCatGC, "GC gen {marker.data.generation}",
             "gen {marker.data.generation}, {marker.data.collected} collected",
             "gen {marker.data.generation}", "A garbage collector run", kOverview,
             {{"generation", "Generation", "integer"},
              {"collected", "Collected objects", "integer"},
              {"uncollectable", "Uncollectable objects", "integer"}}));
    add(MarkerKind::Exception,
        make("Exception", kCatOther, "{marker.data.type_}: {marker.data.message}",
             "{marker.data.type_}: {marker.data.message}", "{marker.data.type_}",
             "An exception raised in Python code", kOverview,
             {{"type_", "Type", "string"},
              {"message", "Message", "sanitized-string"},
              {"function", "Function", "string"}}));
    add(MarkerKind::ThreadStart,
        make("ThreadStart", kCatOther, "thread start {marker.data.name}", "{marker.data.name}",
             "{marker.data.name}", "A thread started", kChartTable, {{"name", "Thread", "string"}}));
    add(MarkerKind::ThreadEnd,
        make("ThreadEnd", kCatOther, "thread end {marker.data.name}", "{marker.data.name}",
             "{marker.data.name}", "A thread ended", kChartTable, {{"name", "Thread", "string"}}));
    add(MarkerKind::User,
        make("User", kCatOther, "{marker.name}", "{marker.name}", "{marker.name}",
             "A marker placed by ftrace.marker()", kOverview, {}));
    add(MarkerKind::UserRegion,
        make("UserRegion", kCatOther, "{marker.name}", "{marker.name}", "{marker.name}",
             "A region marked by ftrace.region()", kOverview, {}));
    add(MarkerKind::LargeAlloc,
        make("LargeAlloc", kCatMemory, "allocation of {marker.data.bytes}",
             "{marker.data.bytes}", "{marker.data.bytes}", "A large memory allocation",
             {"marker-chart", "marker-table", "timeline-memory"}, {{"bytes", "Size", "bytes"}}));
    generic_ = static_cast<uint32_t>(schemas_.size());
    MarkerSchema g = make("Marker", kCatOther, "{marker.name}", "{marker.name}", "{marker.name}",
                          "A marker of a kind this ftrace does not know", kChartTable,
                          {{"kind", "Kind", "integer"}});
    g.generic = true;
    schemas_.push_back(std::move(g));
}

std::string SchemaRegistry::data_key(const std::string& field_key) {
    if (field_key == "type") return "type_";
    if (field_key.empty()) return "field";
    return field_key;
}

bool SchemaRegistry::is_numeric_format(const std::string& f) {
    return f == "integer" || f == "decimal" || f == "bytes" || f == "percentage" ||
           f == "duration" || f == "time" || f == "seconds" || f == "milliseconds" ||
           f == "microseconds" || f == "nanoseconds" || f == "pid" || f == "tid";
}

uint32_t SchemaRegistry::schema_of(format::MarkerKind kind) const {
    auto it = by_kind_.find(static_cast<uint8_t>(kind));
    return it == by_kind_.end() ? generic_ : it->second;
}

uint32_t SchemaRegistry::observe(const format::Marker& m) {
    uint32_t idx = schema_of(m.kind);
    MarkerSchema& s = schemas_[idx];
    for (const auto& f : m.fields) {
        std::string key = data_key(f.key);
        SchemaField* field = nullptr;
        for (auto& sf : s.fields) {
            if (sf.key == key) {
                field = &sf;
                break;
            }
        }
        if (!field) {
            std::string fmt = !f.is_number ? "string"
                              : (std::isfinite(f.number) && f.number == std::floor(f.number))
                                  ? "integer"
                                  : "decimal";
            s.fields.push_back(SchemaField{key, f.key.empty() ? key : f.key, fmt});
            continue;
        }
        if (!f.is_number) {
            if (is_numeric_format(field->format)) field->format = "string";
        } else if (field->format == "integer" &&
                   !(std::isfinite(f.number) && f.number == std::floor(f.number))) {
            field->format = "decimal";
        }
    }
    return idx;
}

}  // namespace ftrace::convert
