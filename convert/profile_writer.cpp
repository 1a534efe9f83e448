#include "profile_writer.h"

namespace ftrace::convert {

namespace {

template <typename T, typename F>
void column(JsonWriter& w, const char* key, const std::vector<T>& v, F&& each) {
    w.key(key).begin_array();
    for (const auto& x : v) each(x);
    w.end_array();
}

void repeat(JsonWriter& w, const char* key, size_t n, const auto& write_one) {
    w.key(key).begin_array();
    for (size_t i = 0; i < n; ++i) write_one();
    w.end_array();
}

}  // namespace

void ProfileWriter::write_schema(const MarkerSchema& s) {
    w_.begin_object();
    w_.key("name").string(s.name);
    if (!s.tooltip_label.empty()) w_.key("tooltipLabel").string(s.tooltip_label);
    if (!s.table_label.empty()) w_.key("tableLabel").string(s.table_label);
    if (!s.chart_label.empty()) w_.key("chartLabel").string(s.chart_label);
    if (!s.description.empty()) w_.key("description").string(s.description);
    column(w_, "display", s.display, [&](const std::string& d) { w_.string(d); });
    column(w_, "fields", s.fields, [&](const SchemaField& f) {
        w_.begin_object();
        w_.key("key").string(f.key);
        w_.key("label").string(f.label);
        w_.key("format").string(f.format);
        w_.end_object();
    });
    w_.end_object();
}

void ProfileWriter::begin(const ProfileMeta& meta, const SchemaRegistry& schemas) {
    w_.begin_object();
    w_.key("meta").begin_object();
    w_.key("version").integer(kGeckoProfileVersion);
    w_.key("preprocessedProfileVersion").integer(kProcessedProfileVersion);
    w_.key("interval").number(0.001);
    w_.key("startTime").ns_as_ms(meta.start_wall_ns);
    w_.key("profilingStartTime").ns_as_ms(meta.begin_ns);
    w_.key("profilingEndTime").ns_as_ms(meta.end_ns);
    w_.key("processType").integer(0);
    w_.key("product").string(meta.product);
    w_.key("importedFrom").string("ftrace");
    if (!meta.arguments.empty()) w_.key("arguments").string(meta.arguments);
    w_.key("stackwalk").integer(0);
    w_.key("symbolicated").boolean(true);
    // Python funcs are isJS, C funcs relevantForJS, so the "JavaScript/Native" filter would
    // only offer a confusingly labelled C-only view: hide it, as the verified fixture does.
    w_.key("usesOnlyOneStackType").boolean(true);
    w_.key("sourceCodeIsNotOnSearchfox").boolean(true);
    w_.key("keepProfileThreadOrder").boolean(true);
    w_.key("initialVisibleThreads").begin_array();
    for (size_t i = 0; i < meta.thread_count; ++i) w_.integer(static_cast<int64_t>(i));
    w_.end_array();
    column(w_, "initialSelectedThreads", meta.selected_threads, [&](uint32_t i) { w_.integer(i); });
    w_.key("categories").begin_array();
    for (const auto& c : kCategories) {
        w_.begin_object();
        w_.key("name").string(c.name);
        w_.key("color").string(c.color);
        w_.key("subcategories").begin_array().string("Other").end_array();
        w_.end_object();
    }
    w_.end_array();
    column(w_, "markerSchema", schemas.schemas(), [&](const MarkerSchema& s) { write_schema(s); });
    w_.end_object();  // meta
    w_.key("libs").begin_array().end_array();
    w_.key("threads").begin_array();
}

void ProfileWriter::write_markers(const ThreadOut& t, const SchemaRegistry& schemas) {
    const auto& m = t.markers;
    w_.key("markers").begin_object();
    column(w_, "name", m, [&](const MarkerOut& x) { w_.integer(x.name); });
    column(w_, "startTime", m, [&](const MarkerOut& x) { w_.ns_as_ms(x.start_ns); });
    column(w_, "endTime", m, [&](const MarkerOut& x) {
        if (x.instant) {
            w_.null();
        } else {
            w_.ns_as_ms(x.end_ns);
        }
    });
    column(w_, "phase", m, [&](const MarkerOut& x) { w_.integer(x.instant ? 0 : 1); });
    column(w_, "category", m, [&](const MarkerOut& x) { w_.integer(x.category); });
    column(w_, "data", m, [&](const MarkerOut& x) {
        const MarkerSchema& s = schemas.at(x.schema);
        w_.begin_object();
        w_.key("type").string(s.name);
        if (s.generic) w_.key("kind").integer(static_cast<int64_t>(x.source->kind));
        for (const auto& f : x.source->fields) {
            w_.key(SchemaRegistry::data_key(f.key));
            if (f.is_number) {
                w_.number(f.number);
            } else {
                w_.string(f.text);
            }
        }
        w_.end_object();
    });
    w_.key("length").integer(static_cast<int64_t>(m.size()));
    w_.end_object();
}

void ProfileWriter::thread_segment(const ThreadOut& t, const SchemaRegistry& schemas, size_t index) {
    w_.continue_in(1, index > 0);  // inside "threads": [
    thread(t, schemas, index);
}

void ProfileWriter::end_segment(const SharedTables& shared, const std::vector<CounterOut>& counters) {
    w_.continue_in(2, true);  // inside the profile object and its "threads" array
    end(shared, counters);
}

void ProfileWriter::thread(const ThreadOut& t, const SchemaRegistry& schemas, size_t /*index*/) {
    w_.begin_object();
    w_.key("name").string(t.name);
    w_.key("processName").string(t.process_name);
    w_.key("processType").string("default");
    w_.key("pid").string(t.pid);
    w_.key("tid").integer(t.tid);
    w_.key("isMainThread").boolean(t.is_main);
    w_.key("showMarkersInTimeline").boolean(true);
    w_.key("processStartupTime").ns_as_ms(t.process_start_ns);
    w_.key("processShutdownTime").ns_as_ms(t.process_end_ns);
    w_.key("registerTime").ns_as_ms(t.register_ns);
    w_.key("unregisterTime").ns_as_ms(t.unregister_ns);
    w_.key("pausedRanges").begin_array().end_array();

    const SampleColumns& s = t.samples;
    w_.key("samples").begin_object();
    w_.key("stack").begin_array();
    s.each_stack([&](int32_t stack) {
        if (stack == kNullStack) {
            w_.null();
        } else {
            w_.integer(t.stack_map ? (*t.stack_map)[static_cast<uint32_t>(stack)] : stack);
        }
    });
    w_.end_array();
    // Integer ns make deltas and weights exact: weight[i] is written from the same
    // integer as timeDeltas[i + 1].
    w_.key("timeDeltas").begin_array();
    s.each_delta([&](int64_t d) { w_.ns_as_ms(d); });
    w_.end_array();
    w_.key("weight").begin_array();
    bool first = true;
    s.each_delta([&](int64_t d) {
        if (!first) w_.ns_as_ms(d);
        first = false;
    });
    if (!s.empty()) w_.ns_as_ms(0);
    w_.end_array();
    w_.key("weightType").string("tracing-ms");
    w_.key("length").integer(static_cast<int64_t>(s.size()));
    w_.end_object();

    write_markers(t, schemas);
    w_.end_object();
}

void ProfileWriter::write_counter(const CounterOut& c) {
    w_.begin_object();
    w_.key("name").string(c.name);
    w_.key("category").string(kCategories[c.category].name);
    w_.key("description").string(c.description);
    w_.key("pid").string(c.pid);
    w_.key("mainThreadIndex").integer(c.main_thread_index);
    w_.key("samples").begin_object();
    w_.key("timeDeltas").begin_array();
    int64_t prev = 0;
    for (int64_t t : c.t_ns) {
        w_.ns_as_ms(t - prev);
        prev = t;
    }
    w_.end_array();
    column(w_, "count", c.count, [&](int64_t v) { w_.integer(v); });
    column(w_, "number", c.number, [&](int64_t v) { w_.integer(v); });
    w_.key("length").integer(static_cast<int64_t>(c.t_ns.size()));
    w_.end_object();
    // The app's own display for a "Memory" counter (deriveCounterDisplay).
    w_.key("display").begin_object();
    w_.key("graphType").string("line-accumulated");
    w_.key("unit").string("bytes");
    w_.key("color").string("orange");
    w_.key("markerSchemaLocation").string("timeline-memory");
    w_.key("sortWeight").integer(20);
    w_.key("label").string("Memory");
    w_.key("tooltipRows").begin_array();
    auto row = [&](const char* source, const char* unit, const char* label, const char* label_key) {
        w_.begin_object();
        w_.key("type").string("value");
        w_.key("source").string(source);
        w_.key("format").begin_object().key("unit").string(unit).end_object();
        w_.key("label").string(label);
        w_.key("labelKey").string(label_key);
        w_.end_object();
    };
    row("accumulated", "bytes", "relative memory at this time", "memory-relative");
    row("count-range", "bytes", "memory range in graph", "memory-range");
    row("sample-number", "number", "allocations and deallocations since the previous sample",
        "memory-operations");
    w_.end_array();
    w_.end_object();  // display
    w_.end_object();
}

void ProfileWriter::end(const SharedTables& sh, const std::vector<CounterOut>& counters) {
    w_.end_array();  // threads
    w_.key("shared").begin_object();

    w_.key("stringArray").begin_array();
    for (const auto& s : sh.strings.strings()) w_.string(s);
    w_.end_array();

    const size_t nsrc = sh.source_file.size();
    w_.key("sources").begin_object();
    repeat(w_, "id", nsrc, [&] { w_.null(); });
    column(w_, "filename", sh.source_file, [&](uint32_t s) { w_.integer(s); });
    repeat(w_, "startLine", nsrc, [&] { w_.integer(1); });
    repeat(w_, "startColumn", nsrc, [&] { w_.integer(1); });
    repeat(w_, "sourceMapURL", nsrc, [&] { w_.null(); });
    repeat(w_, "content", nsrc, [&] { w_.null(); });
    w_.key("length").integer(static_cast<int64_t>(nsrc));
    w_.end_object();

    w_.key("sourceLocationTable").begin_object();
    w_.key("source").begin_array().end_array();
    w_.key("line").begin_array().end_array();
    w_.key("column").begin_array().end_array();
    w_.key("length").integer(0);
    w_.end_object();

    const size_t nres = sh.resource_name.size();
    w_.key("resourceTable").begin_object();
    column(w_, "name", sh.resource_name, [&](uint32_t s) { w_.integer(s); });
    repeat(w_, "host", nres, [&] { w_.null(); });
    repeat(w_, "type", nres, [&] { w_.integer(0); });
    w_.key("length").integer(static_cast<int64_t>(nres));
    w_.end_object();

    w_.key("nativeSymbols").begin_object();
    for (const char* k : {"libIndex", "address", "name", "functionSize"}) {
        w_.key(k).begin_array().end_array();
    }
    w_.key("length").integer(0);
    w_.end_object();

    auto nullable_line = [&](int32_t line) {
        if (line > 0) {
            w_.integer(line);
        } else {
            w_.null();
        }
    };
    const size_t nfunc = sh.func_count();
    w_.key("funcTable").begin_object();
    column(w_, "name", sh.func_name, [&](uint32_t s) { w_.integer(s); });
    w_.key("isJS").begin_array();
    for (size_t i = 0; i < nfunc; ++i) w_.boolean(sh.func_is_python[i]);
    w_.end_array();
    w_.key("relevantForJS").begin_array();
    for (size_t i = 0; i < nfunc; ++i) w_.boolean(!sh.func_is_python[i]);
    w_.end_array();
    column(w_, "resource", sh.func_resource, [&](int32_t r) { w_.integer(r); });
    column(w_, "source", sh.func_source, [&](int32_t s) {
        if (s == kNone) {
            w_.null();
        } else {
            w_.integer(s);
        }
    });
    column(w_, "lineNumber", sh.func_line, nullable_line);
    repeat(w_, "columnNumber", nfunc, [&] { w_.null(); });
    repeat(w_, "originalLocation", nfunc, [&] { w_.null(); });
    w_.key("length").integer(static_cast<int64_t>(nfunc));
    w_.end_object();

    const size_t nframe = sh.frame_count();
    w_.key("frameTable").begin_object();
    repeat(w_, "address", nframe, [&] { w_.integer(-1); });
    repeat(w_, "inlineDepth", nframe, [&] { w_.integer(0); });
    column(w_, "category", sh.frame_category, [&](uint8_t c) { w_.integer(c); });
    repeat(w_, "subcategory", nframe, [&] { w_.integer(0); });
    column(w_, "func", sh.frame_func, [&](uint32_t f) { w_.integer(f); });
    repeat(w_, "lib", nframe, [&] { w_.integer(-1); });
    repeat(w_, "nativeSymbol", nframe, [&] { w_.null(); });
    repeat(w_, "innerWindowID", nframe, [&] { w_.integer(0); });
    column(w_, "line", sh.frame_line, nullable_line);
    repeat(w_, "column", nframe, [&] { w_.null(); });
    repeat(w_, "originalLocation", nframe, [&] { w_.null(); });
    w_.key("length").integer(static_cast<int64_t>(nframe));
    w_.end_object();

    const size_t nstack = sh.stacks.size();
    w_.key("stackTable").begin_object();
    w_.key("frame").begin_array();
    for (size_t i = 0; i < nstack; ++i) w_.integer(sh.stacks.frame(static_cast<uint32_t>(i)));
    w_.end_array();
    w_.key("prefixOffset").begin_array();
    for (size_t i = 0; i < nstack; ++i) w_.integer(sh.stacks.prefix_offset(static_cast<uint32_t>(i)));
    w_.end_array();
    w_.key("length").integer(static_cast<int64_t>(nstack));
    w_.end_object();

    w_.end_object();  // shared
    w_.key("counters").begin_array();
    for (const auto& c : counters) write_counter(c);
    w_.end_array();
    w_.end_object();
    w_.flush();
}

}  // namespace ftrace::convert
