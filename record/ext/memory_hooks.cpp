#include "memory_hooks.h"

#include <exception>
#include <string>

#include "clock.h"
#include "compat.h"
#include "event_hooks.h"
#include "process_session.h"
#include "profiler_hook.h"
#include "ptr_size_table.h"
#include "thread_recorder.h"

namespace ftrace::record::memory {

namespace {

struct Domain {
    PyMemAllocatorDomain id;
    PyMemAllocatorEx prev{};  // what was installed before us: every call goes on to it
    PyMemAllocatorEx ours{};
    bool hooked = false;      // ours is (or was left) in the chain
};

// Everything below is GIL-protected (both hooked domains require the GIL).
Domain g_domains[2] = {{PYMEM_DOMAIN_MEM}, {PYMEM_DOMAIN_OBJ}};
bool g_enabled = false;  // false: our allocators pass straight through
uint64_t g_threshold = kDefaultLargeThreshold;
PtrSizeTable g_table;
Stats g_stats;
uint64_t g_deferred_free = 0;  // bytes of tracked blocks freed while a chunk was written

// Marks code that runs inside an allocator call: no Python API (ThreadRecorder::flush and
// Session::fail honour it).
struct NoPython {
    NoPython() { ++ThreadRecorder::python_forbidden(); }
    ~NoPython() { --ThreadRecorder::python_forbidden(); }
    NoPython(const NoPython&) = delete;
    NoPython& operator=(const NoPython&) = delete;
};

ThreadRecorder* target() {
    ThreadRecorder* rec = hook::current_recorder_unchecked();
    if (rec != nullptr && rec->recording()) return rec;
    rec = Session::instance().memory_sink();
    if (rec != nullptr) {
        ++g_stats.foreign_events;
    } else {
        ++g_stats.lost_events;
    }
    return rec;
}

void emit_deferred(ThreadRecorder* rec, uint64_t tick) {
    if (g_deferred_free == 0) return;
    rec->on_memory(tick, g_deferred_free, true);
    ++g_stats.frees;
    g_deferred_free = 0;
}

void large_marker(ThreadRecorder* rec, uint64_t tick, uint64_t bytes) {
    format::Marker m;
    m.kind = format::MarkerKind::LargeAlloc;
    m.name = "large allocation";
    m.start_tick = m.end_tick = tick;
    m.fields.push_back(events::number_field("bytes", static_cast<double>(bytes)));
    rec->add_marker(std::move(m));
    ++g_stats.large;
}

// A block of `size` bytes now lives at `p`; `old` (may be null) was its address before a
// realloc, `old_size`/`old_known` its tracked size.
void on_alloc(void* p, size_t size, bool is_realloc, uint64_t old_size, bool old_known) {
    if (ThreadRecorder::any_flushing()) {  // the recorder's own allocation: never recorded
        ++g_stats.untracked;
        if (old_known) {
            g_deferred_free += old_size;
            g_stats.live_bytes -= old_size;
        }
        return;
    }
    NoPython guard;
    try {
        const uint64_t tick = clock::now();
        ThreadRecorder* rec = target();
        if (rec == nullptr) {
            if (old_known) g_stats.live_bytes -= old_size;  // its free is lost with it
            return;
        }
        emit_deferred(rec, tick);
        if (old_known) {
            rec->on_memory(tick, old_size, true);
            ++g_stats.frees;
            g_stats.live_bytes -= old_size;
        }
        if (!g_enabled) return;  // recording failed meanwhile (a chunk could not be written)
        bool replaced_found = false;
        uint64_t replaced = 0;
        if (!g_table.insert(p, size, &replaced_found, &replaced)) {
            ++g_stats.untracked;
            return;
        }
        if (replaced_found) {  // its free went unseen (cannot happen through our hooks)
            rec->on_memory(tick, replaced, true);
            g_stats.live_bytes -= replaced;
        }
        rec->on_memory(tick, size, false);
        ++g_stats.allocs;
        g_stats.live_bytes += size;
        // A realloc is a large allocation when it grows a block to the threshold or beyond.
        if (size >= g_threshold && (!is_realloc || !old_known || size > old_size))
            large_marker(rec, tick, size);
    } catch (const std::exception& e) {
        Session::instance().fail(std::string("cannot record an allocation: ") + e.what());
    }
}

// `p` was freed (or moved by realloc: then on_alloc follows with old_known/old_size).
bool forget(void* p, uint64_t* size) {
    if (!g_table.erase(p, size)) {
        if (!ThreadRecorder::any_flushing()) ++g_stats.unknown_frees;
        return false;
    }
    return true;
}

void on_free(void* p) {
    uint64_t size = 0;
    if (!forget(p, &size)) return;
    if (ThreadRecorder::any_flushing()) {
        g_deferred_free += size;
        g_stats.live_bytes -= size;
        return;
    }
    NoPython guard;
    try {
        g_stats.live_bytes -= size;
        const uint64_t tick = clock::now();
        ThreadRecorder* rec = target();
        if (rec == nullptr) return;
        emit_deferred(rec, tick);
        rec->on_memory(tick, size, true);
        ++g_stats.frees;
    } catch (const std::exception& e) {
        Session::instance().fail(std::string("cannot record a free: ") + e.what());
    }
}

void* hook_malloc(void* ctx, size_t size) {
    auto* d = static_cast<Domain*>(ctx);
    void* p = d->prev.malloc(d->prev.ctx, size);
    if (p != nullptr && g_enabled) on_alloc(p, size, false, 0, false);
    return p;
}

void* hook_calloc(void* ctx, size_t nelem, size_t elsize) {
    auto* d = static_cast<Domain*>(ctx);
    void* p = d->prev.calloc(d->prev.ctx, nelem, elsize);
    if (p != nullptr && g_enabled) on_alloc(p, nelem * elsize, false, 0, false);  // no overflow: p != null
    return p;
}

void* hook_realloc(void* ctx, void* ptr, size_t size) {
    auto* d = static_cast<Domain*>(ctx);
    void* p = d->prev.realloc(d->prev.ctx, ptr, size);
    if (p == nullptr || !g_enabled) return p;  // failed: `ptr` is still valid, unchanged
    uint64_t old_size = 0;
    const bool old_known = ptr != nullptr && forget(ptr, &old_size);
    on_alloc(p, size, true, old_size, old_known);
    return p;
}

void hook_free(void* ctx, void* ptr) {
    auto* d = static_cast<Domain*>(ctx);
    if (ptr != nullptr && g_enabled) on_free(ptr);  // before: the address may be reused at once
    d->prev.free(d->prev.ctx, ptr);
}

bool is_ours(const PyMemAllocatorEx& a, const Domain& d) {
    return a.malloc == hook_malloc && a.ctx == &d;
}

}  // namespace

bool install(uint64_t threshold) {
    g_threshold = threshold;
    if (g_enabled) return true;
    g_stats = Stats{};
    g_deferred_free = 0;
    g_table.release();
    for (Domain& d : g_domains) {
        if (d.hooked) continue;  // left in a chain by an earlier uninstall: re-enabled below
        PyMem_GetAllocator(d.id, &d.prev);
        d.ours = PyMemAllocatorEx{&d, hook_malloc, hook_calloc, hook_realloc, hook_free};
        PyMem_SetAllocator(d.id, &d.ours);
        d.hooked = true;
    }
    g_enabled = true;
    return true;
}

void uninstall() {
    g_enabled = false;
    for (Domain& d : g_domains) {
        if (!d.hooked) continue;
        PyMemAllocatorEx now{};
        PyMem_GetAllocator(d.id, &now);
        if (is_ours(now, d)) {
            PyMem_SetAllocator(d.id, &d.prev);
            d.hooked = false;
        }  // else another hook chains to ours: ours stays, passing through
    }
    g_stats.table_bytes = g_table.bytes_reserved();
    g_table.release();
    g_stats.live_blocks = 0;
}

void after_fork_child() {
    g_table.release();
    g_deferred_free = 0;
    g_stats.live_bytes = 0;
}

Stats stats() {
    Stats s = g_stats;
    s.installed = g_enabled;
    s.threshold = g_threshold;
    if (g_enabled) {
        s.live_blocks = g_table.size();
        s.table_bytes = g_table.bytes_reserved();
    }
    return s;
}

}  // namespace ftrace::record::memory
