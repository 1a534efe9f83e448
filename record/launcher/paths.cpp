#include "paths.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace ftrace::launcher {

namespace {

bool is_file(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string resolved(const std::string& p) {
    char buf[PATH_MAX];
    return ::realpath(p.c_str(), buf) != nullptr ? std::string(buf) : p;
}

}  // namespace

std::string self_exe() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return "ftrace";
    return std::string(buf, static_cast<size_t>(n));
}

std::string parent_dir(const std::string& path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string find_package_root(std::vector<std::string>& tried) {
    const std::string exe_dir = parent_dir(self_exe());
    for (const char* rel : {"/../python", "/../lib/ftrace/python"}) {
        std::string root = exe_dir + rel;
        tried.push_back(root);
        if (is_file(root + "/ftrace/_bootstrap/sitecustomize.py")) return resolved(root);
    }
    return "";
}

std::string which(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::string all = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= all.size()) {
        size_t end = all.find(':', start);
        if (end == std::string::npos) end = all.size();
        std::string dir = all.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string cand = dir + "/" + name;
        if (is_file(cand) && ::access(cand.c_str(), X_OK) == 0) return cand;
        start = end + 1;
    }
    return "";
}

std::string self_command_name() {
    std::string self = resolved(self_exe());
    std::string on_path = which("ftrace");
    if (!on_path.empty() && resolved(on_path) == self) return "ftrace";
    return shell_quote(self);
}

std::string shell_quote(const std::string& s) {
    bool plain = !s.empty();
    for (char c : s) {
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' ||
              c == '_' || c == '+' || c == ',' || c == ':' || c == '@' || c == '%')) {
            plain = false;
            break;
        }
    }
    if (plain) return s;
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

}  // namespace ftrace::launcher
