// Where things are: this binary, its Python package, its sibling tools, PATH lookups.
#pragma once
#include <string>
#include <vector>

namespace ftrace::launcher {

std::string self_exe();                         // /proc/self/exe, resolved
std::string parent_dir(const std::string& path);  // "/a/b/c" -> "/a/b"

// The directory holding the `ftrace` package: <exe_dir>/../python (build tree) or
// <exe_dir>/../lib/ftrace/python (installed). Empty if neither has the bootstrap.
// `tried` receives the candidates looked at.
std::string find_package_root(std::vector<std::string>& tried);

// The full path of `name` found on PATH ("" if not found). Names with a '/' are returned as is.
std::string which(const std::string& name);

// How to write this binary in a hint: "ftrace" if that resolves to this binary, else its path.
std::string self_command_name();

// `s` quoted for a POSIX shell when it needs it.
std::string shell_quote(const std::string& s);

}  // namespace ftrace::launcher
