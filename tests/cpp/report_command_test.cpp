// `ftrace report` through the library on a hand-made trace directory whose exact call
// counts, total and self times are worked out below.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "report_command.h"
#include "trace_fixture.h"

using namespace ftrace;
using namespace ftrace::testing;
using namespace ftrace::convert;
using format::EventKind;
using nlohmann::json;

namespace {

// Process 100, main thread:  main [0,1000] -> fib [100,500] -> fib [200,300], fib [400,450];
//                            main -> C len [600,700].
//   fib: 3 calls (1 primitive), total 400, self 400; main: total 1000, self 500; len: 100/100.
// Process 100, "pricer-0":   run [2000,2500] -> fib [2100,2300], <id 99, no def> [2350,2400].
//   run: total 500, self 250; fib 200/200; unknown 50/50. (fib has another id here.)
// Process 200 (child):       an unmatched return at 3000, <module> [3100,...) -> fib [3200,...),
//   both still open, closed at the thread's last marker (3900): fib 700/700, <module> 800/100.
// Whole trace: fib 5 calls (3 primitive), total 1300, self 1300; 2300 ns inside calls.
fs::path write_trace(const fs::path& root) {
    auto trace = root / "r.dir";
    auto a = make_process(100, {"/usr/bin/python3", "app.py"}, 1000);
    ThreadSpec main;
    main.info = {100, 0, "MainThread", true};
    main.funcs = {py_func(1, "main", "/src/app/app.py", 1), py_func(2, "fib", "/src/app/app.py", 10),
                  c_func(3, "len", "builtins")};
    main.events = {ev(0, EventKind::PyCall, 1),   ev(100, EventKind::PyCall, 2), ev(200, EventKind::PyCall, 2),
                   ev(300, EventKind::PyReturn),  ev(400, EventKind::PyCall, 2), ev(450, EventKind::PyReturn),
                   ev(500, EventKind::PyReturn),  ev(600, EventKind::CCall, 3),  ev(700, EventKind::CReturn),
                   ev(1000, EventKind::PyReturn)};
    main.events_per_chunk = 4;  // the stream crosses chunk boundaries
    ThreadSpec worker;
    worker.info = {101, 1, "pricer-0", false};
    worker.funcs = {py_func(5, "fib", "/src/app/app.py", 10), py_func(6, "run", "/src/app/app.py", 30)};
    worker.events = {ev(2000, EventKind::PyCall, 6), ev(2100, EventKind::PyCall, 5),
                     ev(2300, EventKind::PyReturn),  ev(2350, EventKind::PyCall, 99),
                     ev(2400, EventKind::PyReturn),  ev(2500, EventKind::PyReturn)};
    write_process(trace, a, {main, worker});

    auto b = make_process(200, {"python3", "-c", "pass"}, 2000);
    b.ppid = 100;
    b.parent_key = a.process_key;
    ThreadSpec bmain;
    bmain.info = {200, 0, "MainThread", true};
    bmain.funcs = {py_func(1, "<module>", "<string>", 1), py_func(2, "fib", "/src/app/app.py", 10)};
    bmain.events = {ev(3000, EventKind::PyReturn), ev(3100, EventKind::PyCall, 1), ev(3200, EventKind::PyCall, 2)};
    format::Marker m;
    m.kind = format::MarkerKind::User;
    m.start_tick = m.end_tick = tick_at(3900);
    m.name = "done";
    bmain.markers = {m};
    write_process(trace, b, {bmain});
    return trace;
}

// Display columns: the table counts code points ("µs" is one column, two bytes).
std::u32string columns(const std::string& s) {
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        char32_t cp = n == 1 ? c : c & (0x3F >> (n - 1));
        for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
        out.push_back(cp);
        i += n;
    }
    return out;
}

struct Out {
    int code;
    std::string out, err;
    json j() const { return json::parse(out); }
};

Out report(ReportArgs a) {
    std::ostringstream o, e;
    int code = run_report(a, o, e);
    return {code, o.str(), e.str()};
}

using Expected = std::tuple<std::string, uint64_t, uint64_t, int64_t, int64_t>;  // name calls prim total self

std::vector<Expected> rows(const json& group) {
    std::vector<Expected> v;
    for (const auto& f : group["functions"]) {
        v.emplace_back(f["name"], f["calls"], f["primitive_calls"], f["total_ns"], f["self_ns"]);
    }
    return v;
}

class Report : public ::testing::Test {
protected:
    void SetUp() override { dir = write_trace(tmp.path()).string(); }
    ReportArgs args(bool json = true) {
        ReportArgs a;
        a.dirs = {dir};
        a.json = json;
        return a;
    }
    TempDir tmp;
    std::string dir;
};

}  // namespace

TEST_F(Report, WholeTraceExactTotalsSortedByTotal) {
    auto r = report(args());
    ASSERT_EQ(r.code, 0) << r.err;
    json j = r.j();
    EXPECT_EQ(j["sort"], "total");
    EXPECT_EQ(j["unit"], "ns");
    ASSERT_EQ(j["groups"].size(), 1u);
    const json& g = j["groups"][0];
    EXPECT_EQ(g["threads"], 3);
    EXPECT_EQ(g["in_calls_ns"], 2300);
    EXPECT_EQ(g["unmatched_returns"], 1);
    EXPECT_EQ(g["open_at_end"], 2);
    EXPECT_EQ(g["calls"], 10);
    EXPECT_EQ(g["function_count"], 6);
    std::vector<Expected> want = {{"fib", 5, 3, 1300, 1300},   {"main", 1, 1, 1000, 500},
                                  {"<module>", 1, 1, 800, 100}, {"run", 1, 1, 500, 250},
                                  {"len", 1, 1, 100, 100},      {"<unknown function #99>", 1, 1, 50, 50}};
    EXPECT_EQ(rows(g), want);
    EXPECT_EQ(g["functions"][4]["kind"], "c");
    EXPECT_EQ(g["functions"][4]["module"], "builtins");
    EXPECT_EQ(g["functions"][0]["file"], "/src/app/app.py");
    EXPECT_EQ(g["functions"][0]["line"], 10);
    EXPECT_EQ(g["functions"][5]["known"], false);
    ASSERT_EQ(j["warnings"].size(), 1u);
    EXPECT_NE(j["warnings"][0].get<std::string>().find("t1-101.ftrace"), std::string::npos);
    EXPECT_NE(r.err.find("1 returns without a traced call"), std::string::npos) << r.err;
}

TEST_F(Report, SortBySelfAndByCalls) {
    auto a = args();
    a.sort = ReportSort::Self;
    std::vector<std::string> names;
    json j = report(a).j();
    for (const auto& f : j["groups"][0]["functions"]) names.push_back(f["name"]);
    EXPECT_EQ(names, (std::vector<std::string>{"fib", "main", "run", "<module>", "len", "<unknown function #99>"}));
    a.sort = ReportSort::Calls;
    names.clear();
    j = report(a).j();
    for (const auto& f : j["groups"][0]["functions"]) names.push_back(f["name"]);
    EXPECT_EQ(names, (std::vector<std::string>{"fib", "main", "<module>", "run", "len", "<unknown function #99>"}));
}

TEST_F(Report, LimitKeepsTheTopRowsAndCountsTheRest) {
    auto a = args();
    a.limit = 2;
    json g = report(a).j()["groups"][0];
    EXPECT_EQ(g["functions"].size(), 2u);
    EXPECT_EQ(g["function_count"], 6);
    a.json = false;
    auto t = report(a);
    EXPECT_NE(t.out.find("(4 more functions; --limit 0 shows all)"), std::string::npos) << t.out;
}

TEST_F(Report, ByThreadGivesOneGroupPerThreadInOrder) {
    auto a = args();
    a.group = ReportGroup::Thread;
    json j = report(a).j();
    ASSERT_EQ(j["groups"].size(), 3u);
    EXPECT_EQ(j["groups"][0]["pid"], 100);
    EXPECT_EQ(j["groups"][0]["tid"], 100);
    EXPECT_EQ(j["groups"][1]["thread"], "pricer-0");
    EXPECT_EQ(j["groups"][2]["pid"], 200);
    EXPECT_EQ(rows(j["groups"][0]), (std::vector<Expected>{{"main", 1, 1, 1000, 500},
                                                           {"fib", 3, 1, 400, 400},
                                                           {"len", 1, 1, 100, 100}}));
    EXPECT_EQ(rows(j["groups"][2]), (std::vector<Expected>{{"<module>", 1, 1, 800, 100}, {"fib", 1, 1, 700, 700}}));
    EXPECT_EQ(j["groups"][2]["open_at_end"], 2);
    EXPECT_EQ(j["groups"][1]["in_calls_ns"], 500);
}

TEST_F(Report, ByProcessMergesThreadsOfAProcess) {
    auto a = args();
    a.group = ReportGroup::Process;
    json j = report(a).j();
    ASSERT_EQ(j["groups"].size(), 2u);
    EXPECT_EQ(j["groups"][0]["threads"], 2);
    EXPECT_EQ(j["groups"][0]["command"], "python3 app.py");
    auto r0 = rows(j["groups"][0]);
    EXPECT_EQ(r0.front(), (Expected{"main", 1, 1, 1000, 500}));
    EXPECT_EQ(r0[1], (Expected{"fib", 4, 2, 600, 600}));  // two ids in two threads: one function
}

TEST_F(Report, PidAndThreadFilters) {
    auto a = args();
    a.select.pids = {200};
    EXPECT_EQ(rows(report(a).j()["groups"][0]),
              (std::vector<Expected>{{"<module>", 1, 1, 800, 100}, {"fib", 1, 1, 700, 700}}));
    a.select.pids.clear();
    a.select.thread_names = {"pricer"};  // a substring, as for convert
    json g = report(a).j()["groups"][0];
    EXPECT_EQ(g["threads"], 1);
    EXPECT_EQ(std::get<0>(rows(g)[0]), "run");
    a.select.thread_names.clear();
    a.select.tids = {100};
    g = report(a).j()["groups"][0];
    EXPECT_EQ(g["threads"], 1);
    EXPECT_EQ(std::get<0>(rows(g)[0]), "main");
    a.select.tids.clear();
    a.select.pids = {100};
    a.select.thread_names = {"MainThread"};  // both processes have one; --pid picks
    g = report(a).j()["groups"][0];
    EXPECT_EQ(g["threads"], 1);
    EXPECT_EQ(g["in_calls_ns"], 1000);
}

TEST_F(Report, FiltersThatMatchNothingFailClearly) {
    auto a = args();
    a.select.pids = {999};
    auto r = report(a);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no thread matches"), std::string::npos) << r.err;
    a.select.pids.clear();
    a.select.process_names = {"worker.py"};
    EXPECT_EQ(report(a).code, 1);
    a.select.process_names = {"-c pass"};  // a substring of the command line
    EXPECT_EQ(report(a).j()["groups"][0]["in_calls_ns"], 800);
    EXPECT_TRUE(r.out.empty());
}

TEST_F(Report, NotATraceDirectory) {
    ReportArgs a;
    a.dirs = {(tmp.path() / "missing.dir").string()};
    auto r = report(a);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("missing.dir: no such file"), std::string::npos) << r.err;
}

TEST_F(Report, TableIsAlignedWithUnitsAndSaysWhatWasMeasured) {
    auto r = report(args(false));
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream in(r.out);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) lines.push_back(line);
    size_t header = 0;
    while (header < lines.size() && lines[header].find("function") == std::string::npos) ++header;
    ASSERT_LT(header, lines.size()) << r.out;
    EXPECT_NE(r.out.find("measured: exact times of all 10 calls"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("on 3 threads of 2 processes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("sorted by total"), std::string::npos);
    // Every row puts the function name where the header's "function" starts, and ends the
    // right-aligned self% column at the same column.
    std::u32string head = columns(lines[header]);
    size_t fcol = head.find(U"function");
    size_t pcol = head.find(U"self%") + 5;
    ASSERT_EQ(lines.size(), header + 7) << r.out;
    std::vector<std::string> names = {"fib", "main", "<module>", "run", "len", "<unknown function #99>"};
    for (size_t i = 0; i < names.size(); ++i) {
        std::u32string row = columns(lines[header + 1 + i]);
        EXPECT_EQ(row.substr(fcol, names[i].size()), columns(names[i])) << lines[header + 1 + i];
        EXPECT_EQ(row[pcol - 1], U'%') << lines[header + 1 + i];
        EXPECT_EQ(row[pcol], U' ') << lines[header + 1 + i];
    }
    const std::string& fib = lines[header + 1];
    EXPECT_EQ(fib.find("5/3"), fib.find_first_not_of(' ')) << fib;  // calls/primitive first
    EXPECT_NE(fib.find("1.300 \xC2\xB5s"), std::string::npos) << fib;
    EXPECT_NE(fib.find("56.5%"), std::string::npos) << fib;  // 1300 of 2300 ns in calls
    EXPECT_NE(fib.find("app/app.py:10"), std::string::npos) << fib;
    EXPECT_NE(lines[header + 5].find("[C] builtins"), std::string::npos) << lines[header + 5];
}

TEST(ReportFormat, DurationsUseTheLargestUnitWithOneDigitBeforeThePoint) {
    EXPECT_EQ(format_duration(0), "0 ns");
    EXPECT_EQ(format_duration(999), "999 ns");
    EXPECT_EQ(format_duration(1000), "1.000 \xC2\xB5s");
    EXPECT_EQ(format_duration(1'234'567), "1.235 ms");
    EXPECT_EQ(format_duration(999'999'499), "999.999 ms");
    EXPECT_EQ(format_duration(999'999'999), "1.000 s");
    EXPECT_EQ(format_duration(2'500'000'000), "2.500 s");
}
