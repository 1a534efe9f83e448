// ftrace-convert: the offline half of ftrace (`ftrace convert`, `ftrace info`).
#include <CLI/CLI.hpp>
#include <iostream>

#include "convert_command.h"
#include "info_command.h"

int main(int argc, char** argv) {
    using namespace ftrace::convert;
    CLI::App app{
        "ftrace-convert: turn ftrace trace directories into Firefox Profiler profiles.\n"
        "(Usually run through the launcher as `ftrace convert` / `ftrace info`.)"};
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  ftrace convert trace.dir                  # writes trace.json.gz next to it\n"
        "  ftrace convert -o out.json trace.dir      # plain JSON (gzip only when OUT ends in .gz)\n"
        "  ftrace convert -o all.json.gz a.dir b.dir # several recordings in one profile\n"
        "  ftrace info trace.dir                     # processes, threads, sizes, damage\n"
        "Open the profile at https://profiler.firefox.com (\"Load a profile from file\").\n"
        "\n"
        "Exit codes:\n"
        "  0  profile written (also when damaged input was skipped; see the warnings)\n"
        "  1  nothing readable, a DIR missing or not a trace, or the output cannot be written\n"
        "  2  usage error");

    ConvertArgs cargs;
    auto* conv = app.add_subcommand(
        "convert",
        "Convert trace directories into one profile (processed Firefox Profiler format, "
        "gzipped when OUT ends in .gz). Damaged chunks are reported and skipped.");
    conv->add_option("-o,--output", cargs.output,
                     "Output file (default: next to the first DIR: X.dir -> X.json.gz)");
    conv->add_option("--gzip-level", cargs.gzip_level, "zlib level for .gz output (1 fast .. 9 small)")
        ->check(CLI::Range(1, 9))
        ->capture_default_str();
    conv->add_flag("-q,--quiet", cargs.quiet, "Do not print the summary lines");
    conv->add_option("DIR", cargs.dirs, "Trace directories written by 'ftrace record'")->required();

    std::string info_dir;
    auto* info = app.add_subcommand(
        "info", "Describe a trace directory (processes, threads, events, sizes, damage) without converting");
    info->add_option("DIR", info_dir, "Trace directory")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }
    try {
        if (*conv) return run_convert(cargs, std::cout, std::cerr);
        if (*info) return run_info(info_dir, std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "ftrace: error: " << e.what() << "\n";
        return 1;
    }
    return 2;
}
