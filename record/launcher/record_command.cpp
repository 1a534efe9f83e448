#include "record_command.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "paths.h"
#include "trace_dir.h"
#include "version.h"

namespace ftrace::launcher {

namespace {

volatile sig_atomic_t g_child = 0;

void forward_signal(int sig) {
    if (g_child > 0) ::kill(static_cast<pid_t>(g_child), sig);
}

void print_err(const std::string& line) {
    std::string s = line + "\n";
    ssize_t ignored = ::write(2, s.data(), s.size());
    (void)ignored;
}

bool write_marker(const std::string& dir) {
    std::string path = dir + "/" + format::kDirMarkerFile;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return false;
    std::string text = format::dir_marker_text();
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    return ::close(fd) == 0 && ok;
}

bool is_empty_dir(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return false;
    bool empty = true;
    while (dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    }
    ::closedir(d);
    return empty;
}

// Creates the trace directory (0700). Default names never overwrite: -2, -3, ... are tried.
// An explicit -o DIR may name an existing empty directory, nothing else.
bool create_trace_dir(const std::string& requested, std::string& dir, bool& created) {
    created = true;
    if (!requested.empty()) {
        dir = requested;
        if (::mkdir(dir.c_str(), 0700) != 0) {
            created = false;
            if (errno != EEXIST || !is_empty_dir(dir)) {
                print_err("ftrace: cannot create trace directory '" + dir + "': " +
                          (errno == EEXIST ? std::string("it already exists and is not empty")
                                           : std::strerror(errno)));
                return false;
            }
            ::chmod(dir.c_str(), 0700);
        }
    } else {
        char stamp[32];
        std::time_t t = std::time(nullptr);
        std::tm tm{};
        ::localtime_r(&t, &tm);
        std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        for (int n = 1;; ++n) {
            dir = std::string("ftrace-") + stamp + (n > 1 ? "-" + std::to_string(n) : "") + ".dir";
            if (::mkdir(dir.c_str(), 0700) == 0) break;
            if (errno != EEXIST || n > 1000) {
                print_err("ftrace: cannot create trace directory '" + dir + "': " +
                          std::strerror(errno));
                return false;
            }
        }
    }
    if (!write_marker(dir)) {
        print_err("ftrace: cannot write " + dir + "/" + format::kDirMarkerFile + ": " +
                  std::strerror(errno));
        return false;
    }
    return true;
}

std::string absolute(const std::string& p) {
    char buf[PATH_MAX];
    if (::realpath(p.c_str(), buf) != nullptr) return buf;
    return p;
}

int count_process_dirs(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return 0;
    int n = 0;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == 'p') ++n;
    }
    ::closedir(d);
    return n;
}

void remove_if_unused(const std::string& dir) {
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        // Removed while the program ran; the recorder has already said so (one warning).
        print_err("ftrace: the trace directory " + shell_quote(dir) +
                  " no longer exists; no trace kept");
    } else if (count_process_dirs(dir) == 0) {
        ::unlink((dir + "/" + format::kDirMarkerFile).c_str());
        ::rmdir(dir.c_str());
    }
}

}  // namespace

bool parse_byte_size(const std::string& text, uint64_t& out) {
    std::string t;
    for (char c : text) {
        if (c != ' ') t += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (t.size() >= 2 && t.compare(t.size() - 2, 2, "IB") == 0) {
        t.resize(t.size() - 2);
    } else if (!t.empty() && t.back() == 'B') {
        t.pop_back();
    }
    uint64_t mult = 1;
    if (!t.empty() && (t.back() == 'K' || t.back() == 'M' || t.back() == 'G')) {
        mult = t.back() == 'K' ? (uint64_t{1} << 10)
               : t.back() == 'M' ? (uint64_t{1} << 20) : (uint64_t{1} << 30);
        t.pop_back();
    }
    if (t.empty() || t.size() > 15) return false;
    uint64_t n = 0;
    for (char c : t) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (n == 0 || n > (uint64_t{1} << 62) / mult) return false;
    out = n * mult;
    return true;
}

int exec_converter(const std::string& subcommand, const std::vector<std::string>& args) {
    std::string conv = parent_dir(self_exe()) + "/ftrace-convert";
    std::vector<char*> argv;
    std::string arg0 = "ftrace-convert";
    argv.push_back(arg0.data());
    std::string sub = subcommand;
    argv.push_back(sub.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(conv.c_str(), argv.data());
    print_err("ftrace: cannot run '" + conv + "': " + std::strerror(errno));
    return errno == EACCES ? 126 : 127;
}

int run_record(const RecordOptions& opts) {
    if (opts.command.empty()) {
        print_err("ftrace record: missing COMMAND (try: ftrace record python3 app.py)");
        return 2;
    }
    std::vector<std::string> tried;
    std::string pkgroot = find_package_root(tried);
    if (pkgroot.empty()) {
        std::string where;
        for (auto& t : tried) where += (where.empty() ? "" : ", ") + t;
        print_err("ftrace: cannot find the ftrace Python package (looked in " + where + ")");
        return 2;
    }
    std::string dir;
    bool created = false;
    if (!create_trace_dir(opts.out_dir, dir, created)) return 2;
    const std::string abs_dir = absolute(dir);

    std::string pythonpath = pkgroot + "/ftrace/_bootstrap";
    const char* old = std::getenv("PYTHONPATH");
    if (old != nullptr && *old != '\0') {
        pythonpath += ":";
        pythonpath += old;
    }
    if (opts.no_children) {
        // The first Python process puts the environment back as it was (sitecustomize.py).
        ::setenv("FTRACE_CHILDREN", "0", 1);
        if (old != nullptr) ::setenv("FTRACE_ORIG_PYTHONPATH", old, 1);
    }
    ::setenv("PYTHONPATH", pythonpath.c_str(), 1);
    ::setenv("FTRACE_DIR", abs_dir.c_str(), 1);
    ::setenv("FTRACE_PKGROOT", pkgroot.c_str(), 1);
    ::setenv("FTRACE_MODE", opts.python_only ? "python-only" : "full", 1);
    ::setenv("FTRACE_EXCEPTIONS", opts.exceptions.c_str(), 1);
    // The bootstrap of every traced process reads these (children inherit them).
    if (opts.memory) {
        ::setenv("FTRACE_MEMORY", "1", 1);
        if (opts.memory_threshold > 0) {
            ::setenv("FTRACE_MEMORY_THRESHOLD", std::to_string(opts.memory_threshold).c_str(), 1);
        } else {
            ::unsetenv("FTRACE_MEMORY_THRESHOLD");
        }
    } else {
        ::unsetenv("FTRACE_MEMORY");
        ::unsetenv("FTRACE_MEMORY_THRESHOLD");
    }

    // Hold the signals we treat specially until the handlers are in place (parent) or the
    // child is about to exec (child), so none is lost or mishandled around fork.
    sigset_t special, old_mask;
    sigemptyset(&special);
    for (int s : {SIGINT, SIGQUIT, SIGTERM, SIGHUP}) sigaddset(&special, s);
    sigprocmask(SIG_BLOCK, &special, &old_mask);

    int errpipe[2];
    if (::pipe2(errpipe, O_CLOEXEC) != 0) {
        print_err(std::string("ftrace: cannot create a pipe: ") + std::strerror(errno));
        return 2;
    }
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child < 0) {
        print_err(std::string("ftrace: cannot fork: ") + std::strerror(errno));
        return 2;
    }
    if (child == 0) {
        ::close(errpipe[0]);
        sigprocmask(SIG_SETMASK, &old_mask, nullptr);
        std::vector<char*> argv;
        std::vector<std::string> copy = opts.command;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        int err = errno;
        ssize_t ignored = ::write(errpipe[1], &err, sizeof err);
        (void)ignored;
        ::_exit(127);
    }
    ::close(errpipe[1]);
    g_child = child;
    struct sigaction ign{}, fwd{};
    ign.sa_handler = SIG_IGN;
    fwd.sa_handler = forward_signal;
    sigemptyset(&fwd.sa_mask);
    fwd.sa_flags = SA_RESTART;
    sigaction(SIGINT, &ign, nullptr);  // the terminal sends these to the child too
    sigaction(SIGQUIT, &ign, nullptr);
    sigaction(SIGTERM, &fwd, nullptr);
    sigaction(SIGHUP, &fwd, nullptr);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);

    int exec_err = 0;
    ssize_t got;
    do {
        got = ::read(errpipe[0], &exec_err, sizeof exec_err);
    } while (got < 0 && errno == EINTR);
    ::close(errpipe[0]);

    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            status = 0;
            break;
        }
    }
    g_child = 0;

    if (got == static_cast<ssize_t>(sizeof exec_err)) {
        print_err("ftrace: cannot run '" + opts.command[0] + "': " + std::strerror(exec_err));
        if (created) remove_if_unused(dir);
        return exec_err == EACCES ? 126 : 127;
    }

    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        // Removed while the program ran; the recorder has already said so (one warning).
        print_err("ftrace: the trace directory " + shell_quote(dir) +
                  " no longer exists; no trace kept");
    } else if (count_process_dirs(dir) == 0) {
        print_err("ftrace: warning: no Python process was traced (is '" + opts.command[0] +
                  "' a Python program?); " + shell_quote(dir) + " holds no trace");
    } else {
        print_err("ftrace: trace written to " + shell_quote(dir) +
                  "; convert it with: " + self_command_name() + " convert " + shell_quote(dir));
    }

    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);  // the child's crash, not ours
        struct sigaction dfl{};
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, nullptr);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, nullptr);
        ::raise(sig);
        return 128 + sig;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace ftrace::launcher
