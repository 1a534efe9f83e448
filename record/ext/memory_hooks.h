// --memory: allocations and frees of the Python allocator domains as Alloc/Free events
// (a Memory counter track in the profile) and LargeAlloc markers.
//
// Domains: PYMEM_DOMAIN_MEM and PYMEM_DOMAIN_OBJ (PyMem_Malloc, PyObject_Malloc: every Python
// object, list/dict storage, bytes/bytearray/str buffers), hooked with PyMem_SetAllocator and
// chaining to the allocators found there (tracemalloc's too). Both domains require the GIL, so
// the hooks need no lock: the GIL serializes every call. PYMEM_DOMAIN_RAW is deliberately not
// hooked: its calls run without the GIL and from threads that have no Python state, and
// pymalloc itself serves OBJ/MEM blocks over 512 bytes with PyMem_RawMalloc, so hooking RAW
// would count those twice. What RAW alone allocates (thread states, interpreter internals,
// C libraries calling PyMem_RawMalloc) is therefore not shown.
//
// Sizes: a pointer -> size table (ptr_size_table.h). The counter covers exactly the blocks
// allocated (or resized: realloc = free + alloc) while recording; frees of blocks allocated
// before are unknown (counted in stats().unknown_frees, not recorded). A realloc of an unknown
// block records the new size as an allocation.
//
// Threads: an event goes to the calling thread's recorder; a thread without one (its recorder
// finished, a C thread holding the GIL, a thread not traced) has its events attributed to the
// process's first recording thread (counted in stats().foreign_events), because the counter is
// per process and a free on an untraced thread must still lower it. Only when no thread of the
// process records are events lost (counted; the block is not tracked for allocations).
#pragma once
#include <cstdint>

namespace ftrace::record::memory {

inline constexpr uint64_t kDefaultLargeThreshold = uint64_t{1} << 20;  // 1 MiB

struct Stats {
    bool installed = false;
    uint64_t threshold = 0;
    uint64_t allocs = 0;           // recorded allocations (a realloc counts once here)
    uint64_t frees = 0;            // recorded frees of tracked blocks
    uint64_t large = 0;            // LargeAlloc markers
    uint64_t live_blocks = 0;      // tracked blocks now
    uint64_t live_bytes = 0;       // their bytes: what the Memory counter shows now
    uint64_t unknown_frees = 0;    // frees/reallocs of blocks not allocated while recording
    uint64_t foreign_events = 0;   // events of threads without a recorder, given to the sink
    uint64_t lost_events = 0;      // events with no recording thread at all (not recorded)
    uint64_t untracked = 0;        // allocations not tracked: table could not grow, or made by
                                   // the recorder itself while writing a chunk
    uint64_t table_bytes = 0;      // memory used by the pointer table
};

// Hooks the MEM and OBJ domains (GIL held; idempotent). `threshold`: the smallest allocation
// that gets a LargeAlloc marker. Never fails the recording: false after one warning line.
bool install(uint64_t threshold);
// Stops recording memory events. Our allocators are taken out where they are still the
// installed ones; where another hook was installed on top of ours they stay, passing through.
void uninstall();
// Fork child: the parent's blocks are not the child's recording (their frees are unknown).
void after_fork_child();
Stats stats();

}  // namespace ftrace::record::memory
