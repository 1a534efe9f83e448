// `ftrace`: the command-line front end. `record` runs here (record_command.cpp); `convert`,
// `info` and `report` are handed to `ftrace-convert` installed next to this binary.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "record_command.h"

namespace {

const char* kExamples =
    "Examples:\n"
    "  ftrace record python3 app.py --arg       trace app.py (and every Python process it starts)\n"
    "  ftrace record -o trace.dir -- python3 -m mymodule\n"
    "  ftrace convert trace.dir                 write trace.dir.json.gz for profiler.firefox.com\n"
    "  ftrace info trace.dir                    processes, threads and event counts\n"
    "  ftrace report trace.dir                  top functions in the terminal\n";

// A pass-through subcommand: everything after its name goes to ftrace-convert untouched.
CLI::App* passthrough(CLI::App& app, const std::string& name, const std::string& what) {
    CLI::App* sub = app.add_subcommand(name, what);
    sub->prefix_command();
    sub->set_help_flag();  // `ftrace convert --help` is ftrace-convert's help
    return sub;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ftrace: a tracing profiler for Python. Records every Python and C function "
                 "call, writes a trace directory, converts it for the Firefox Profiler.",
                 "ftrace"};
    app.require_subcommand(1);
    app.footer(kExamples);

    ftrace::launcher::RecordOptions rec;
    CLI::App* record = app.add_subcommand(
        "record", "Run COMMAND [ARGS...] and trace every Python process it starts");
    record->add_option("-o,--output", rec.out_dir,
                       "Trace directory to create (default: ./ftrace-YYYYMMDD-HHMMSS.dir)");
    record->prefix_command();  // COMMAND and everything after it belong to the command
    record->footer(
        "COMMAND [ARGS...]: the program to run, usually a Python interpreter and its arguments.\n"
        "Its stdin, stdout, stderr, working directory and exit code are unchanged.\n\n"
        "Examples:\n"
        "  ftrace record python3 app.py --arg\n"
        "  ftrace record -o trace.dir -- python3 -m mymodule\n");

    CLI::App* convert = passthrough(app, "convert",
                                    "Convert a trace directory to a Firefox Profiler profile "
                                    "(ftrace convert [-o OUT] DIR...)");
    CLI::App* info = passthrough(app, "info", "Show what a trace directory holds (ftrace info DIR)");
    CLI::App* report =
        passthrough(app, "report", "Print the top functions of a trace (ftrace report DIR)");

    CLI11_PARSE(app, argc, argv);

    if (record->parsed()) {
        rec.command = record->remaining();
        if (!rec.command.empty() && rec.command.front() == "--") rec.command.erase(rec.command.begin());
        return ftrace::launcher::run_record(rec);
    }
    for (CLI::App* sub : {convert, info, report}) {
        if (sub->parsed()) return ftrace::launcher::exec_converter(sub->get_name(), sub->remaining());
    }
    return 2;
}
