// The --pid/--process/--tid/--thread options (CLI11), shared by `convert` and `report` so both
// select alike. Included by main.cpp and report_cli.h only.
#pragma once
#include <CLI/CLI.hpp>

#include "selection.h"

namespace ftrace::convert {

// `verb`: how each help line starts ("Keep only" for convert, "Only" for report).
inline void add_selection_options(CLI::App* sub, Selection& s, const std::string& group,
                                  const std::string& verb) {
    sub->add_option("--pid", s.pids, verb + " these processes (repeatable)")->group(group);
    sub->add_option("--process", s.process_names,
                    verb + " processes whose command line contains NAME (repeatable)")
        ->group(group);
    sub->add_option("--tid", s.tids, verb + " these threads (repeatable)")->group(group);
    sub->add_option("--thread", s.thread_names,
                    verb + " threads whose name contains NAME (repeatable)")
        ->group(group);
}

}  // namespace ftrace::convert
