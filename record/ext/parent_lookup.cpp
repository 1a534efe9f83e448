#include "parent_lookup.h"

#include <dirent.h>

#include <fstream>
#include <map>
#include <sstream>

namespace ftrace::record {

namespace {

// "p<pid>-<ns>" -> (pid, ns); false for anything else.
bool parse_key(const std::string& key, int64_t& pid, int64_t& ns) {
    if (key.size() < 4 || key[0] != 'p') return false;
    size_t dash = key.find('-');
    if (dash == std::string::npos || dash < 2 || dash + 1 >= key.size()) return false;
    try {
        size_t used = 0;
        pid = std::stoll(key.substr(1, dash - 1), &used);
        if (used != dash - 1) return false;
        ns = std::stoll(key.substr(dash + 1), &used);
        return used == key.size() - dash - 1;
    } catch (const std::exception&) {
        return false;
    }
}

// The parent pid of `pid` from /proc/PID/stat ("pid (comm) state ppid ..."), or 0.
int64_t ppid_of(int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');  // comm may hold spaces and parentheses
    if (close == std::string::npos) return 0;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    int64_t ppid = 0;
    rest >> state >> ppid;
    return rest ? ppid : 0;
}

}  // namespace

std::string find_parent_key(const std::string& trace_dir, int64_t pid, int64_t ppid,
                            const char* inherited) {
    const std::string key = inherited != nullptr ? inherited : "";
    int64_t key_pid = 0, key_ns = 0;
    const bool key_ok = parse_key(key, key_pid, key_ns);
    if (key_ok && key_pid == pid) return key;  // exec'd by a traced program

    // pid -> latest folder of that pid (a pid reused within one trace: the live one is newest).
    std::map<int64_t, std::pair<int64_t, std::string>> latest;
    bool key_exists = false;
    if (DIR* d = ::opendir(trace_dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            int64_t p = 0, ns = 0;
            std::string name = e->d_name;
            if (!parse_key(name, p, ns)) continue;
            if (name == key) key_exists = true;
            auto it = latest.find(p);
            if (it == latest.end() || it->second.first < ns) latest[p] = {ns, name};
        }
        ::closedir(d);
    }
    int64_t a = ppid;
    for (int depth = 0; depth < 64 && a > 1; ++depth) {
        if (key_ok && key_exists && key_pid == a) return key;
        auto it = latest.find(a);
        if (it != latest.end()) return it->second.second;
        a = ppid_of(a);
    }
    return "";
}

}  // namespace ftrace::record
