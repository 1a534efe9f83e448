// The `report` subcommand's options (CLI11), kept out of main.cpp. Included by main.cpp only.
#pragma once
#include <CLI/CLI.hpp>

#include "report_command.h"
#include "selection_cli.h"

namespace ftrace::convert {

inline CLI::App* add_report_subcommand(CLI::App& app, ReportArgs& a) {
    CLI::App* sub = app.add_subcommand(
        "report",
        "Print the top functions of a trace: call count, total (inclusive) and self time, exact "
        "from every call and return event");
    static const std::map<std::string, ReportSort> sorts{
        {"total", ReportSort::Total}, {"self", ReportSort::Self}, {"calls", ReportSort::Calls}};
    sub->add_option("-s,--sort", a.sort,
                    "Order by total (inclusive time, recursion counted once, like pstats "
                    "cumtime; the default), self (like pstats tottime) or calls")
        ->transform(CLI::CheckedTransformer(sorts, CLI::ignore_case))
        ->default_str("total");
    sub->add_option("-n,--limit", a.limit, "Functions per table (0 = all)")->capture_default_str();
    auto* bp = sub->add_flag_callback(
        "--by-process", [&a] { a.group = ReportGroup::Process; }, "One table per process");
    sub->add_flag_callback(
           "--by-thread", [&a] { a.group = ReportGroup::Thread; }, "One table per thread (of each process)")
        ->excludes(bp);
    const char* filters = "Filters (as for ftrace convert)";
    add_selection_options(sub, a.select, filters, "Only");
    sub->add_flag("--json", a.json, "Machine-readable output (times in integer ns)");
    sub->add_option("DIR", a.dirs, "Trace directories written by 'ftrace record'")->required();
    sub->footer(
        "Examples:\n"
        "  ftrace report trace.dir                       # top 20 by total time, whole trace\n"
        "  ftrace report --sort self -n 50 trace.dir     # where time is spent in the function itself\n"
        "  ftrace report --by-thread --thread pricer-0 trace.dir\n"
        "  ftrace report --json -n 0 trace.dir | jq '.groups[0].functions[0]'\n"
        "\nExit codes:\n"
        "  0  report printed (damaged input is skipped with a warning naming the file)\n"
        "  1  nothing readable, or DIR missing or not a trace\n"
        "  2  usage error");
    return sub;
}

}  // namespace ftrace::convert
