// Which traced process a new process descends from, for processes started by exec (a
// subprocess, os.system, a shell script, multiprocessing's spawn, os.exec*): fork children
// know their parent directly.
#pragma once
#include <cstdint>
#include <string>

namespace ftrace::record {

// The environment variable through which a traced process tells the programs it starts
// (and the program it execs into) its process key.
inline constexpr const char* kParentKeyEnv = "FTRACE_PARENT_KEY";

// The process key (folder name in `trace_dir`) of this process's nearest traced ancestor, or
// "" if none. `inherited` is kParentKeyEnv as found in the environment (may be null).
//
// A key naming this very pid comes from the traced program this one replaced by exec.
// Otherwise the ancestors are walked up from `ppid` (through untraced shells, pyenv shims,
// python2, ...): the first whose pid has a folder in `trace_dir` is the parent. The inherited
// key picks the exact folder when it names that ancestor; it alone is not trusted, since a
// program may pass a copy of an older environment to its children.
std::string find_parent_key(const std::string& trace_dir, int64_t pid, int64_t ppid,
                            const char* inherited);

}  // namespace ftrace::record
