#include "convert_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "converter.h"
#include "json_writer.h"
#include "output_sink.h"
#include "trace_loader.h"

namespace ftrace::convert {

std::string default_output_path(const std::string& dir) {
    std::string d = dir;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    if (d.size() > 4 && d.compare(d.size() - 4, 4, ".dir") == 0) d.resize(d.size() - 4);
    return d + ".json.gz";
}

int run_convert(const ConvertArgs& args, std::ostream& out, std::ostream& err) {
    auto started = std::chrono::steady_clock::now();
    if (args.dirs.empty()) {
        err << "ftrace: error: no trace directory given\n";
        return 2;
    }
    LoadedTrace trace = load_trace(args.dirs);
    for (const auto& e : trace.errors) err << "ftrace: error: " << e << "\n";
    if (!trace.errors.empty()) return 1;
    for (const auto& w : trace.warnings) err << "ftrace: warning: " << w << "\n";
    if (trace.processes.empty()) {
        err << "ftrace: error: nothing readable in " << args.dirs[0]
            << (args.dirs.size() > 1 ? " and the other directories" : "") << "; no profile written\n";
        return 1;
    }

    const std::string path = args.output.empty() ? default_output_path(args.dirs[0]) : args.output;
    // Write next to the target and rename at the end: a failed run leaves no half profile.
    const std::string tmp = path + ".partial-" + std::to_string(::getpid());
    std::string open_error;
    auto sink = open_file_sink(tmp, ends_with_gz(path), open_error, args.gzip_level);
    if (!sink) {
        err << "ftrace: error: " << open_error << "\n";
        return 1;
    }
    ConvertStats stats;
    std::vector<std::string> warnings;
    bool ok;
    {
        JsonWriter w(*sink);
        stats = write_profile(trace, w, warnings);
        ok = w.flush();
    }
    ok = sink->close() && ok;
    for (const auto& w : warnings) err << "ftrace: warning: " << w << "\n";
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = !sink->error().empty() ? sink->error() : path + ": cannot rename the output into place";
        err << "ftrace: error: " << why << "\n";
        std::remove(tmp.c_str());
        return 1;
    }
    if (stats.unmatched_returns > 0 || stats.open_at_end > 0) {
        err << "ftrace: note: " << stats.unmatched_returns
            << " returns without a traced call were ignored and " << stats.open_at_end
            << " calls still open at the end were closed at their thread's end\n";
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!args.quiet) {
        std::ostringstream mb;
        mb << std::fixed << std::setprecision(1) << static_cast<double>(sink->bytes_written()) / 1e6;
        std::ostringstream s;
        s << std::fixed << std::setprecision(2) << secs;
        out << "ftrace: wrote " << path << " (" << stats.processes << " processes, " << stats.threads
            << " threads, " << stats.events << " events, " << mb.str() << " MB) in " << s.str()
            << " s\n"
            << "open it at https://profiler.firefox.com (\"Load a profile from file\")\n";
    }
    return 0;
}

}  // namespace ftrace::convert
