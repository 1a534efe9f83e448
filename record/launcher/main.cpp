// `ftrace`: the command-line front end. `record` runs here (record_command.cpp); `convert`,
// `info` and `report` are handed to `ftrace-convert` installed next to this binary.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "record_command.h"
#include "version.h"

namespace {

const char* kExamples =
    "Examples:\n"
    "  ftrace record python3 app.py --arg       trace app.py (and every Python process it starts)\n"
    "  ftrace record -o trace.dir -- python3 -m mymodule\n"
    "  ftrace convert trace.dir                 write trace.json.gz for profiler.firefox.com\n"
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
    app.set_version_flag("-V,--version", std::string("ftrace ") + FTRACE_VERSION +
                                             " (writes trace format " +
                                             std::to_string(ftrace::format::kFormatMajor) + "." +
                                             std::to_string(ftrace::format::kFormatMinor) + ")");

    ftrace::launcher::RecordOptions rec;
    CLI::App* record = app.add_subcommand(
        "record", "Run COMMAND [ARGS...] and trace every Python process it starts");
    record->add_option("-o,--output", rec.out_dir,
                       "Trace directory to create (default: ./ftrace-YYYYMMDD-HHMMSS.dir)");
    record->add_flag("--no-children", rec.no_children,
                     "Trace only the first Python process; the processes it starts run "
                     "untraced (by default every descendant Python process is traced)");
    record->add_flag("--python-only", rec.python_only,
                     "Record Python function calls only, not C calls: much cheaper (through "
                     "the frame-evaluation hook); the default records both");
    record->add_flag("--memory", rec.memory,
                     "Also record allocations and frees of Python's allocators: a Memory track "
                     "per process and LargeAlloc markers (costs time, see README)");
    record
        ->add_option("--exceptions", rec.exceptions,
                     "Which exceptions get markers: auto (default): every exception on Python "
                     "3.12+, on 3.8-3.11 those leaving a function or raised by a built-in "
                     "function; all: every exception (on 3.8-3.11 through a trace function: "
                     "about 1.1-1.5x the time of auto, see README); none")
        ->check(CLI::IsMember({"auto", "all", "none"}))
        ->capture_default_str();
    std::string threshold_text;
    CLI::Option* threshold_opt = record->add_option(
        "--memory-threshold", threshold_text,
        "With --memory: smallest allocation shown as a LargeAlloc marker, in bytes; "
        "suffixes K, M, G = KiB, MiB, GiB (default: 1M)");
    record->prefix_command();  // COMMAND and everything after it belong to the command
    record->footer(
        "COMMAND [ARGS...]: the program to run, usually a Python interpreter and its arguments.\n"
        "Its stdin, stdout, stderr, working directory and exit code are unchanged.\n"
        "Every Python process it starts (subprocess, os.system, shell scripts, multiprocessing,\n"
        "os.fork, os.exec*) is traced too, into the same trace directory, unless --no-children.\n\n"
        "Examples:\n"
        "  ftrace record python3 app.py --arg\n"
        "  ftrace record --python-only python3 app.py   Python calls only, lowest overhead\n"
        "  ftrace record -o trace.dir -- python3 -m mymodule\n"
        "  ftrace record --no-children python3 app.py   trace app.py only, not its workers\n"
        "  ftrace record --memory --memory-threshold 256K python3 app.py\n"
        "  ftrace record --exceptions all python3.10 app.py   every exception, also on 3.8-3.11\n\n"
        "Markers: print, logging, imports, GC, threads, ftrace.marker/region, and exceptions:\n"
        "on Python 3.12+ every exception raised; on 3.8-3.11 by default exceptions leaving a\n"
        "function and those raised by built-in functions called from Python (not under\n"
        "--python-only on 3.9-3.11), not ones a raise statement or operator raises and the same\n"
        "function catches: --exceptions all shows those too, at a cost (README: Exceptions).\n");

    CLI::App* convert = passthrough(app, "convert",
                                    "Convert a trace directory to a Firefox Profiler profile "
                                    "(ftrace convert [-o OUT] DIR...)");
    CLI::App* info = passthrough(app, "info", "Show what a trace directory holds (ftrace info DIR)");
    CLI::App* report =
        passthrough(app, "report", "Print the top functions of a trace (ftrace report DIR)");

    // `ftrace record [opts] -- COMMAND...`: everything after the first `--` is the command,
    // taken before CLI11 sees it (its prefix mode does not keep what follows `--`).
    std::vector<std::string> after_dashes;
    bool has_dashes = false;
    if (argc > 1 && std::string(argv[1]) == "record") {
        for (int i = 2; i < argc; ++i) {
            if (std::string(argv[i]) == "--") {
                has_dashes = true;
                after_dashes.assign(argv + i + 1, argv + argc);
                argc = i;
                break;
            }
        }
    }
    CLI11_PARSE(app, argc, argv);

    if (record->parsed()) {
        if (threshold_opt->count() > 0) {
            if (!rec.memory) {
                std::fprintf(stderr, "ftrace record: --memory-threshold needs --memory\n");
                return 2;
            }
            if (!ftrace::launcher::parse_byte_size(threshold_text, rec.memory_threshold)) {
                std::fprintf(stderr,
                             "ftrace record: --memory-threshold: '%s' is not a size in bytes "
                             "(e.g. 1048576, 512K, 1M)\n",
                             threshold_text.c_str());
                return 2;
            }
        }
        rec.command = record->remaining();
        if (has_dashes) {
            if (!rec.command.empty()) {
                std::fprintf(stderr, "ftrace record: unexpected argument '%s' before '--'\n",
                             rec.command.front().c_str());
                return 2;
            }
            rec.command = after_dashes;
        }
        return ftrace::launcher::run_record(rec);
    }
    for (CLI::App* sub : {convert, info, report}) {
        if (sub->parsed()) return ftrace::launcher::exec_converter(sub->get_name(), sub->remaining());
    }
    return 2;
}
