// `ftrace info`: the process tree by parent_key, per-thread figures, and the JSON form.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "info_command.h"
#include "trace_fixture.h"

using namespace ftrace;
using namespace ftrace::testing;
using format::EventKind;
using nlohmann::json;

namespace {

// root (pid 10) -> child 20 -> grandchild 30; root -> child 40 (started after 20);
// 50 names a parent_key that is not in the trace (its parent was not traced); 60 has no
// parent_key but its ppid is 40's pid (found by ppid).
fs::path write_tree(const fs::path& root) {
    auto trace = root / "tree.dir";
    auto proc = [&](int64_t pid, int64_t ppid, const std::string& parent_key, int64_t start_ns,
                    std::vector<std::string> argv) {
        auto p = make_process(pid, std::move(argv), 1'000'000 + pid);
        p.ppid = ppid;
        p.parent_key = parent_key;
        ThreadSpec t;
        t.info = {pid, 0, "MainThread", true};
        t.funcs = {py_func(1, "main", "m.py", 1)};
        t.events = {ev(start_ns, EventKind::PyCall, 1), ev(start_ns + 2'000'000, EventKind::PyReturn)};
        write_process(trace, p, {t});
        return p.process_key;
    };
    std::string k10 = proc(10, 1, "", 0, {"python3", "app.py"});
    std::string k20 = proc(20, 10, k10, 1000, {"python3", "worker.py", "a"});
    proc(30, 20, k20, 2000, {"python3", "-c", "pass"});
    proc(40, 10, k10, 3000, {"python3", "worker.py", "b"});
    proc(50, 7, "p7-1", 4000, {"python3", "orphan.py"});
    proc(60, 40, "", 5000, {"python3", "by_ppid.py"});
    return trace;
}

}  // namespace

TEST(InfoTree, ShowsTheProcessTreeByParentKey) {
    TempDir tmp;
    auto trace = write_tree(tmp.path());
    std::ostringstream out, err;
    ASSERT_EQ(convert::run_info(trace.string(), out, err), 0) << err.str();
    std::string s = out.str();
    size_t at = s.find("process tree (by parent):\n");
    ASSERT_NE(at, std::string::npos) << s;
    std::string tree = s.substr(at);
    tree = tree.substr(tree.find('\n') + 1);
    tree = tree.substr(0, tree.find("\n\n") + 1);
    EXPECT_EQ(tree,
              "  10  python3 app.py  [python 3.11.7, ppid 1, 1 thread]\n"
              "  \xE2\x94\x9C\xE2\x94\x80 20  python3 worker.py a  [python 3.11.7, 1 thread]\n"
              "  \xE2\x94\x82  \xE2\x94\x94\xE2\x94\x80 30  python3 -c pass  [python 3.11.7, 1 thread]\n"
              "  \xE2\x94\x94\xE2\x94\x80 40  python3 worker.py b  [python 3.11.7, 1 thread]\n"
              "     \xE2\x94\x94\xE2\x94\x80 60  python3 by_ppid.py  [python 3.11.7, 1 thread]\n"
              "  50  python3 orphan.py  [python 3.11.7, ppid 7, 1 thread]\n")
        << s;
    const std::string version_line =
        "format version: " + current_version_text() + " (this ftrace reads format 1.x)";
    for (const std::string& want : std::vector<std::string>{version_line, std::string("on host testhost"),
                             "process 30 (parent 20)", "2.000 ms", "totals: 6 processes, 6 threads, 12 events",
                             "bytes/event", "damage: none found"}) {
        EXPECT_NE(s.find(want), std::string::npos) << "missing '" << want << "' in\n" << s;
    }
}

TEST(InfoTree, JsonForScripts) {
    TempDir tmp;
    auto trace = write_tree(tmp.path());
    // Damage: cut the grandchild's file short.
    auto f = trace / format::process_dir_name(30, 1'000'030) / format::thread_file_name(0, 30);
    fs::resize_file(f, fs::file_size(f) - 3);
    std::ostringstream out, err;
    ASSERT_EQ(convert::run_info(trace.string(), out, err, true), 0) << err.str();
    json j = json::parse(out.str());
    EXPECT_EQ(j["format_versions"], json::array({current_version_text()}));
    ASSERT_EQ(j["processes"].size(), 5u);  // 30 lost its only chunk
    std::map<int64_t, json> by_pid;
    for (const auto& p : j["processes"]) by_pid[p["pid"].get<int64_t>()] = p;
    EXPECT_EQ(by_pid[10]["children"], json::array({by_pid[20]["process_key"], by_pid[40]["process_key"]}));
    EXPECT_EQ(by_pid[10]["parent_traced"], false);
    EXPECT_EQ(by_pid[20]["parent_traced"], true);
    EXPECT_EQ(by_pid[20]["parent_key"], by_pid[10]["process_key"]);
    EXPECT_EQ(by_pid[20]["argv"], json::array({"python3", "worker.py", "a"}));
    EXPECT_EQ(by_pid[50]["parent_traced"], false);
    EXPECT_EQ(by_pid[50]["ppid"], 7);
    EXPECT_EQ(by_pid[10]["python_version"], "3.11.7");
    EXPECT_EQ(by_pid[10]["host"], "testhost");
    const json& t = by_pid[40]["threads"][0];
    EXPECT_EQ(t["name"], "MainThread");
    EXPECT_EQ(t["tid"], 40);
    EXPECT_EQ(t["events"], 2);
    EXPECT_EQ(t["duration_ns"], 2'000'000);
    EXPECT_EQ(t["clean_end"], true);
    EXPECT_GT(t["bytes"].get<int64_t>(), 0);
    EXPECT_EQ(j["totals"]["events"], 10);
    EXPECT_EQ(j["totals"]["time_span_ns"], 5000 + 2'000'000 - 0);
    EXPECT_EQ(by_pid[40]["children"], json::array({by_pid[60]["process_key"]}));
    EXPECT_EQ(by_pid[60]["parent_traced"], true);
    ASSERT_FALSE(j["damage"].empty());
    bool named = false;
    for (const auto& d : j["damage"]) named |= d.get<std::string>().find("t0-30.ftrace") != std::string::npos;
    EXPECT_TRUE(named) << j["damage"].dump();
}
