// Converter: every process of a trace is its own profile process, named by its command line
// with its parent visible; a reused pid never merges two processes.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "converter.h"
#include "json_writer.h"
#include "output_sink.h"
#include "trace_fixture.h"
#include "trace_loader.h"

using namespace ftrace;
using namespace ftrace::testing;
using format::EventKind;
using nlohmann::json;

namespace {

json convert_dir(const fs::path& dir) {
    auto trace = convert::load_trace({dir.string()});
    EXPECT_TRUE(trace.errors.empty());
    convert::StringSink sink;
    std::vector<std::string> warnings;
    {
        convert::JsonWriter w(sink);
        convert::write_profile(trace, w, warnings);
    }
    return json::parse(sink.out);
}

// One process with one main thread calling `fn` once, from `at` ns to `at` + 100 ns.
format::ProcessInfo add_process(const fs::path& trace, int64_t pid, int64_t ppid, int64_t start,
                                std::vector<std::string> argv, const std::string& parent_key,
                                const std::string& fn, int64_t at) {
    auto proc = make_process(pid, std::move(argv), start);
    proc.ppid = ppid;
    proc.parent_key = parent_key;
    ThreadSpec t;
    t.info = {pid, 0, "MainThread", true};
    t.funcs = {py_func(1, fn, "x.py", 1)};
    t.events = {ev(at, EventKind::PyCall, 1), ev(at + 100, EventKind::PyReturn)};
    write_process(trace, proc, {t});
    return proc;
}

// pid -> processName, and function name -> pids of the threads that call it.
struct Seen {
    std::map<std::string, std::string> names;
    std::map<std::string, std::vector<std::string>> callers;
};
Seen seen(const json& p) {
    Seen s;
    const auto& sh = p["shared"];
    for (const auto& t : p["threads"]) {
        s.names[t["pid"]] = t["processName"];
        for (const auto& st : t["samples"]["stack"]) {
            if (st.is_null()) continue;
            size_t frame = sh["stackTable"]["frame"][st.get<size_t>()];
            size_t func = sh["frameTable"]["func"][frame];
            std::string name = sh["stringArray"][sh["funcTable"]["name"][func].get<size_t>()];
            auto& v = s.callers[name];
            if (v.empty() || v.back() != t["pid"]) v.push_back(t["pid"]);
        }
    }
    return s;
}

}  // namespace

TEST(ProcessParents, NamedByCommandLineWithTheirParent) {
    TempDir tmp;
    auto trace = tmp.path() / "family.dir";
    auto root = add_process(trace, 500, 1, 1000, {"/usr/bin/python3", "app.py"}, "", "root_fn", 0);
    // A subprocess found through the key its parent exported.
    add_process(trace, 501, 500, 2000, {"python3", "child.py", "--x"}, root.process_key,
                "child_fn", 1000);
    // A child started with an environment that lost the key: found through its ppid.
    add_process(trace, 502, 500, 3000, {"python3", "-c", "pass"}, "", "nokey_fn", 2000);
    // The program the root exec'd into: same pid, a new process.
    add_process(trace, 500, 1, 4000, {"python3", "after.py"}, root.process_key, "exec_fn", 3000);
    // A child whose parent's folder is missing from the trace.
    add_process(trace, 503, 777, 5000, {"python3", "orphan.py"}, "p777-123", "orphan_fn", 4000);

    json p = convert_dir(trace);
    Seen s = seen(p);
    ASSERT_EQ(s.names.size(), 5u);
    EXPECT_EQ(s.names.at("500"), "python3 app.py");
    EXPECT_EQ(s.names.at("501"), "python3 child.py --x (child of 500)");
    EXPECT_EQ(s.names.at("502"), "python3 -c pass (child of 500)");
    EXPECT_EQ(s.names.at("500.1"), "python3 after.py (exec'd from 500)");
    EXPECT_EQ(s.names.at("503"), "python3 orphan.py (child of 777)");
    EXPECT_EQ(p["meta"]["product"], "ftrace: python3 app.py");
}

TEST(ProcessParents, ReusedPidNeverMergesAndChildrenFindTheRightIncarnation) {
    TempDir tmp;
    auto trace = tmp.path() / "reuse.dir";
    auto root = add_process(trace, 600, 1, 1000, {"python3", "main.py"}, "", "main_fn", 0);
    // pid 700 is used twice, by two different children of the root, one after the other.
    auto first = add_process(trace, 700, 600, 2000, {"python3", "first.py"}, root.process_key,
                             "first_fn", 1000);
    auto second = add_process(trace, 700, 600, 3000, {"python3", "second.py"}, root.process_key,
                              "second_fn", 2000);
    // Each incarnation has a child of its own.
    add_process(trace, 801, 700, 4000, {"python3", "g1.py"}, first.process_key, "g1_fn", 1050);
    add_process(trace, 802, 700, 5000, {"python3", "g2.py"}, second.process_key, "g2_fn", 2050);

    json p = convert_dir(trace);
    Seen s = seen(p);
    ASSERT_EQ(s.names.size(), 5u);
    // Ordered by start: the first pid-700 process keeps "700", the second becomes "700.1".
    EXPECT_EQ(s.names.at("700"), "python3 first.py (child of 600)");
    EXPECT_EQ(s.names.at("700.1"), "python3 second.py (child of 600)");
    EXPECT_EQ(s.names.at("801"), "python3 g1.py (child of 700)");
    EXPECT_EQ(s.names.at("802"), "python3 g2.py (child of 700.1)");
    // Each function is in its own process only.
    EXPECT_EQ(s.callers.at("first_fn"), std::vector<std::string>{"700"});
    EXPECT_EQ(s.callers.at("second_fn"), std::vector<std::string>{"700.1"});
    EXPECT_EQ(s.callers.at("g2_fn"), std::vector<std::string>{"802"});
}
