// ftrace-convert: the offline half of ftrace (`ftrace convert`, `ftrace info`).
#include <CLI/CLI.hpp>
#include <iostream>

#include "convert_command.h"
#include "info_command.h"
#include "profile_writer.h"
#include "report_cli.h"
#include "selection_cli.h"
#include "version.h"

int main(int argc, char** argv) {
    using namespace ftrace::convert;
    CLI::App app{
        "ftrace-convert: turn ftrace trace directories into Firefox Profiler profiles.\n"
        "(Usually run through the launcher as `ftrace convert` / `ftrace info`.)"};
    app.require_subcommand(1);
    const std::string version =
        std::string("ftrace-convert ") + FTRACE_VERSION + " (reads trace format " +
            std::to_string(ftrace::format::kMinReadableMajor) + ".0 to " +
            std::to_string(ftrace::format::kFormatMajor) + ".x, writes Firefox Profiler "
            "processed profiles version " + std::to_string(kProcessedProfileVersion) + ")";
    app.set_version_flag("-V,--version", version);
    app.footer(
        "Examples:\n"
        "  ftrace convert trace.dir                  # writes trace.json.gz next to it\n"
        "  ftrace convert -o out.json trace.dir      # plain JSON (gzip only when OUT ends in .gz)\n"
        "  ftrace convert -o all.json.gz a.dir b.dir # several recordings (hosts) on one timeline\n"
        "  ftrace convert --start 2s --end 2.5s trace.dir      # only half a second\n"
        "  ftrace convert --thread Worker --min-duration 50us trace.dir\n"
        "  ftrace info trace.dir                     # processes, threads, sizes, damage\n"
        "  ftrace report trace.dir                   # top functions: calls, total, self time\n"
        "Open the profile at https://profiler.firefox.com (\"Load a profile from file\").\n"
        "\n"
        "Exit codes:\n"
        "  0  profile written (also when damaged input was skipped; see the warnings)\n"
        "  1  nothing readable, a DIR missing or not a trace, or the output cannot be written\n"
        "  2  usage error (also a malformed filter)\n"
        "ftrace info: 0 described (damage, if any, is listed); 1 a DIR missing, not a trace, or\n"
        "  nothing readable in it; 2 usage error");

    ConvertArgs cargs;
    auto* conv = app.add_subcommand(
        "convert",
        "Convert trace directories into one profile (processed Firefox Profiler format, "
        "gzipped when OUT ends in .gz). Damaged chunks are reported and skipped.");
    conv->add_option("-o,--output", cargs.output,
                     "Output file (default: next to the first DIR: X.dir -> X.json.gz)");
    conv->add_option("--gzip-level", cargs.gzip_level,
                     "Compression level for .gz output (libdeflate: 1 fastest .. 12 smallest; 1 is about "
                     "the size of gzip -4)")
        ->check(CLI::Range(1, 12))
        ->capture_default_str();
    conv->add_flag("-q,--quiet", cargs.quiet, "No summary lines and no progress bar");
    conv->add_option("-j,--jobs", cargs.jobs, "Worker threads (default: one per core)")->check(CLI::Range(1, 1024));
    auto* filters = "Filters (the trace keeps everything)";
    conv->add_option("--start", cargs.start,
                     "Keep only what happens after this time from the trace's start (1.5s, 200ms, 300us; "
                     "a bare number is ms). Times in the profile stay relative to the trace's start")
        ->group(filters);
    conv->add_option("--end", cargs.end, "Keep only what happens before this time from the trace's start")
        ->group(filters);
    add_selection_options(conv, cargs.select, filters, "Keep only");
    conv->add_option("--min-duration", cargs.min_duration,
                     "Drop calls shorter than this (e.g. 100us); their time goes to their caller, kept "
                     "calls keep their exact times")
        ->group(filters);
    conv->add_option("--max-depth", cargs.max_depth,
                     "Show at most N frames per stack; deeper calls' time goes to their depth-N caller")
        ->check(CLI::Range(1u, 1000000u))
        ->group(filters);
    conv->add_option("DIR", cargs.dirs, "Trace directories written by 'ftrace record'")->required();

    std::string info_dir;
    bool info_json = false;
    auto* info = app.add_subcommand(
        "info",
        "Describe a trace directory without converting: format version, process tree, threads "
        "(events, duration, bytes), sizes, damage");
    info->add_option("DIR", info_dir, "Trace directory")->required();
    info->add_flag("--json", info_json, "Machine-readable output (sizes in bytes, durations in ns)");

    ReportArgs rargs;
    auto* report = add_report_subcommand(app, rargs);
    // `ftrace convert --version` arrives here as `ftrace-convert convert --version`.
    for (CLI::App* sub : {conv, info, report}) sub->set_version_flag("-V,--version", version);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }
    try {
        if (*conv) return run_convert(cargs, std::cout, std::cerr);
        if (*info) return run_info(info_dir, std::cout, std::cerr, info_json);
        if (*report) return run_report(rargs, std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "ftrace: error: " << e.what() << "\n";
        return 1;
    }
    return 2;
}
