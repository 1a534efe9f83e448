#include "trace_loader.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "trace_dir.h"
#include "version.h"

namespace fs = std::filesystem;

namespace ftrace::convert {

namespace {

void absorb(format::ThreadFileReader& reader, LoadedThread& t, bool keep_events) {
    t.file = reader.name();
    t.bytes = reader.size();
    while (auto c = reader.next()) {
        ++t.chunks;
        t.last_chunk_offset = c->file_offset;
        if (t.chunks == 1) {
            t.format_major = c->format_major;
            t.format_minor = c->format_minor;
        }
        if (c->process && !t.process) {
            t.process = std::move(c->process);
            // Format 1.1+: the process's start clocks are a second sync point for this file.
            if (t.process->start_sync) t.syncs.push_back(*t.process->start_sync);
        }
        if (c->thread) t.info = std::move(c->thread);
        for (auto& f : c->funcs) {
            uint32_t id = f.id;
            t.funcs.insert_or_assign(id, std::move(f));
        }
        t.syncs.push_back(c->sync);
        if (!c->events.empty()) {
            t.first_tick = std::min(t.first_tick, c->events.front().tick);
            t.last_tick = std::max(t.last_tick, c->events.back().tick);
            t.event_count += c->events.size();
            if (keep_events) {
                if (t.events.empty()) {
                    t.events = std::move(c->events);
                } else {
                    t.events.insert(t.events.end(), c->events.begin(), c->events.end());
                }
            }
        }
        for (auto& m : c->markers) {
            t.first_tick = std::min(t.first_tick, m.start_tick);
            t.last_tick = std::max(t.last_tick, std::max(m.start_tick, m.end_tick));
            t.markers.push_back(std::move(m));
        }
        t.dropped_events = std::max(t.dropped_events, c->dropped_events);
    }
    t.saw_last = reader.saw_last();
    t.issues = reader.issues();
}

// "p<digits>-<digits>": the name the recorder gives a process folder.
bool is_process_folder_name(const std::string& name) {
    size_t i = 1, n = name.size();
    if (n < 4 || name[0] != 'p') return false;
    size_t d1 = i;
    while (i < n && name[i] >= '0' && name[i] <= '9') ++i;
    if (i == d1 || i >= n || name[i] != '-') return false;
    size_t d2 = ++i;
    while (i < n && name[i] >= '0' && name[i] <= '9') ++i;
    return i > d2 && i == n;
}

// True if `path` looks like a trace directory: the marker file, or at least one folder
// named like a process folder (a trace whose marker file was lost still converts).
bool looks_like_trace_dir(const std::string& path, const std::vector<format::ListedProcess>& listed) {
    std::error_code ec;
    if (fs::exists(fs::path(path) / format::kDirMarkerFile, ec)) return true;
    for (const auto& p : listed) {
        if (is_process_folder_name(fs::path(p.dir).filename().string())) return true;
    }
    return false;
}

}  // namespace

LoadedThread load_thread_file(const std::string& path, bool keep_events) {
    format::ThreadFileReader reader(path);
    LoadedThread t;
    absorb(reader, t, keep_events);
    return t;
}

LoadedThread load_thread_bytes(const std::string& name, const uint8_t* data, size_t size,
                               bool keep_events) {
    format::ThreadFileReader reader(name, data, size);
    LoadedThread t;
    absorb(reader, t, keep_events);
    return t;
}

LoadedTrace load_trace(const std::vector<std::string>& dirs, const LoadOptions& options) {
    LoadedTrace out;
    struct Pending {
        std::string trace_dir;
        std::string proc_dir;
        std::vector<std::string> files;
    };
    std::vector<Pending> pending;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::exists(dir, ec)) {
            out.errors.push_back(dir + ": no such file or directory");
            continue;
        }
        if (!fs::is_directory(dir, ec)) {
            out.errors.push_back(dir + ": not a directory (expected a trace directory written by "
                                       "'ftrace record')");
            continue;
        }
        std::vector<std::string> problems;
        auto listed = format::list_trace_dir(dir, problems);
        if (!looks_like_trace_dir(dir, listed)) {
            out.errors.push_back(dir + ": not an ftrace trace directory (no " +
                                 format::kDirMarkerFile + " file and no process folders)");
            continue;
        }
        for (auto& p : problems) out.warnings.push_back(std::move(p));
        if (listed.empty()) out.warnings.push_back(dir + ": the trace holds no traced process");
        for (auto& lp : listed) {
            if (lp.thread_files.empty()) {
                out.warnings.push_back(lp.dir + ": process folder without thread files, ignored");
                continue;
            }
            pending.push_back(Pending{dir, lp.dir, std::move(lp.thread_files)});
        }
    }
    if (!out.errors.empty()) return out;

    // Read every thread file, in parallel: files are independent.
    std::vector<std::pair<size_t, size_t>> jobs;  // (process, file)
    std::vector<std::vector<LoadedThread>> results(pending.size());
    for (size_t p = 0; p < pending.size(); ++p) {
        results[p].resize(pending[p].files.size());
        for (size_t f = 0; f < pending[p].files.size(); ++f) jobs.emplace_back(p, f);
    }
    size_t workers = options.jobs > 0 ? static_cast<size_t>(options.jobs)
                                      : std::max(1u, std::thread::hardware_concurrency());
    workers = std::min(workers, jobs.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t j; (j = next.fetch_add(1)) < jobs.size();) {
            auto [p, f] = jobs[j];
            results[p][f] = load_thread_file(pending[p].files[f], options.keep_events);
        }
    };
    if (workers <= 1) {
        work();
    } else {
        std::vector<std::thread> pool;
        for (size_t i = 0; i < workers; ++i) pool.emplace_back(work);
        for (auto& th : pool) th.join();
    }

    for (size_t p = 0; p < pending.size(); ++p) {
        LoadedProcess proc;
        proc.dir = pending[p].proc_dir;
        proc.trace_dir = pending[p].trace_dir;
        for (auto& t : results[p]) {
            for (const auto& issue : t.issues) out.warnings.push_back(issue.to_string());
            if (t.dropped_events > 0) {
                out.warnings.push_back(t.file + ": the recorder dropped " +
                                       std::to_string(t.dropped_events) +
                                       " events (buffers full); the timeline has gaps");
            }
            if (t.chunks == 0) continue;
            if (!t.saw_last) {
                out.warnings.push_back(
                    t.file + ": no final chunk after offset " + std::to_string(t.last_chunk_offset) +
                    " (the process was killed, crashed or is still running): its events after "
                    "the last write are lost");
            }
            if (t.process && !proc.has_info) {
                proc.info = *t.process;
                proc.has_info = true;
            }
            if (!t.info) {
                out.warnings.push_back(t.file +
                                       ": its first chunk is lost; thread name and id unknown");
            }
            out.total_events += t.event_count;
            out.total_bytes += t.bytes;
            proc.threads.push_back(std::move(t));
        }
        if (proc.threads.empty()) {
            out.warnings.push_back(proc.dir + ": no readable thread file; process skipped");
            continue;
        }
        if (!proc.has_info) {
            out.warnings.push_back(proc.dir + ": process details lost (no readable first chunk)");
        }
        std::stable_sort(proc.threads.begin(), proc.threads.end(),
                         [](const LoadedThread& a, const LoadedThread& b) {
                             uint32_t ia = a.info ? a.info->index : UINT32_MAX;
                             uint32_t ib = b.info ? b.info->index : UINT32_MAX;
                             return ia < ib;
                         });
        out.processes.push_back(std::move(proc));
    }
    return out;
}

}  // namespace ftrace::convert
