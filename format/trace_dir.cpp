#include "trace_dir.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "version.h"

namespace fs = std::filesystem;

namespace ftrace::format {

std::string process_dir_name(int64_t pid, int64_t start_realtime_ns) {
    return "p" + std::to_string(pid) + "-" + std::to_string(start_realtime_ns);
}

std::string thread_file_name(uint32_t index, int64_t tid) {
    return "t" + std::to_string(index) + "-" + std::to_string(tid) + kThreadFileSuffix;
}

std::string dir_marker_text() {
    return "ftrace trace directory, format " + std::to_string(kFormatMajor) + "." +
           std::to_string(kFormatMinor) + "\nConvert it with: ftrace convert DIR\n";
}

namespace {

// "t12-3456.ftrace" -> 12; files that do not follow the pattern sort last.
uint64_t thread_index_of(const std::string& file_name) {
    if (file_name.size() < 2 || file_name[0] != 't') return UINT64_MAX;
    uint64_t v = 0;
    size_t i = 1;
    for (; i < file_name.size() && i < 12 && file_name[i] >= '0' && file_name[i] <= '9'; ++i) {
        v = v * 10 + static_cast<uint64_t>(file_name[i] - '0');
    }
    return i == 1 ? UINT64_MAX : v;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<ListedProcess> list_trace_dir(const std::string& path, std::vector<std::string>& problems) {
    std::vector<ListedProcess> out;
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
        problems.push_back(path + ": not a directory (expected a trace directory from 'ftrace record')");
        return out;
    }
    fs::directory_iterator it(path, ec);
    if (ec) {
        problems.push_back(path + ": cannot list: " + ec.message());
        return out;
    }
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (name == kDirMarkerFile) continue;
        std::error_code e2;
        if (!entry.is_directory(e2) || entry.is_symlink(e2)) {
            problems.push_back(entry.path().string() + ": unexpected entry, ignored");
            continue;
        }
        ListedProcess proc;
        proc.dir = entry.path().string();
        fs::directory_iterator tit(entry.path(), e2);
        if (e2) {
            problems.push_back(proc.dir + ": cannot list: " + e2.message());
            continue;
        }
        std::vector<std::pair<uint64_t, std::string>> files;
        for (const auto& te : tit) {
            std::string tn = te.path().filename().string();
            if (!ends_with(tn, kThreadFileSuffix)) {
                problems.push_back(te.path().string() + ": unexpected entry, ignored");
                continue;
            }
            files.emplace_back(thread_index_of(tn), te.path().string());
        }
        std::sort(files.begin(), files.end());
        for (auto& f : files) proc.thread_files.push_back(std::move(f.second));
        out.push_back(std::move(proc));
    }
    std::sort(out.begin(), out.end(),
              [](const ListedProcess& a, const ListedProcess& b) { return a.dir < b.dir; });
    return out;
}

}  // namespace ftrace::format
