#include "hook_mechanism.h"

#include <cstdlib>
#include <cstring>

#include "compat.h"
#include "eval_frame_compat.h"
#include "eval_frame_hook.h"
#include "monitoring_hook.h"

namespace ftrace::record {

const char* mechanism_name(Mechanism m) {
    switch (m) {
        case Mechanism::SetProfile: return "setprofile";
        case Mechanism::EvalFrame: return "eval-frame";
        case Mechanism::Monitoring: return "monitoring";
        case Mechanism::NoopSetProfile: return "noop-setprofile";
    }
    return "?";
}

namespace {

Mechanism default_mechanism(bool python_only) {
    if (python_only) {
        // Where the frame hook misses calls (eval_frame_compat.h), sys.monitoring instead.
        if (eval_compat::kMissesInitCalls && monitoring_hook::available()) {
            return Mechanism::Monitoring;
        }
        return eval_hook::available() ? Mechanism::EvalFrame : Mechanism::SetProfile;
    }
    return monitoring_hook::preferred_for_full() ? Mechanism::Monitoring : Mechanism::SetProfile;
}

}  // namespace

bool choose_mechanism(bool python_only, Mechanism& out, std::string& error) {
    const char* want = std::getenv("FTRACE_HOOK");
    if (want == nullptr || *want == '\0' || std::strcmp(want, "auto") == 0) {
        out = default_mechanism(python_only);
        return true;
    }
    for (Mechanism m : {Mechanism::SetProfile, Mechanism::EvalFrame, Mechanism::Monitoring,
                        Mechanism::NoopSetProfile}) {
        if (std::strcmp(want, mechanism_name(m)) != 0) continue;
        if (m == Mechanism::EvalFrame && (!eval_hook::available() || !python_only)) {
            error = std::string("FTRACE_HOOK=eval-frame needs --python-only and Python 3.9+");
            return false;
        }
        if (m == Mechanism::Monitoring && !monitoring_hook::available()) {
            error = "FTRACE_HOOK=monitoring needs Python 3.12+";
            return false;
        }
        out = m;
        return true;
    }
    error = std::string("unknown FTRACE_HOOK=") + want +
            " (use auto, setprofile, eval-frame, monitoring or noop-setprofile)";
    return false;
}

}  // namespace ftrace::record
