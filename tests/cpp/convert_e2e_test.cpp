// End to end through the library: write trace directories with the real ChunkWriter,
// convert them, parse the profile and check its structure and contents.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "convert_command.h"
#include "converter.h"
#include "info_command.h"
#include "json_writer.h"
#include "trace_fixture.h"
#include "trace_loader.h"

using namespace ftrace;
using namespace ftrace::testing;
using format::EventKind;
using format::MarkerKind;
using nlohmann::json;

namespace {

format::Marker marker(MarkerKind kind, int64_t start, int64_t end, std::string name,
                      std::vector<format::MarkerField> fields) {
    format::Marker m;
    m.kind = kind;
    m.start_tick = tick_at(start);
    m.end_tick = tick_at(end);
    m.name = std::move(name);
    m.fields = std::move(fields);
    return m;
}
format::MarkerField text(std::string k, std::string v) { return {std::move(k), std::move(v), 0, false}; }
format::MarkerField num(std::string k, double v) { return {std::move(k), "", v, true}; }

// Process A (pid 100): main thread + worker; process B (pid 200, started later): main thread.
fs::path write_two_processes(const fs::path& root) {
    auto trace = root / "app.dir";
    auto a = make_process(100, {"/usr/bin/python3", "app.py", "--n", "3"}, 1000);
    ThreadSpec main;
    main.info = {100, 0, "MainThread", true};
    main.funcs = {py_func(1, "<module>", "app.py", 1), py_func(2, "compute", "app.py", 10),
                  c_func(3, "loads", "json"), py_func(4, "helper", "app.py", 20)};
    main.events = {ev(0, EventKind::PyCall, 1),      ev(1000, EventKind::PyCall, 2),
                   ev(1500, EventKind::PyCall, 4),   ev(3000, EventKind::PyReturn),
                   ev(3000, EventKind::PyCall, 4),   ev(3100, EventKind::PyReturn),
                   ev(3250, EventKind::CCall, 3),    ev(3300, EventKind::Alloc, 4096),
                   ev(3400, EventKind::Free, 1000),  ev(4000, EventKind::CReturn),
                   ev(5000, EventKind::PyReturn),    ev(6000, EventKind::PyReturn)};
    main.events_per_chunk = 5;  // several chunks
    main.markers = {marker(MarkerKind::Import, 100, 900, "import json", {text("module", "json")}),
                    marker(MarkerKind::Print, 1200, 1200, "print", {text("text", "hello \xFF world")}),
                    marker(MarkerKind::GC, 2000, 2500, "GC", {num("generation", 0), num("collected", 12)}),
                    marker(MarkerKind::User, 2600, 2600, "checkpoint", {num("step", 1.5), text("type", "x")}),
                    marker(static_cast<MarkerKind>(77), 2700, 2800, "", {})};
    ThreadSpec worker;
    worker.info = {101, 1, "Thread-1", false};
    worker.funcs = {py_func(7, "worker_main", "app.py", 30), py_func(4, "helper", "app.py", 20)};
    worker.events = {ev(2000, EventKind::PyCall, 7), ev(2100, EventKind::PyCall, 4),
                     ev(2200, EventKind::PyReturn), ev(2300, EventKind::PyCall, 99),  // no def
                     ev(2400, EventKind::PyReturn), ev(2500, EventKind::PyReturn)};
    write_process(trace, a, {main, worker});

    auto b = make_process(200, {"python3", "-c", "pass"}, 2000);
    b.ppid = 100;
    b.parent_key = a.process_key;
    ThreadSpec bmain;
    bmain.info = {200, 0, "MainThread", true};
    bmain.funcs = {py_func(1, "<module>", "<string>", 1)};
    bmain.events = {ev(7000, EventKind::PyReturn),  // return without call: ignored
                    ev(7100, EventKind::PyCall, 1), ev(7200, EventKind::PyCall, 1)};  // still open
    bmain.markers = {marker(MarkerKind::Log, 7150, 7150, "log", {text("message", "hi"), text("level", "INFO"),
                                                                 text("logger", "root")})};
    write_process(trace, b, {bmain});
    return trace;
}

// Rebuilds absolute times from timeDeltas.
std::vector<double> times_of(const json& samples) {
    std::vector<double> t;
    double acc = 0;
    for (const auto& d : samples["timeDeltas"]) {
        acc += d.get<double>();
        t.push_back(acc);
    }
    return t;
}

void check_table(const json& table, const std::vector<std::string>& columns, const std::string& what) {
    ASSERT_TRUE(table.contains("length")) << what;
    size_t n = table["length"].get<size_t>();
    for (const auto& c : columns) {
        ASSERT_TRUE(table.contains(c)) << what << "." << c;
        EXPECT_EQ(table[c].size(), n) << what << "." << c;
    }
}

// Every structural rule of FIREFOX-PROFILE-FORMAT.md §3-§9 that the converter must keep.
void check_structure(const json& p) {
    const auto& meta = p["meta"];
    EXPECT_EQ(meta["preprocessedProfileVersion"], 70);
    EXPECT_EQ(meta["version"], 36);
    EXPECT_TRUE(meta["startTime"].is_number());
    EXPECT_EQ(meta["profilingStartTime"], 0);
    EXPECT_EQ(meta["keepProfileThreadOrder"], true);
    std::set<std::string> schema_names;
    for (const auto& s : meta["markerSchema"]) {
        schema_names.insert(s["name"].get<std::string>());
        for (const auto& f : s["fields"]) {
            EXPECT_TRUE(f.contains("key") && f.contains("format"));
        }
    }
    ASSERT_EQ(meta["categories"][0]["color"], "grey");
    const size_t ncat = meta["categories"].size();

    const auto& sh = p["shared"];
    const size_t nstr = sh["stringArray"].size();
    check_table(sh["stackTable"], {"frame", "prefixOffset"}, "stackTable");
    check_table(sh["frameTable"], {"address", "inlineDepth", "category", "subcategory", "func", "lib",
                                   "nativeSymbol", "innerWindowID", "line", "column", "originalLocation"},
                "frameTable");
    check_table(sh["funcTable"], {"name", "isJS", "relevantForJS", "resource", "source", "lineNumber",
                                  "columnNumber", "originalLocation"},
                "funcTable");
    check_table(sh["resourceTable"], {"name", "host", "type"}, "resourceTable");
    check_table(sh["nativeSymbols"], {"libIndex", "address", "name", "functionSize"}, "nativeSymbols");
    check_table(sh["sources"], {"id", "filename", "startLine", "startColumn", "sourceMapURL", "content"}, "sources");
    check_table(sh["sourceLocationTable"], {"source", "line", "column"}, "sourceLocationTable");
    const size_t nstack = sh["stackTable"]["length"], nframe = sh["frameTable"]["length"],
                 nfunc = sh["funcTable"]["length"], nres = sh["resourceTable"]["length"],
                 nsrc = sh["sources"]["length"];
    for (size_t i = 0; i < nstack; ++i) {
        size_t off = sh["stackTable"]["prefixOffset"][i];
        EXPECT_LE(off, i);  // parents first
        EXPECT_LT(sh["stackTable"]["frame"][i].get<size_t>(), nframe);
    }
    for (size_t i = 0; i < nframe; ++i) {
        EXPECT_LT(sh["frameTable"]["func"][i].get<size_t>(), nfunc);
        EXPECT_LT(sh["frameTable"]["category"][i].get<size_t>(), ncat);
        EXPECT_EQ(sh["frameTable"]["lib"][i], -1);
    }
    for (size_t i = 0; i < nfunc; ++i) {
        EXPECT_LT(sh["funcTable"]["name"][i].get<size_t>(), nstr);
        int r = sh["funcTable"]["resource"][i];
        EXPECT_TRUE(r == -1 || (r >= 0 && static_cast<size_t>(r) < nres));
        const auto& s = sh["funcTable"]["source"][i];
        EXPECT_TRUE(s.is_null() || s.get<size_t>() < nsrc);
    }
    for (size_t i = 0; i < nres; ++i) EXPECT_LT(sh["resourceTable"]["name"][i].get<size_t>(), nstr);
    for (size_t i = 0; i < nsrc; ++i) EXPECT_LT(sh["sources"]["filename"][i].get<size_t>(), nstr);

    const auto& threads = p["threads"];
    ASSERT_GE(threads.size(), 1u);
    std::vector<size_t> all(threads.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    EXPECT_EQ(meta["initialVisibleThreads"].get<std::vector<size_t>>(), all);
    for (const auto& t : threads) {
        EXPECT_TRUE(t["pid"].is_string());
        EXPECT_TRUE(t["tid"].is_number());
        EXPECT_EQ(t["showMarkersInTimeline"], true);
        const auto& s = t["samples"];
        check_table(s, {"stack", "timeDeltas", "weight"}, "samples");
        EXPECT_EQ(s["weightType"], "tracing-ms");
        auto times = times_of(s);
        ASSERT_FALSE(times.empty());
        EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
        for (size_t i = 0; i < times.size(); ++i) {
            const auto& st = s["stack"][i];
            EXPECT_TRUE(st.is_null() || st.get<size_t>() < nstack);
            if (i + 1 < times.size()) {
                // Written from the same integer ns: exactly the next delta.
                EXPECT_EQ(s["weight"][i].get<double>(), s["timeDeltas"][i + 1].get<double>());
                EXPECT_NEAR(s["weight"][i].get<double>(), times[i + 1] - times[i], 1e-9);
            }
        }
        EXPECT_TRUE(s["stack"].back().is_null());
        EXPECT_EQ(s["weight"].back(), 0);
        EXPECT_LE(t["registerTime"].get<double>(), t["unregisterTime"].get<double>());

        const auto& m = t["markers"];
        check_table(m, {"data", "name", "startTime", "endTime", "phase", "category"}, "markers");
        for (size_t i = 0; i < m["length"].get<size_t>(); ++i) {
            EXPECT_LT(m["name"][i].get<size_t>(), nstr);
            EXPECT_LT(m["category"][i].get<size_t>(), ncat);
            ASSERT_TRUE(m["data"][i].is_object());
            EXPECT_TRUE(schema_names.count(m["data"][i]["type"].get<std::string>()))
                << "no schema for " << m["data"][i]["type"];
            if (m["phase"][i] == 0) {
                EXPECT_TRUE(m["endTime"][i].is_null());
            } else {
                EXPECT_EQ(m["phase"][i], 1);
                EXPECT_GE(m["endTime"][i].get<double>(), m["startTime"][i].get<double>());
            }
        }
    }
}

json convert_to_json(const std::vector<std::string>& dirs, std::vector<std::string>* warnings_out = nullptr) {
    auto trace = convert::load_trace(dirs);
    EXPECT_TRUE(trace.errors.empty());
    convert::StringSink sink;
    std::vector<std::string> warnings;
    {
        convert::JsonWriter w(sink);
        convert::write_profile(trace, w, warnings);
    }
    if (warnings_out) {
        *warnings_out = trace.warnings;
        warnings_out->insert(warnings_out->end(), warnings.begin(), warnings.end());
    }
    return json::parse(sink.out);
}

std::string str(const json& p, const json& idx) { return p["shared"]["stringArray"][idx.get<size_t>()]; }

// Function names along a sample's stack, root first.
std::vector<std::string> stack_names(const json& p, const json& stack) {
    std::vector<std::string> out;
    if (stack.is_null()) return out;
    const auto& st = p["shared"]["stackTable"];
    for (size_t s = stack.get<size_t>();;) {
        size_t frame = st["frame"][s], func = p["shared"]["frameTable"]["func"][frame];
        out.insert(out.begin(), str(p, p["shared"]["funcTable"]["name"][func]));
        size_t off = st["prefixOffset"][s];
        if (off == 0) break;
        s -= off;
    }
    return out;
}

// Calls of `name` on a thread: samples entering a stack whose leaf is `name` from elsewhere.
int call_count(const json& p, const json& thread, const std::string& name) {
    int n = 0;
    json prev = nullptr;
    for (const auto& st : thread["samples"]["stack"]) {
        auto names = stack_names(p, st);
        bool in = !names.empty() && names.back() == name;
        if (in && st != prev) {
            auto pn = stack_names(p, prev);
            if (pn.size() < names.size()) ++n;  // a push, not a return into it
        }
        prev = st;
    }
    return n;
}

}  // namespace

TEST(ConvertEndToEnd, TwoProcessesThreeThreads) {
    TempDir tmp;
    auto trace = write_two_processes(tmp.path());
    std::vector<std::string> warnings;
    json p = convert_to_json({trace.string()}, &warnings);
    check_structure(p);

    const auto& th = p["threads"];
    ASSERT_EQ(th.size(), 3u);
    EXPECT_EQ(th[0]["name"], "MainThread");
    EXPECT_EQ(th[0]["pid"], "100");
    EXPECT_EQ(th[0]["isMainThread"], true);
    EXPECT_EQ(th[0]["processName"], "python3 app.py --n 3");
    EXPECT_EQ(th[1]["name"], "Thread-1");
    EXPECT_EQ(th[1]["isMainThread"], false);
    EXPECT_EQ(th[1]["pid"], "100");
    EXPECT_EQ(th[1]["tid"], 101);
    EXPECT_EQ(th[2]["pid"], "200");
    EXPECT_EQ(th[2]["processName"], "python3 -c pass (child of 100)");  // its parent_key names A
    EXPECT_EQ(p["meta"]["product"], "ftrace: python3 app.py --n 3");
    // Time 0 is the first event; startTime is its wall clock.
    EXPECT_EQ(p["meta"]["startTime"].get<double>(), static_cast<double>((kMonoBase + kWallOffset) / 1000000));
    EXPECT_EQ(p["meta"]["profilingEndTime"].get<double>(), 0.0072);

    // Main thread: exact times and stacks (ns -> ms).
    auto times = times_of(th[0]["samples"]);
    std::vector<double> want = {0, 0.001, 0.0015, 0.003, 0.003, 0.0031, 0.00325, 0.004, 0.005, 0.006, 0.006};
    ASSERT_EQ(times.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(times[i], want[i], 1e-12) << i;
    EXPECT_EQ(stack_names(p, th[0]["samples"]["stack"][2]),
              (std::vector<std::string>{"<module>", "compute", "helper"}));
    EXPECT_EQ(stack_names(p, th[0]["samples"]["stack"][6]),
              (std::vector<std::string>{"<module>", "compute", "loads"}));
    EXPECT_EQ(call_count(p, th[0], "helper"), 2);  // consecutive calls stay two
    EXPECT_EQ(call_count(p, th[0], "compute"), 1);
    EXPECT_EQ(call_count(p, th[1], "helper"), 1);
    EXPECT_EQ(th[0]["registerTime"], 0);
    EXPECT_EQ(th[0]["unregisterTime"].get<double>(), 0.006);

    // The function `helper` is one func shared by both threads; C `loads` carries its module.
    const auto& ft = p["shared"]["funcTable"];
    int helpers = 0;
    for (size_t f = 0; f < ft["length"].get<size_t>(); ++f) {
        std::string name = str(p, ft["name"][f]);
        if (name == "helper") {
            ++helpers;
            EXPECT_EQ(ft["isJS"][f], true);
            EXPECT_EQ(ft["lineNumber"][f], 20);
            EXPECT_EQ(str(p, p["shared"]["sources"]["filename"][ft["source"][f].get<size_t>()]), "app.py");
        }
        if (name == "loads") {
            EXPECT_EQ(ft["isJS"][f], false);
            EXPECT_EQ(ft["relevantForJS"][f], true);
            EXPECT_EQ(str(p, p["shared"]["resourceTable"]["name"][ft["resource"][f].get<size_t>()]), "json");
            EXPECT_TRUE(ft["lineNumber"][f].is_null());
        }
    }
    EXPECT_EQ(helpers, 1);

    // The worker's call to an undefined id became a placeholder, with a warning.
    EXPECT_EQ(stack_names(p, th[1]["samples"]["stack"][3]),
              (std::vector<std::string>{"worker_main", "<unknown function #99>"}));
    bool warned = false;
    for (const auto& w : warnings) warned |= w.find("t1-101.ftrace") != std::string::npos && w.find("no definition") != std::string::npos;
    EXPECT_TRUE(warned);

    // Process B: the early return is ignored, open calls end at the closing sample.
    const auto& bs = th[2]["samples"];
    ASSERT_EQ(bs["length"], 3);
    EXPECT_EQ(stack_names(p, bs["stack"][1]), (std::vector<std::string>{"<module>", "<module>"}));
    EXPECT_NEAR(times_of(bs).back(), 0.0072, 1e-12);
    EXPECT_EQ(th[2]["processStartupTime"].get<double>(), 0.007);

    // Markers.
    const auto& m = th[0]["markers"];
    ASSERT_EQ(m["length"], 5);
    std::map<std::string, json> by_type;
    for (size_t i = 0; i < 5; ++i) by_type[m["data"][i]["type"]] = {{"i", i}, {"d", m["data"][i]}};
    auto imp = by_type.at("Import");
    EXPECT_EQ(imp["d"]["module"], "json");
    EXPECT_EQ(m["phase"][imp["i"].get<size_t>()], 1);
    EXPECT_EQ(m["endTime"][imp["i"].get<size_t>()].get<double>(), 0.0009);
    auto pr = by_type.at("Print");
    EXPECT_EQ(pr["d"]["text"], "hello \xEF\xBF\xBD world");  // invalid UTF-8 sanitized
    EXPECT_EQ(m["phase"][pr["i"].get<size_t>()], 0);
    EXPECT_EQ(by_type.at("GC")["d"]["collected"], 12);
    EXPECT_EQ(by_type.at("User")["d"]["step"], 1.5);
    EXPECT_EQ(by_type.at("User")["d"]["type_"], "x");  // "type" is reserved
    EXPECT_EQ(by_type.at("Marker")["d"]["kind"], 77);  // unknown kind: generic schema
    EXPECT_EQ(th[2]["markers"]["data"][0]["type"], "Log");
    // The User schema learned its fields.
    for (const auto& s : p["meta"]["markerSchema"]) {
        if (s["name"] == "User") {
            std::set<std::string> keys;
            for (const auto& f : s["fields"]) keys.insert(f["key"]);
            EXPECT_TRUE(keys.count("step") && keys.count("type_"));
        }
    }

    // Memory counter for process A.
    ASSERT_EQ(p["counters"].size(), 1u);
    const auto& c = p["counters"][0];
    EXPECT_EQ(c["pid"], "100");
    EXPECT_EQ(c["mainThreadIndex"], 0);
    EXPECT_EQ(c["samples"]["count"], json::array({4096, -1000}));
    EXPECT_EQ(c["samples"]["number"], json::array({1, 1}));
    EXPECT_EQ(c["display"]["label"], "Memory");
}

TEST(ConvertEndToEnd, ReusedPidGetsASuffixAndThreadRenamesUseTheLatestName) {
    TempDir tmp;
    auto trace = tmp.path() / "reuse.dir";
    for (int k = 0; k < 2; ++k) {
        auto proc = make_process(300, {"python3", "job.py"}, 1000 + k);
        ThreadSpec t;
        t.info = {300, 0, "MainThread", true};
        t.funcs = {py_func(1, "job", "job.py", 1)};
        t.events = {ev(k * 1000, EventKind::PyCall, 1), ev(k * 1000 + 500, EventKind::PyReturn)};
        write_process(trace, proc, {t});
    }
    // A renamed thread: chunk 1 repeats ThreadInfo with a new name.
    auto proc = make_process(400, {"python3", "r.py"}, 5000);
    format::ChunkWriter w;
    std::vector<uint8_t> bytes;
    format::ThreadInfo t0{400, 0, "MainThread", true}, t1{400, 0, "renamed", true};
    std::vector<format::RawEvent> e0 = {ev(10, EventKind::PyCall, 1)}, e1 = {ev(20, EventKind::PyReturn)};
    auto def = py_func(1, "f", "r.py", 1);
    format::ChunkInput in;
    in.seq = 0;
    in.sync = sync_at(10);
    in.process = &proc;
    in.thread = &t0;
    in.funcs = &def;
    in.func_count = 1;
    in.events = e0.data();
    in.event_count = 1;
    auto f0 = w.encode(in);
    bytes.insert(bytes.end(), f0.begin(), f0.end());
    format::ChunkInput in1;
    in1.seq = 1;
    in1.sync = sync_at(20);
    in1.thread = &t1;
    in1.events = e1.data();
    in1.event_count = 1;
    in1.last = true;
    auto f1 = w.encode(in1);
    bytes.insert(bytes.end(), f1.begin(), f1.end());
    auto pdir = trace / format::process_dir_name(400, 5000);
    fs::create_directories(pdir);
    write_file(pdir / format::thread_file_name(0, 400), bytes);

    json p = convert_to_json({trace.string()});
    check_structure(p);
    ASSERT_EQ(p["threads"].size(), 3u);
    EXPECT_EQ(p["threads"][0]["pid"], "300");
    EXPECT_EQ(p["threads"][1]["pid"], "400");
    EXPECT_EQ(p["threads"][1]["name"], "renamed");
    EXPECT_EQ(p["threads"][2]["pid"], "300.1");
}

TEST(ConvertCommand, WritesGzipNextToTheDirAndReports) {
    TempDir tmp;
    auto trace = write_two_processes(tmp.path());
    EXPECT_EQ(convert::default_output_path(trace.string()), (tmp.path() / "app.json.gz").string());
    EXPECT_EQ(convert::default_output_path("/x/y/"), "/x/y.json.gz");
    EXPECT_EQ(convert::default_output_path("t.dir/"), "t.json.gz");

    convert::ConvertArgs args;
    args.dirs = {trace.string()};
    std::ostringstream out, err;
    ASSERT_EQ(convert::run_convert(args, out, err), 0) << err.str();
    auto path = tmp.path() / "app.json.gz";
    ASSERT_TRUE(fs::exists(path));
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    std::string text = read_gzip(path.string());
    json p = json::parse(text);
    check_structure(p);
    EXPECT_NE(out.str().find("ftrace: wrote " + path.string() + " (2 processes, 3 threads, 21 events, "),
              std::string::npos)
        << out.str();
    EXPECT_NE(out.str().find("https://profiler.firefox.com"), std::string::npos);
    EXPECT_NE(err.str().find("ftrace: warning: "), std::string::npos);  // the undefined function id

    // Plain JSON when OUT does not end in .gz.
    args.output = (tmp.path() / "plain.json").string();
    std::ostringstream out2, err2;
    ASSERT_EQ(convert::run_convert(args, out2, err2), 0);
    std::ifstream f(args.output);
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_EQ(ss.str(), text);
}

TEST(ConvertCommand, ExitCodesForBadInputAndOutput) {
    TempDir tmp;
    convert::ConvertArgs args;
    std::ostringstream out, err;
    args.dirs = {(tmp.path() / "missing").string()};
    EXPECT_EQ(convert::run_convert(args, out, err), 1);
    EXPECT_NE(err.str().find("missing: no such file or directory"), std::string::npos);

    // A trace whose only file is garbage: nothing readable.
    auto trace = tmp.path() / "bad.dir";
    fs::create_directories(trace / "p1-1");
    std::ofstream(trace / format::kDirMarkerFile) << format::dir_marker_text();
    std::ofstream(trace / "p1-1" / "t0-1.ftrace") << "garbage garbage garbage";
    args.dirs = {trace.string()};
    std::ostringstream err2;
    EXPECT_EQ(convert::run_convert(args, out, err2), 1);
    EXPECT_NE(err2.str().find("t0-1.ftrace: offset 0: not an ftrace thread file"), std::string::npos) << err2.str();
    EXPECT_NE(err2.str().find("nothing readable"), std::string::npos);
    EXPECT_FALSE(fs::exists(tmp.path() / "bad.json.gz"));

    // Unwritable output.
    auto good = write_two_processes(tmp.path());
    args.dirs = {good.string()};
    args.output = (tmp.path() / "no" / "such" / "dir" / "x.json").string();
    std::ostringstream err3;
    EXPECT_EQ(convert::run_convert(args, out, err3), 1);
    EXPECT_NE(err3.str().find("cannot create"), std::string::npos);
}

TEST(InfoCommand, DescribesProcessesThreadsAndDamage) {
    TempDir tmp;
    auto trace = write_two_processes(tmp.path());
    std::ostringstream out, err;
    ASSERT_EQ(convert::run_info(trace.string(), out, err), 0) << err.str();
    std::string s = out.str();
    const std::string version_line = "format version: " + current_version_text();
    for (const std::string& want : std::vector<std::string>{version_line, std::string("process 100"), "process 200 (parent 100)", "Thread-1",
                             "MainThread", "python3 app.py --n 3", "3.11.7", "testhost", "12 events",
                             "totals: 2 processes, 3 threads, 21 events", "damage: none found"}) {
        EXPECT_NE(s.find(want), std::string::npos) << "missing '" << want << "' in\n" << s;
    }
    // Damage shows up.
    auto f = trace / format::process_dir_name(200, 2000) / format::thread_file_name(0, 200);
    fs::resize_file(f, fs::file_size(f) - 3);
    std::ostringstream out2, err2;
    EXPECT_EQ(convert::run_info(trace.string(), out2, err2), 0);
    EXPECT_NE(out2.str().find("t0-200.ftrace: offset 0: "), std::string::npos) << out2.str();
    std::ostringstream out3, err3;
    EXPECT_EQ(convert::run_info((tmp.path() / "none").string(), out3, err3), 1);
}

TEST(ConvertEndToEnd, MarkerOnlyThreadAndMonotonicClock) {
    TempDir tmp;
    auto trace = tmp.path() / "mono.dir";
    auto proc = make_process(500, {"python3", "m.py"}, 7);
    proc.clock = format::ClockKind::MonotonicNs;
    // Ticks are ns: build events directly (not via tick_at).
    ThreadSpec t;
    t.info = {500, 0, "MainThread", true};
    t.funcs = {py_func(1, "f", "m.py", 2)};
    t.events = {format::RawEvent{kMonoBase + 1000, 1, 0}, format::RawEvent{kMonoBase + 4000, 0, 1}};
    ThreadSpec quiet;
    quiet.info = {501, 1, "quiet", false};
    format::Marker m;
    m.kind = MarkerKind::UserRegion;
    m.start_tick = kMonoBase + 2000;
    m.end_tick = kMonoBase + 9000;
    m.name = "phase one";
    quiet.markers = {m};
    // encode_thread derives sync points from tick_at(): write MonotonicNs chunks by hand.
    auto pdir = trace / format::process_dir_name(500, 7);
    fs::create_directories(pdir);
    std::ofstream(trace / format::kDirMarkerFile) << format::dir_marker_text();
    for (const ThreadSpec* s : {&t, &quiet}) {
        format::ChunkWriter w;
        format::ChunkInput in;
        in.sync = format::ClockSync{static_cast<uint64_t>(kMonoBase), kMonoBase, kMonoBase + kWallOffset};
        in.process = &proc;
        in.thread = &s->info;
        in.funcs = s->funcs.data();
        in.func_count = s->funcs.size();
        in.events = s->events.data();
        in.event_count = s->events.size();
        in.markers = s->markers.data();
        in.marker_count = s->markers.size();
        in.last = true;
        auto bytes = w.encode(in);
        write_file(pdir / format::thread_file_name(s->info.index, s->info.tid), bytes);
    }
    std::vector<std::string> warnings;
    json p = convert_to_json({trace.string()}, &warnings);
    check_structure(p);
    EXPECT_TRUE(warnings.empty()) << warnings[0];  // one sync point is fine for MonotonicNs
    ASSERT_EQ(p["threads"].size(), 2u);
    auto times = times_of(p["threads"][0]["samples"]);
    EXPECT_EQ(times, (std::vector<double>{0, 0.003, 0.003}));
    const auto& q = p["threads"][1];
    EXPECT_EQ(q["samples"]["length"], 1);  // only the closing sample
    EXPECT_EQ(q["registerTime"].get<double>(), 0.001);
    EXPECT_EQ(q["unregisterTime"].get<double>(), 0.008);
    EXPECT_EQ(q["markers"]["phase"][0], 1);
    EXPECT_EQ(q["markers"]["data"][0]["type"], "UserRegion");
    EXPECT_EQ(str(p, q["markers"]["name"][0]), "phase one");
    EXPECT_EQ(p["meta"]["profilingEndTime"].get<double>(), 0.008);
}
