// The frame-evaluation hook on 3.8, which has no API to set it (PEP 523's setter is 3.9+):
// --python-only uses the profile function there (hook_mechanism.cpp). Built instead of
// eval_frame_hook.cpp for 3.8 (record/CMakeLists.txt).
#include "eval_frame_hook.h"

#include "eval_frame_compat.h"

static_assert(!ftrace::record::eval_compat::kAvailable,
              "eval_frame_hook_unavailable.cpp is built for Python 3.8 only");

namespace ftrace::record::eval_hook {

bool available() { return false; }
void install() {}
void uninstall() {}

}  // namespace ftrace::record::eval_hook
