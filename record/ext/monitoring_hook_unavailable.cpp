// sys.monitoring before 3.12, where it does not exist. Built instead of monitoring_hook.cpp
// for 3.8-3.11 (record/CMakeLists.txt).
#include "monitoring_hook.h"

#include "compat.h"

static_assert(PY_VERSION_HEX < 0x030C0000,
              "monitoring_hook_unavailable.cpp is built for Python 3.8-3.11 only");

namespace ftrace::record::monitoring_hook {

bool available() { return false; }
bool preferred_for_full() { return false; }
bool install(bool, std::string& error) {
    error = "sys.monitoring needs Python 3.12+";
    return false;
}
void uninstall() {}

}  // namespace ftrace::record::monitoring_hook
