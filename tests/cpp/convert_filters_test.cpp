// Convert-time filters and merging of several trace directories, through the library.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "convert_command.h"
#include "converter.h"
#include "json_writer.h"
#include "trace_fixture.h"
#include "trace_loader.h"

using namespace ftrace;
using namespace ftrace::testing;
using format::EventKind;
using nlohmann::json;

namespace {

json to_profile(const std::vector<std::string>& dirs, const convert::ConvertOptions& options,
             std::vector<std::string>* warnings = nullptr) {
    auto trace = convert::load_trace(dirs);
    EXPECT_TRUE(trace.errors.empty());
    convert::StringSink sink;
    std::vector<std::string> w;
    {
        convert::JsonWriter jw(sink);
        convert::write_profile(trace, jw, w, options);
    }
    if (warnings) *warnings = w;
    return json::parse(sink.out);
}

std::string name_of_stack(const json& p, const json& stack) {
    if (stack.is_null()) return "";
    const auto& sh = p["shared"];
    size_t frame = sh["stackTable"]["frame"][stack.get<size_t>()];
    size_t func = sh["frameTable"]["func"][frame];
    return sh["stringArray"][sh["funcTable"]["name"][func].get<size_t>()];
}

// (time in ns, innermost function name) per sample; times rebuilt from the deltas.
std::vector<std::pair<int64_t, std::string>> samples(const json& p, const json& thread) {
    std::vector<std::pair<int64_t, std::string>> out;
    double t = 0;
    const auto& s = thread["samples"];
    for (size_t i = 0; i < s["length"].get<size_t>(); ++i) {
        t += s["timeDeltas"][i].get<double>();
        out.emplace_back(static_cast<int64_t>(std::llround(t * 1e6)), name_of_stack(p, s["stack"][i]));
    }
    return out;
}

// Two processes: 100 "python3 server.py" (MainThread + "Worker-1"), 200 "python3 batch.py".
fs::path write_app(const fs::path& root) {
    auto dir = root / "app.dir";
    auto a = make_process(100, {"python3", "server.py"}, 1000);
    ThreadSpec main;
    main.info = {100, 0, "MainThread", true};
    main.funcs = {py_func(1, "serve", "server.py", 1), py_func(2, "handle", "server.py", 5),
                  py_func(3, "parse", "server.py", 9)};
    // serve 0..10000 { handle 1000..5000 { parse 1200..1300 } handle 6000..6050 }
    main.events = {ev(0, EventKind::PyCall, 1),    ev(1000, EventKind::PyCall, 2), ev(1200, EventKind::PyCall, 3),
                   ev(1300, EventKind::PyReturn),  ev(5000, EventKind::PyReturn),  ev(6000, EventKind::PyCall, 2),
                   ev(6050, EventKind::PyReturn),  ev(10000, EventKind::PyReturn)};
    main.events_per_chunk = 2;
    ThreadSpec worker;
    worker.info = {101, 1, "Worker-1", false};
    worker.funcs = {py_func(1, "work", "server.py", 20)};
    worker.events = {ev(2000, EventKind::PyCall, 1), ev(3000, EventKind::PyReturn)};
    write_process(dir, a, {main, worker});
    auto b = make_process(200, {"python3", "batch.py"}, 2000);
    ThreadSpec bmain;
    bmain.info = {200, 0, "MainThread", true};
    bmain.funcs = {py_func(1, "run_batch", "batch.py", 1)};
    bmain.events = {ev(500, EventKind::PyCall, 1), ev(9000, EventKind::PyReturn)};
    write_process(dir, b, {bmain});
    return dir;
}

std::vector<std::string> thread_names(const json& p) {
    std::vector<std::string> out;
    for (const auto& t : p["threads"]) out.push_back(t["processName"].get<std::string>() + "/" + t["name"].get<std::string>());
    return out;
}

}  // namespace

TEST(ConvertFilters, NoFilterKeepsEverything) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    json p = to_profile({dir.string()}, {});
    EXPECT_EQ(thread_names(p), (std::vector<std::string>{"python3 server.py/MainThread", "python3 server.py/Worker-1",
                                                        "python3 batch.py/MainThread"}));
}

TEST(ConvertFilters, PidAndProcessNameSelectProcesses) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    convert::ConvertOptions o;
    o.select.pids = {200};
    EXPECT_EQ(thread_names(to_profile({dir.string()}, o)), (std::vector<std::string>{"python3 batch.py/MainThread"}));
    o = {};
    o.select.process_names = {"server"};
    EXPECT_EQ(thread_names(to_profile({dir.string()}, o)),
              (std::vector<std::string>{"python3 server.py/MainThread", "python3 server.py/Worker-1"}));
}

TEST(ConvertFilters, TidAndThreadNameSelectThreads) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    convert::ConvertOptions o;
    o.select.thread_names = {"Worker"};
    json p = to_profile({dir.string()}, o);
    EXPECT_EQ(thread_names(p), (std::vector<std::string>{"python3 server.py/Worker-1"}));
    EXPECT_EQ(samples(p, p["threads"][0]), (std::vector<std::pair<int64_t, std::string>>{{2000, "work"}, {3000, ""}, {3000, ""}}));
    o = {};
    o.select.tids = {100, 200};
    EXPECT_EQ(thread_names(to_profile({dir.string()}, o)),
              (std::vector<std::string>{"python3 server.py/MainThread", "python3 batch.py/MainThread"}));
}

TEST(ConvertFilters, NothingSelectedIsReported) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    auto trace = convert::load_trace({dir.string()});
    convert::ConvertOptions o;
    o.select.pids = {999};
    std::vector<std::string> warnings;
    auto plan = convert::plan_conversion(trace, o, warnings);
    EXPECT_TRUE(plan.processes.empty());
    ASSERT_FALSE(warnings.empty());
    EXPECT_NE(warnings.back().find("no thread is left after the filters"), std::string::npos);
}

TEST(ConvertFilters, WindowKeepsTimesRelativeToTheTraceStart) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    convert::ConvertOptions o;
    o.filter.start_ns = 1250;
    o.filter.end_ns = 4000;
    json p = to_profile({dir.string()}, o);
    // Worker-1 (2000..3000) and batch (500..9000) overlap the window; all three stay.
    ASSERT_EQ(p["threads"].size(), 3u);
    EXPECT_EQ(samples(p, p["threads"][0]),
              (std::vector<std::pair<int64_t, std::string>>{{1250, "parse"}, {1300, "handle"}, {4000, ""}}));
    EXPECT_DOUBLE_EQ(p["meta"]["profilingStartTime"].get<double>(), 0.00125);
    EXPECT_DOUBLE_EQ(p["meta"]["profilingEndTime"].get<double>(), 0.004);
    EXPECT_DOUBLE_EQ(p["threads"][0]["registerTime"].get<double>(), 0.00125);
    // A window after a thread's end drops the thread.
    o.filter.start_ns = 9500;
    o.filter.end_ns = 20000;
    EXPECT_EQ(thread_names(to_profile({dir.string()}, o)), (std::vector<std::string>{"python3 server.py/MainThread"}));
}

TEST(ConvertFilters, MinDurationAndMaxDepthThroughTheConverter) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    convert::ConvertOptions o;
    o.select.pids = {100};
    o.select.thread_names = {"Main"};
    o.filter.min_duration_ns = 101;  // parse (100 ns) and the second handle (50 ns) go
    json p = to_profile({dir.string()}, o);
    EXPECT_EQ(samples(p, p["threads"][0]), (std::vector<std::pair<int64_t, std::string>>{
                                               {0, "serve"}, {1000, "handle"}, {5000, "serve"}, {10000, ""}, {10000, ""}}));
    o.filter.min_duration_ns = 0;
    o.filter.max_depth = 1;
    p = to_profile({dir.string()}, o);
    EXPECT_EQ(samples(p, p["threads"][0]),
              (std::vector<std::pair<int64_t, std::string>>{{0, "serve"}, {10000, ""}, {10000, ""}}));
    // Only stacks that samples show are in the table.
    EXPECT_EQ(p["shared"]["stackTable"]["length"], 1);
}

TEST(ConvertFilters, DurationsParse) {
    EXPECT_EQ(convert::parse_duration_ns("1.5s"), 1'500'000'000);
    EXPECT_EQ(convert::parse_duration_ns("200ms"), 200'000'000);
    EXPECT_EQ(convert::parse_duration_ns("2"), 2'000'000);
    EXPECT_EQ(convert::parse_duration_ns("300us"), 300'000);
    EXPECT_EQ(convert::parse_duration_ns("40ns"), 40);
    EXPECT_FALSE(convert::parse_duration_ns("abc"));
    EXPECT_FALSE(convert::parse_duration_ns("-1s"));
    EXPECT_FALSE(convert::parse_duration_ns("5 parsecs"));
}

namespace {

// Host "beta": its own tick counter (2 ticks/ns, another base) and monotonic clock, with a
// wall clock that puts its x ns at the same wall time as the fixture's ("alpha") x ns.
constexpr uint64_t kBetaTickBase = 7'000'000'000'000ull;
constexpr int64_t kBetaMonoBase = 500'000'000'000;
constexpr int64_t kBetaWallOffset = kWallOffset + kMonoBase - kBetaMonoBase;
uint64_t beta_tick(int64_t x) { return kBetaTickBase + static_cast<uint64_t>(x) * 2; }

void write_beta(const fs::path& dir) {
    auto proc = make_process(100, {"python3", "worker.py"}, 3000);  // same pid as alpha's process
    proc.host = "beta";
    format::ThreadInfo info{100, 0, "MainThread", true};
    std::vector<format::FuncDef> funcs = {py_func(1, "beta_job", "worker.py", 1)};
    std::vector<std::pair<int64_t, EventKind>> events = {{400, EventKind::PyCall}, {800, EventKind::PyReturn}};
    fs::create_directories(dir);
    std::ofstream(dir / format::kDirMarkerFile) << format::dir_marker_text();
    fs::path pdir = dir / format::process_dir_name(proc.pid, proc.start_realtime_ns);
    fs::create_directories(pdir);
    format::ChunkWriter w;
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < events.size(); ++i) {
        auto [x, kind] = events[i];
        format::RawEvent e{beta_tick(x), 1, static_cast<uint32_t>(kind)};
        format::ChunkInput in;
        in.seq = static_cast<uint32_t>(i);
        in.sync = format::ClockSync{beta_tick(x), kBetaMonoBase + x, kBetaMonoBase + x + kBetaWallOffset};
        in.process = i == 0 ? &proc : nullptr;
        in.thread = i == 0 ? &info : nullptr;
        in.funcs = i == 0 ? funcs.data() : nullptr;
        in.func_count = i == 0 ? funcs.size() : 0;
        in.events = &e;
        in.event_count = 1;
        in.last = i + 1 == events.size();
        const auto& frame = w.encode(in);
        bytes.insert(bytes.end(), frame.begin(), frame.end());
    }
    write_file(pdir / format::thread_file_name(0, 100), bytes);
}

}  // namespace

TEST(ConvertMerge, TwoHostsWithTheirOwnTickClocksShareOneWallClockTimeline) {
    TempDir tmp;
    auto alpha = tmp.path() / "alpha.dir";
    auto ap = make_process(100, {"python3", "server.py"}, 1000);
    ap.host = "alpha";
    ThreadSpec main;
    main.info = {100, 0, "MainThread", true};
    main.funcs = {py_func(1, "alpha_job", "server.py", 1)};
    main.events = {ev(0, EventKind::PyCall, 1), ev(1000, EventKind::PyReturn)};
    main.events_per_chunk = 1;  // a sync point per event: a real fit
    write_process(alpha, ap, {main});
    auto beta = tmp.path() / "beta.dir";
    write_beta(beta);

    for (bool reversed : {false, true}) {
        std::vector<std::string> dirs = {alpha.string(), beta.string()};
        if (reversed) std::swap(dirs[0], dirs[1]);
        json p = to_profile(dirs, {});
        ASSERT_EQ(p["threads"].size(), 2u);
        // Ordered by start on the shared timeline, labelled by host, pids kept apart.
        EXPECT_EQ(p["threads"][0]["processName"], "alpha: python3 server.py");
        EXPECT_EQ(p["threads"][1]["processName"], "beta: python3 worker.py");
        EXPECT_NE(p["threads"][0]["pid"], p["threads"][1]["pid"]);
        EXPECT_EQ(samples(p, p["threads"][0]),
                  (std::vector<std::pair<int64_t, std::string>>{{0, "alpha_job"}, {1000, ""}, {1000, ""}}));
        EXPECT_EQ(samples(p, p["threads"][1]),
                  (std::vector<std::pair<int64_t, std::string>>{{400, "beta_job"}, {800, ""}, {800, ""}}));
        // Time 0 is alpha's first event on the wall clock.
        EXPECT_DOUBLE_EQ(p["meta"]["startTime"].get<double>(), static_cast<double>(kMonoBase + kWallOffset) / 1e6);
    }
}

TEST(ConvertMerge, OneHostIsNotLabelled) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    json p = to_profile({dir.string()}, {});
    EXPECT_EQ(p["threads"][0]["processName"], "python3 server.py");
}

TEST(ConvertFilters, OutputEstimateFollowsTheWindowAndSelection) {
    TempDir tmp;
    auto dir = write_app(tmp.path());
    auto trace = convert::load_trace({dir.string()});
    std::vector<std::string> warnings;
    auto all = convert::plan_conversion(trace, {}, warnings);
    EXPECT_EQ(all.kept_events, 12u);
    EXPECT_GT(all.estimated_json_bytes, 0u);
    convert::ConvertOptions o;
    o.select.pids = {200};
    auto one = convert::plan_conversion(trace, o, warnings);
    EXPECT_EQ(one.kept_events, 2u);
    EXPECT_LT(one.estimated_json_bytes, all.estimated_json_bytes);
    o = {};
    o.select.pids = {200};
    o.filter.start_ns = 500;
    o.filter.end_ns = 500 + (9000 - 500) / 4;  // a quarter of batch.py's span
    auto quarter = convert::plan_conversion(trace, o, warnings);
    EXPECT_NEAR(static_cast<double>(quarter.estimated_json_bytes), one.estimated_json_bytes / 4.0, 2.0);
}
