#include "converter.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "parallel_output.h"
#include "profile_writer.h"
#include "progress.h"

namespace ftrace::convert {

using format::ClockKind;

namespace {

// JSON bytes per sample-producing event, measured on synthetic and recorded traces
// (stack index, time delta and weight, each with its comma).
constexpr uint64_t kJsonBytesPerEvent = 26;

// "p123-456" -> 123, for processes whose first chunk was lost.
int64_t pid_from_dir(const std::string& dir) {
    size_t slash = dir.find_last_of('/');
    std::string base = slash == std::string::npos ? dir : dir.substr(slash + 1);
    if (base.size() < 2 || base[0] != 'p') return 0;
    int64_t v = 0;
    for (size_t i = 1; i < base.size() && base[i] >= '0' && base[i] <= '9' && i < 19; ++i) {
        v = v * 10 + (base[i] - '0');
    }
    return v;
}

int64_t median(std::vector<int64_t>& v) {
    if (v.empty()) return 0;
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

// Gives each function id of a thread a local frame number, in order of first use; the
// shared tables learn them later, in thread order (see convert_thread), so the profile does
// not depend on which worker got where first.
class LocalFrames final : public FrameResolver {
public:
    uint32_t frame_for(uint32_t id, bool is_c) override {
        ids.emplace_back(id, is_c);
        return static_cast<uint32_t>(ids.size() - 1);
    }
    std::vector<std::pair<uint32_t, bool>> ids;
};

// Stores samples (with the thread's own stack numbers) and notes which stacks they show.
class LocalColumns final : public SampleReceiver {
public:
    explicit LocalColumns(SampleColumns& out) : out_(out) {}
    void sample(int64_t t, int32_t stack) override {
        if (stack != kNullStack) {
            auto s = static_cast<size_t>(stack);
            if (s >= shown.size()) shown.resize(std::max(s + 1, shown.size() * 2), 0);
            shown[s] = 1;
        }
        out_.push(t, stack);
    }
    std::vector<uint8_t> shown;

private:
    SampleColumns& out_;
};

bool contains_any(const std::string& hay, const std::vector<std::string>& needles) {
    for (const auto& n : needles) {
        if (hay.find(n) != std::string::npos) return true;
    }
    return false;
}

bool process_selected(const LoadedProcess& p, const Selection& sel) {
    if (sel.pids.empty() && sel.process_names.empty()) return true;
    int64_t pid = p.has_info ? p.info.pid : pid_from_dir(p.dir);
    if (std::find(sel.pids.begin(), sel.pids.end(), pid) != sel.pids.end()) return true;
    if (p.has_info && (contains_any(command_line(p.info.argv, 1 << 20), sel.process_names) ||
                       contains_any(p.info.executable, sel.process_names))) {
        return true;
    }
    return false;
}

bool thread_selected(const LoadedThread& t, const Selection& sel) {
    if (sel.tids.empty() && sel.thread_names.empty()) return true;
    if (!t.info) return false;
    if (std::find(sel.tids.begin(), sel.tids.end(), t.info->tid) != sel.tids.end()) return true;
    std::string name = t.info->name.empty() && t.info->is_main ? "MainThread" : t.info->name;
    return contains_any(name, sel.thread_names);
}

std::string base_name(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Appends the parent to each child's name: " (child of PID)", or " (exec'd from PID)" for a
// program that replaced its traced parent by exec (same pid), PID being the parent's pid in
// the profile. The parent is the process its key names, or else the latest process started
// before it whose pid is its ppid; a parent outside the trace is named by its OS pid.
void name_parents(std::vector<ProcessPlan>& plans) {
    std::map<std::string, const ProcessPlan*> by_key;  // trace dir + "/" + process key
    for (const auto& pp : plans) by_key[pp.p->trace_dir + "/" + base_name(pp.p->dir)] = &pp;
    std::vector<std::string> suffixes(plans.size());
    for (size_t i = 0; i < plans.size(); ++i) {
        const ProcessPlan& pp = plans[i];
        if (!pp.p->has_info) continue;
        const format::ProcessInfo& info = pp.p->info;
        const ProcessPlan* parent = nullptr;
        std::string parent_pid;
        if (!info.parent_key.empty()) {
            auto it = by_key.find(pp.p->trace_dir + "/" + info.parent_key);
            if (it != by_key.end() && it->second != &pp) {
                parent = it->second;
            } else {
                parent_pid = std::to_string(pid_from_dir(info.parent_key));
            }
        } else {
            for (size_t j = 0; j < i; ++j) {  // plans are in start order
                if (plans[j].p->has_info && plans[j].p->info.pid == info.ppid &&
                    plans[j].p->trace_dir == pp.p->trace_dir) {
                    parent = &plans[j];
                }
            }
        }
        if (parent != nullptr) parent_pid = parent->pid;
        if (parent_pid.empty()) continue;
        const bool exec = parent != nullptr ? parent->p->has_info && parent->p->info.pid == info.pid
                                            : pid_from_dir(info.parent_key) == info.pid;
        suffixes[i] = (exec ? " (exec'd from " : " (child of ") + parent_pid + ")";
    }
    for (size_t i = 0; i < plans.size(); ++i) plans[i].name += suffixes[i];
}

}  // namespace

size_t ConvertPlan::thread_count() const {
    size_t n = 0;
    for (const auto& p : processes) n += p.threads.size();
    return n;
}

ClockKind clock_of(const LoadedProcess& p) {
    if (!p.has_info) return ClockKind::Tsc;
    auto k = p.info.clock;
    if (k != ClockKind::Tsc && k != ClockKind::CntVct && k != ClockKind::MonotonicNs) return ClockKind::Tsc;
    return k;
}

std::map<ClockKind, ClockFit> fit_trace_clocks(const LoadedTrace& trace, std::vector<std::string>* notes) {
    std::map<ClockKind, std::vector<format::ClockSync>> points;
    for (const auto& p : trace.processes) {
        auto& v = points[clock_of(p)];
        for (const auto& t : p.threads) v.insert(v.end(), t.syncs.begin(), t.syncs.end());
    }
    std::map<ClockKind, ClockFit> fits;
    for (auto& [kind, pts] : points) {
        std::string note;
        fits.emplace(kind, ClockFit::fit(pts, kind, &note));
        if (!note.empty() && notes) {
            notes->push_back((trace.processes.empty() ? std::string("trace")
                                                      : trace.processes.front().trace_dir) +
                             ": " + note);
        }
    }
    return fits;
}

std::string command_line(const std::vector<std::string>& argv, size_t max_len) {
    std::string out;
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string a = argv[i];
        if (i == 0) {
            size_t slash = a.find_last_of('/');
            if (slash != std::string::npos && slash + 1 < a.size()) a = a.substr(slash + 1);
        }
        if (a.empty() || a.find_first_of(" \t\n\"'") != std::string::npos) a = "'" + a + "'";
        if (!out.empty()) out.push_back(' ');
        out += a;
        if (out.size() > max_len) break;
    }
    if (out.size() > max_len) {
        // Cut on a UTF-8 boundary and mark the cut.
        size_t cut = max_len;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
        out += "\xE2\x80\xA6";  // …
    }
    return out;
}

ConvertPlan plan_conversion(LoadedTrace& trace, const ConvertOptions& options, std::vector<std::string>& warnings) {
    ConvertPlan plan;
    plan.filter = options.filter;

    // 1. Clocks: each trace directory was recorded on one machine with its own tick counter:
    // one fit per (directory, clock kind); directories meet on the wall clock, through the
    // median of realtime - monotonic over each directory's sync points.
    std::map<std::pair<std::string, ClockKind>, std::vector<format::ClockSync>> points;
    std::map<std::string, std::vector<int64_t>> wall_offsets;
    for (const auto& p : trace.processes) {
        auto& v = points[{p.trace_dir, clock_of(p)}];
        auto& w = wall_offsets[p.trace_dir];
        for (const auto& t : p.threads) {
            v.insert(v.end(), t.syncs.begin(), t.syncs.end());
            for (const auto& s : t.syncs) w.push_back(s.realtime_ns - s.monotonic_ns);
        }
    }
    for (auto& [key, pts] : points) {
        std::string note;
        plan.fits.emplace(key, ClockFit::fit(pts, key.second, &note));
        if (!note.empty()) warnings.push_back(key.first + ": " + note);
    }
    std::map<std::string, int64_t> wall_offset;
    for (auto& [dir, v] : wall_offsets) wall_offset[dir] = median(v);

    // 2. Time 0 = the earliest event or marker of any thread (before filtering, so filtered
    // profiles show the same times as the whole one), on the wall clock.
    auto time_of = [&](const LoadedProcess& p) {
        const ClockFit& fit = plan.fits.at({p.trace_dir, clock_of(p)});
        return std::pair<const ClockFit*, int64_t>(&fit, wall_offset[p.trace_dir]);
    };
    int64_t t0_wall = INT64_MAX;
    for (auto& p : trace.processes) {
        auto [fit, off] = time_of(p);
        for (auto& t : p.threads) {
            if (t.first_tick <= t.last_tick) t0_wall = std::min(t0_wall, fit->to_ns(t.first_tick) + off);
        }
    }
    if (t0_wall == INT64_MAX) t0_wall = 0;

    std::set<std::string> hosts;
    for (auto& p : trace.processes) {
        if (p.has_info && !p.info.host.empty()) hosts.insert(p.info.host);
    }
    plan.hosts = hosts.size();

    // 3. Processes and threads kept by the filters: spans, order, pids, names.
    const ReplayFilter& f = options.filter;
    size_t dropped_by_selection = 0, dropped_by_window = 0;
    for (auto& p : trace.processes) {
        auto [fit, off] = time_of(p);
        ProcessPlan pp;
        pp.p = &p;
        pp.time = TimeMap{fit, t0_wall - off};
        if (!process_selected(p, options.select)) {
            dropped_by_selection += p.threads.size();
            continue;
        }
        for (auto& t : p.threads) {
            if (!thread_selected(t, options.select)) {
                ++dropped_by_selection;
                continue;
            }
            ThreadPlan tp;
            tp.t = &t;
            int64_t b = 0, e = 0;
            if (t.first_tick <= t.last_tick) {
                b = pp.time.to_rel(t.first_tick);
                e = std::max(b, pp.time.to_rel(t.last_tick));
            }
            if (e < f.start_ns || b > f.end_ns) {
                ++dropped_by_window;
                continue;
            }
            tp.last_ns = e;
            tp.begin_ns = std::max(b, f.start_ns);
            tp.end_ns = std::min(e, f.end_ns);
            pp.begin_ns = std::min(pp.begin_ns, tp.begin_ns);
            pp.end_ns = std::max(pp.end_ns, tp.end_ns);
            plan.kept_events += t.event_count;
            double frac = e > b ? static_cast<double>(tp.end_ns - tp.begin_ns) / static_cast<double>(e - b) : 1.0;
            plan.estimated_json_bytes +=
                static_cast<uint64_t>(frac * static_cast<double>(t.event_count) * kJsonBytesPerEvent);
            pp.threads.push_back(tp);
        }
        if (pp.threads.empty()) continue;
        plan.processes.push_back(std::move(pp));
    }
    if (plan.processes.empty() && !trace.processes.empty()) {
        warnings.push_back("no thread is left after the filters (" + std::to_string(dropped_by_selection) +
                           " threads not selected by --pid/--process/--tid/--thread, " +
                           std::to_string(dropped_by_window) + " outside the --start/--end window)");
    }
    std::stable_sort(plan.processes.begin(), plan.processes.end(),
                     [](const ProcessPlan& a, const ProcessPlan& b) { return a.begin_ns < b.begin_ns; });
    std::map<std::string, int> pid_uses;
    for (auto& pp : plan.processes) {
        const LoadedProcess& p = *pp.p;
        int64_t pid = p.has_info ? p.info.pid : pid_from_dir(p.dir);
        std::string base = std::to_string(pid);
        int n = pid_uses[base]++;
        pp.pid = n == 0 ? base : base + "." + std::to_string(n);
        if (p.has_info && !p.info.argv.empty()) {
            pp.name = command_line(p.info.argv);
        } else if (p.has_info && !p.info.executable.empty()) {
            pp.name = command_line({p.info.executable});
        } else {
            pp.name = "process " + base;
        }
        // Several machines on one timeline: say which machine each process ran on.
        if (plan.hosts > 1) pp.name = (p.has_info && !p.info.host.empty() ? p.info.host : "?") + ": " + pp.name;
    }
    name_parents(plan.processes);

    // 4. Marker schemas learn every kept marker's fields before meta is written.
    for (auto& pp : plan.processes) {
        for (auto& tp : pp.threads) {
            for (const auto& m : tp.t->markers) plan.schemas.observe(m);
        }
    }

    // 5. Meta.
    ProfileMeta& meta = plan.meta;
    meta.start_wall_ns = t0_wall;
    meta.begin_ns = f.start_ns > 0 ? f.start_ns : 0;
    meta.end_ns = meta.begin_ns;
    for (auto& pp : plan.processes) {
        meta.end_ns = std::max(meta.end_ns, pp.end_ns);
        meta.thread_count += pp.threads.size();
    }
    const ProcessPlan* root = nullptr;
    for (auto& pp : plan.processes) {
        if (pp.p->has_info && pp.p->info.parent_key.empty()) {
            root = &pp;
            break;
        }
    }
    if (!root && !plan.processes.empty()) root = &plan.processes.front();
    meta.product = "ftrace: " + (root ? root->name : std::string("empty trace"));
    if (meta.thread_count > 0) meta.selected_threads.push_back(0);
    meta.arguments = root && root->p->has_info ? command_line(root->p->info.argv, 4096) : "";
    return plan;
}

namespace {

struct Job {
    ProcessPlan* pp;
    ThreadPlan* tp;
    size_t index;  // in the threads array
    // results
    std::vector<AllocPoint> allocs;
    ReplayStats stats;
    uint64_t unknown_ids = 0;
    uint64_t samples = 0, markers = 0;
};

struct Shared {
    SharedTables tables;
    std::mutex mu;
    // Threads enter the shared tables one after the other, in output order.
    std::condition_variable turn_cv;
    size_t turn = 0;
};

void convert_thread(Job& job, const ConvertPlan& plan, Shared& shared, ParallelOutput& out, Progress* progress) {
    const ProcessPlan& pp = *job.pp;
    const ThreadPlan& tp = *job.tp;
    const LoadedThread& t = *tp.t;
    ThreadOut to;
    to.pid = pp.pid;
    to.process_name = pp.name;
    to.tid = t.info ? t.info->tid : 0;
    to.is_main = t.info && t.info->is_main;
    to.name = t.info && !t.info->name.empty()
                  ? t.info->name
                  : (to.is_main ? std::string("MainThread") : "Thread " + std::to_string(to.tid));
    to.process_start_ns = pp.begin_ns;
    to.process_end_ns = pp.end_ns;
    to.register_ns = tp.begin_ns;
    to.unregister_ns = tp.end_ns;

    // 1. Replay (in parallel with other threads): local frames and stacks only.
    LocalFrames frames;
    StackTable local;
    LocalColumns columns(to.samples);
    {
        StackReplayer replay(pp.time, frames, local, columns, plan.filter);
        format::ThreadFileReader reader(t.file);
        uint64_t fed = 0;
        while (auto c = reader.next()) {
            replay.feed(c->events.data(), c->events.size());
            fed += c->events.size();
            if (progress) progress->add(c->events.size());
            if (replay.done()) break;  // the rest lies after the window
        }
        if (progress && fed < t.event_count) progress->add(t.event_count - fed);
        replay.finish(tp.last_ns);
        job.allocs = std::move(replay.allocs());
        job.stats = replay.stats();
    }

    // 2. This thread's turn: its shown stacks (with their parents), frames and marker names
    // enter the shared tables in a fixed order.
    std::vector<uint32_t> stack_map(local.size(), UINT32_MAX);
    {
        std::vector<uint8_t>& need = columns.shown;
        need.resize(local.size(), 0);
        for (size_t s = local.size(); s-- > 0;) {
            if (need[s] && local.parent(static_cast<uint32_t>(s)) != StackTable::kNoParent) {
                need[local.parent(static_cast<uint32_t>(s))] = 1;
            }
        }
        std::unique_lock<std::mutex> lock(shared.mu);
        shared.turn_cv.wait(lock, [&] { return shared.turn == job.index; });
        SharedTables& sh = shared.tables;
        std::vector<uint32_t> frame_map(frames.ids.size(), UINT32_MAX);
        for (size_t s = 0; s < local.size(); ++s) {
            if (!need[s]) continue;
            uint32_t lf = local.frame(static_cast<uint32_t>(s));
            if (frame_map[lf] == UINT32_MAX) {
                auto [id, is_c] = frames.ids[lf];
                auto it = t.funcs.find(id);
                if (it == t.funcs.end()) {
                    ++job.unknown_ids;
                    frame_map[lf] = sh.frame_for_unknown(id, is_c);
                } else {
                    frame_map[lf] = sh.frame_for(it->second);
                }
            }
            uint32_t lp = local.parent(static_cast<uint32_t>(s));
            stack_map[s] = sh.stacks.intern(lp == StackTable::kNoParent ? StackTable::kNoParent : stack_map[lp],
                                            frame_map[lf]);
        }
        to.markers.reserve(t.markers.size());
        for (const auto& m : t.markers) {
            MarkerOut mo;
            mo.start_ns = pp.time.to_rel(m.start_tick);
            mo.instant = m.end_tick <= m.start_tick;
            mo.end_ns = mo.instant ? mo.start_ns : pp.time.to_rel(m.end_tick);
            if (mo.end_ns < plan.filter.start_ns || mo.start_ns > plan.filter.end_ns) continue;
            uint32_t si = plan.schemas.schema_of(m.kind);
            const MarkerSchema& s = plan.schemas.at(si);
            mo.name = sh.strings.intern(m.name.empty() ? s.name : m.name);
            mo.category = s.category;
            mo.schema = si;
            mo.source = &m;
            to.markers.push_back(mo);
        }
        ++shared.turn;
    }
    shared.turn_cv.notify_all();
    to.stack_map = &stack_map;
    std::stable_sort(to.markers.begin(), to.markers.end(),
                     [](const MarkerOut& a, const MarkerOut& b) { return a.start_ns < b.start_ns; });
    job.samples = to.samples.size();
    job.markers = to.markers.size();

    // 3. JSON, in parallel again.
    auto sink = out.segment(job.index + 1);
    {
        JsonWriter w(*sink, 1 << 16);
        ProfileWriter(w).thread_segment(to, plan.schemas, job.index);
    }
    sink->close();
    if (progress) progress->add(t.event_count);  // the second half: its JSON is out
}

}  // namespace

ConvertStats write_profile(ConvertPlan& plan, Sink& dest, const OutputFormat& format,
                           const ConvertOptions& options, std::vector<std::string>& warnings,
                           std::string* error) {
    ConvertStats stats;
    std::vector<Job> jobs;
    for (auto& pp : plan.processes) {
        for (auto& tp : pp.threads) jobs.push_back(Job{&pp, &tp, jobs.size(), {}, {}, 0, 0, 0});
    }
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    unsigned workers = options.jobs > 0 ? static_cast<unsigned>(options.jobs) : cores;
    ParallelOutput out(dest, jobs.size() + 2, format.gzip, format.level, workers);

    {
        auto head = out.segment(0);
        {
            JsonWriter w(*head, 1 << 16);
            ProfileWriter(w).begin(plan.meta, plan.schemas);
        }
        head->close();
    }

    // Each event counts twice: once replayed, once written.
    if (options.progress) {
        char what[64];
        std::snprintf(what, sizeof what, "converting %.1fM events", static_cast<double>(plan.kept_events) / 1e6);
        options.progress->start(what, 2 * plan.kept_events);
    }
    Shared shared;
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t j; (j = next.fetch_add(1)) < jobs.size();) {
            convert_thread(jobs[j], plan, shared, out, options.progress);
        }
    };
    size_t nworkers = std::min<size_t>(workers, jobs.size());
    if (nworkers <= 1) {
        work();
    } else {
        std::vector<std::thread> pool;
        for (size_t i = 0; i < nworkers; ++i) pool.emplace_back(work);
        for (auto& th : pool) th.join();
    }

    // Memory counters, one per process, from its threads' allocation events.
    std::vector<CounterOut> counters;
    size_t ji = 0;
    for (auto& pp : plan.processes) {
        std::vector<AllocPoint> allocs;
        uint32_t main_index = static_cast<uint32_t>(ji);
        bool main_found = false;
        for (size_t k = 0; k < pp.threads.size(); ++k, ++ji) {
            Job& job = jobs[ji];
            const LoadedThread& t = *job.tp->t;
            if (t.info && t.info->is_main && !main_found) {
                main_index = static_cast<uint32_t>(ji);
                main_found = true;
            }
            allocs.insert(allocs.end(), job.allocs.begin(), job.allocs.end());
            std::vector<AllocPoint>().swap(job.allocs);
            if (job.unknown_ids > 0) {
                warnings.push_back(t.file + ": " + std::to_string(job.unknown_ids) +
                                   " function ids have no definition in this file (shown as "
                                   "<unknown function #id>)");
            }
            stats.unknown_function_events += job.unknown_ids;
            stats.unmatched_returns += job.stats.unmatched_returns;
            stats.open_at_end += job.stats.open_at_end;
            stats.samples += job.samples;
            stats.markers += job.markers;
            stats.events += t.event_count;
            ++stats.threads;
        }
        if (!allocs.empty()) {
            std::stable_sort(allocs.begin(), allocs.end(),
                             [](const AllocPoint& a, const AllocPoint& b) { return a.t_ns < b.t_ns; });
            CounterOut c;
            c.name = "Memory";
            c.description = "Bytes allocated minus bytes freed (ftrace --memory)";
            c.pid = pp.pid;
            c.category = kCatMemory;
            c.main_thread_index = main_index;
            for (const auto& a : allocs) {
                if (!c.t_ns.empty() && c.t_ns.back() == a.t_ns) {
                    c.count.back() += a.bytes;
                    c.number.back() += 1;
                } else {
                    c.t_ns.push_back(a.t_ns);
                    c.count.push_back(a.bytes);
                    c.number.push_back(1);
                }
            }
            counters.push_back(std::move(c));
        }
        ++stats.processes;
    }

    {
        auto tail = out.segment(jobs.size() + 1);
        {
            JsonWriter w(*tail, 1 << 16);
            ProfileWriter(w).end_segment(shared.tables, counters);
        }
        tail->close();
    }
    bool ok = out.finish();
    if (options.progress) options.progress->stop();
    if (!ok && error) *error = out.error();
    stats.functions = shared.tables.func_count();
    stats.stacks = shared.tables.stacks.size();
    stats.duration_ns = plan.meta.end_ns - plan.meta.begin_ns;
    stats.json_bytes = out.json_bytes();
    return stats;
}

ConvertStats write_profile(LoadedTrace& trace, JsonWriter& w, std::vector<std::string>& warnings,
                           const ConvertOptions& options) {
    w.flush();
    ConvertPlan plan = plan_conversion(trace, options, warnings);
    return write_profile(plan, w.sink(), OutputFormat{}, options, warnings);
}

}  // namespace ftrace::convert
