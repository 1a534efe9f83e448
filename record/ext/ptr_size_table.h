// Block address -> size, for the --memory allocator hooks (memory_hooks.cpp).
//
// Why a table and not a size header: blocks allocated before the hooks were installed are
// later freed through them, and a header cannot be told apart from someone else's bytes; a
// header also cannot be removed again when recording stops (every block carrying one would
// have to stay with our hooks forever) and changes pymalloc's size classes, i.e. the
// program's memory behaviour. malloc_usable_size() is blind to pymalloc blocks. The table
// knows exactly the blocks allocated while recording; frees of any other address are
// reported as unknown by the caller (counted, not recorded), so the counter it feeds is
// exact for the blocks it covers.
//
// Open addressing, linear probing, backward-shift deletion (no tombstones, so the table never
// degrades), load factor <= 1/2. Slots live in one anonymous mapping (never the Python
// allocators, never malloc: the hooks run inside them); it grows by doubling, so the
// per-operation path never allocates except on the rare growth, amortized O(1). Not
// thread-safe: the callers hold the GIL.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace ftrace::record {

class PtrSizeTable {
public:
    static constexpr unsigned kInitialBits = 16;  // 64 Ki slots = 1 MiB

    PtrSizeTable() = default;
    ~PtrSizeTable() { release(); }
    PtrSizeTable(const PtrSizeTable&) = delete;
    PtrSizeTable& operator=(const PtrSizeTable&) = delete;

    // Records `p` (non-null) with `size`. False when the table could not grow (no memory):
    // the block is then not tracked. If `p` was already tracked (its free went unseen), its
    // size is replaced and the old one returned in `*replaced` (else 0 is stored there).
    bool insert(const void* p, uint64_t size, bool* replaced_found, uint64_t* replaced) {
        *replaced_found = false;
        *replaced = 0;
        if ((count_ + 1) * 2 > capacity() && !grow()) return false;
        const uintptr_t key = reinterpret_cast<uintptr_t>(p);
        for (size_t i = home(key);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.key == 0) {
                s.key = key;
                s.size = size;
                ++count_;
                return true;
            }
            if (s.key == key) {
                *replaced_found = true;
                *replaced = s.size;
                s.size = size;
                return true;
            }
        }
    }

    // Forgets `p` and returns its size in `*size`; false if `p` is not tracked.
    bool erase(const void* p, uint64_t* size) {
        if (count_ == 0) return false;
        const uintptr_t key = reinterpret_cast<uintptr_t>(p);
        size_t i = home(key);
        while (slots_[i].key != key) {
            if (slots_[i].key == 0) return false;
            i = (i + 1) & mask_;
        }
        *size = slots_[i].size;
        // Backward shift: pull later entries of the probe run into the hole when their home
        // position does not lie cyclically in (hole, their slot].
        for (size_t j = (i + 1) & mask_; slots_[j].key != 0; j = (j + 1) & mask_) {
            const size_t h = home(slots_[j].key);
            if (((j - h) & mask_) >= ((j - i) & mask_)) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
        --count_;
        return true;
    }

    size_t size() const { return count_; }
    size_t capacity() const { return slots_ == nullptr ? 0 : mask_ + 1; }
    size_t bytes_reserved() const { return capacity() * sizeof(Slot); }

    // Forgets every block and returns the memory.
    void release() {
        if (slots_ != nullptr) ::munmap(slots_, bytes_reserved());
        slots_ = nullptr;
        mask_ = 0;
        bits_ = 0;
        count_ = 0;
    }

private:
    struct Slot {
        uintptr_t key = 0;  // 0: empty (no block lives at address 0)
        uint64_t size = 0;
    };

    size_t home(uintptr_t key) const {
        return static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull) >>
                                   (64 - bits_));
    }

    static Slot* map_slots(size_t n) {
        void* m = ::mmap(nullptr, n * sizeof(Slot), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return m == MAP_FAILED ? nullptr : static_cast<Slot*>(m);  // zero-filled: all empty
    }

    bool grow() {
        const unsigned bits = slots_ == nullptr ? kInitialBits : bits_ + 1;
        if (bits >= 48) return false;
        const size_t n = size_t{1} << bits;
        Slot* fresh = map_slots(n);
        if (fresh == nullptr) return false;
        Slot* old = slots_;
        const size_t old_n = capacity();
        slots_ = fresh;
        bits_ = bits;
        mask_ = n - 1;
        for (size_t k = 0; k < old_n; ++k) {
            if (old[k].key == 0) continue;
            size_t i = home(old[k].key);
            while (slots_[i].key != 0) i = (i + 1) & mask_;
            slots_[i] = old[k];
        }
        if (old != nullptr) ::munmap(old, old_n * sizeof(Slot));
        return true;
    }

    Slot* slots_ = nullptr;
    size_t mask_ = 0;
    unsigned bits_ = 0;
    size_t count_ = 0;
};

}  // namespace ftrace::record
