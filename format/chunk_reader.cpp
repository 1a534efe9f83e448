#include "chunk_reader.h"

#include <fcntl.h>
#include <lz4frame.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "event_codec.h"
#include "trace_generated.h"
#include "version.h"

namespace ftrace::format {

namespace {

constexpr uint32_t kLz4FrameMagic = 0x184D2204u;  // little-endian on disk

uint32_t load_le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// Reads format_major from a buffer that failed full verification, checking only what that
// read touches, so a future major with another layout is named as such rather than "corrupt".
std::optional<uint16_t> peek_major(const uint8_t* buf, size_t size) {
    if (size < 12) return std::nullopt;
    uint32_t len = load_le32(buf);
    if (len > size - 4 || len < 8) return std::nullopt;
    const uint8_t* b = buf + 4;
    uint32_t root = load_le32(b);
    if (root > len - 4 || root % 4 != 0) return std::nullopt;
    flatbuffers::Verifier v(b, len);
    const auto* table = reinterpret_cast<const flatbuffers::Table*>(b + root);
    if (!table->VerifyTableStart(v) || !table->VerifyField<uint16_t>(v, fb::Chunk::VT_FORMAT_MAJOR, 2)) {
        return std::nullopt;
    }
    return table->GetField<uint16_t>(fb::Chunk::VT_FORMAT_MAJOR, 0);
}

void copy_chunk(const fb::Chunk& c, Chunk& out) {
    out.format_major = c.format_major();
    out.format_minor = c.format_minor();
    out.seq = c.seq();
    const fb::ClockSync* s = c.sync();
    out.sync = ClockSync{s->tick(), s->monotonic_ns(), s->realtime_ns()};
    if (const auto* p = c.process()) {
        ProcessInfo pi;
        pi.pid = p->pid();
        pi.ppid = p->ppid();
        pi.process_key = str(p->process_key());
        pi.parent_key = str(p->parent_key());
        pi.start_realtime_ns = p->start_realtime_ns();
        if (p->argv()) {
            for (const auto* a : *p->argv()) pi.argv.push_back(str(a));
        }
        pi.executable = str(p->executable());
        pi.python_version = str(p->python_version());
        pi.host = str(p->host());
        pi.clock = static_cast<ClockKind>(p->clock());
        if (const fb::ClockSync* s0 = p->start_sync()) {
            pi.start_sync = ClockSync{s0->tick(), s0->monotonic_ns(), s0->realtime_ns()};
        }
        out.process = std::move(pi);
    }
    if (const auto* t = c.thread()) {
        out.thread = ThreadInfo{t->tid(), t->index(), str(t->name()), t->is_main()};
    }
    if (c.funcs()) {
        out.funcs.reserve(c.funcs()->size());
        for (const auto* f : *c.funcs()) {
            out.funcs.push_back(FuncDef{f->id(), static_cast<FuncKind>(f->kind()), str(f->name()),
                                        str(f->qualname()), str(f->file()), f->line(),
                                        str(f->module_name())});
        }
    }
    if (c.markers()) {
        out.markers.reserve(c.markers()->size());
        for (const auto* m : *c.markers()) {
            Marker mk;
            mk.kind = static_cast<MarkerKind>(m->kind());
            mk.start_tick = m->start_tick();
            mk.end_tick = m->end_tick();
            mk.name = str(m->name());
            if (m->fields()) {
                for (const auto* f : *m->fields()) {
                    mk.fields.push_back(
                        MarkerField{str(f->key()), str(f->text()), f->number(), f->is_number()});
                }
            }
            out.markers.push_back(std::move(mk));
        }
    }
    out.last = c.last();
    out.dropped_events = c.dropped_events();
}

}  // namespace

bool decode_chunk_payload(const uint8_t* buf, size_t size, Chunk& out, std::string& error,
                          bool& fatal) {
    // Size prefix (4) + root offset (4) + file identifier (4) must be present to look at.
    if (size < 12 || !flatbuffers::BufferHasIdentifier(buf, fb::ChunkIdentifier(), true)) {
        error = "not an ftrace chunk (an lz4 frame with foreign content)";
        return false;
    }
    flatbuffers::Verifier verifier(buf, size, 64, 1000000);
    if (!fb::VerifySizePrefixedChunkBuffer(verifier)) {
        auto major = peek_major(buf, size);
        if (major && *major > kFormatMajor) {
            error = "written by a newer ftrace (format " + std::to_string(*major) +
                    "); this ftrace reads formats " + std::to_string(kMinReadableMajor) + " to " +
                    std::to_string(kFormatMajor) + ": upgrade ftrace to convert it";
            fatal = true;
        } else {
            error = "chunk fails flatbuffer verification (corrupt)";
        }
        return false;
    }
    const fb::Chunk* c = fb::GetSizePrefixedChunk(buf);
    if (c->format_major() > kFormatMajor || c->format_major() < kMinReadableMajor) {
        error = "format version " + std::to_string(c->format_major()) + "." +
                std::to_string(c->format_minor()) + " is not readable by this ftrace (reads " +
                std::to_string(kMinReadableMajor) + ".x to " + std::to_string(kFormatMajor) +
                ".x)" + (c->format_major() > kFormatMajor ? ": upgrade ftrace to convert it" : "");
        fatal = true;
        return false;
    }
    if (c->event_count() > kMaxChunkEvents) {
        error = "chunk claims " + std::to_string(c->event_count()) + " events, more than the limit of " +
                std::to_string(kMaxChunkEvents);
        return false;
    }
    out = Chunk{};
    copy_chunk(*c, out);
    const auto* ticks = c->ticks();
    const auto* ops = c->ops();
    std::string ev_error;
    if (!decode_events(c->first_tick(), ticks ? ticks->data() : nullptr, ticks ? ticks->size() : 0,
                       ops ? ops->data() : nullptr, ops ? ops->size() : 0, c->event_count(),
                       out.events, ev_error)) {
        error = "bad event data: " + ev_error;
        return false;
    }
    return true;
}

std::string ReadIssue::to_string() const {
    return file + ": offset " + std::to_string(offset) + ": " + message;
}

struct ThreadFileReader::Mapping {
    void* addr = nullptr;
    size_t len = 0;
    ~Mapping() {
        if (addr) munmap(addr, len);
    }
};

ThreadFileReader::ThreadFileReader(const std::string& path) : name_(path) {
    // O_NOFOLLOW: a planted symlink is never followed; O_NONBLOCK: a FIFO cannot hang us
    // (it is refused below as "not a regular file").
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        issue(0, std::string("cannot open: ") + std::strerror(errno));
        stopped_ = true;
        return;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        issue(0, "not a regular file");
        ::close(fd);
        stopped_ = true;
        return;
    }
    if (st.st_size > 0) {
        void* addr = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        if (addr == MAP_FAILED) {
            issue(0, std::string("cannot map: ") + std::strerror(errno));
            stopped_ = true;
        } else {
            mapping_ = std::make_unique<Mapping>();
            mapping_->addr = addr;
            mapping_->len = static_cast<size_t>(st.st_size);
            data_ = static_cast<const uint8_t*>(addr);
            size_ = static_cast<uint64_t>(st.st_size);
        }
    }
    ::close(fd);
    if (!stopped_ && size_ == 0) issue(0, "empty file (the thread wrote no chunk)");
}

ThreadFileReader::ThreadFileReader(std::string name, const uint8_t* data, size_t size)
    : name_(std::move(name)), data_(data), size_(size) {
    if (size_ == 0) issue(0, "empty file (the thread wrote no chunk)");
}

ThreadFileReader::~ThreadFileReader() = default;

void ThreadFileReader::DctxDeleter::operator()(LZ4F_dctx_s* d) const {
    LZ4F_freeDecompressionContext(d);
}

void ThreadFileReader::issue(uint64_t offset, std::string message) {
    issues_.push_back(ReadIssue{name_, offset, std::move(message)});
}

bool ThreadFileReader::decode_frame(uint64_t offset, uint64_t& frame_end, Chunk& out,
                                    std::string& error, bool& fatal) {
    if (dctx_) {
        // A frame that failed (or that we abandoned) leaves the context mid-frame.
        LZ4F_resetDecompressionContext(dctx_.get());
    } else {
        LZ4F_dctx* raw = nullptr;
        if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
            error = "out of memory for lz4";
            fatal = true;
            return false;
        }
        dctx_.reset(raw);
    }
    LZ4F_dctx* dctx = dctx_.get();

    // Decompress one frame, growing the output as needed but never past kMaxChunkBytes:
    // the frame header's content size is untrusted and only used as a hint.
    const uint8_t* src = data_ + offset;
    size_t src_left = static_cast<size_t>(size_ - offset);
    size_t produced = 0;
    scratch_.resize(1 << 16);
    size_t hint = 1;
    bool first = true;
    while (hint != 0) {
        if (first) {
            LZ4F_frameInfo_t info{};
            size_t consumed = src_left;
            size_t r = LZ4F_getFrameInfo(dctx, &info, src, &consumed);
            if (LZ4F_isError(r)) {
                error = std::string("bad lz4 frame header: ") + LZ4F_getErrorName(r);
                return false;
            }
            if (info.contentSize > kMaxChunkBytes) {
                error = "chunk claims " + std::to_string(info.contentSize) +
                        " bytes, more than the limit of " + std::to_string(kMaxChunkBytes);
                return false;
            }
            // Even a valid size is only trusted as far as the bytes present can expand to
            // (lz4 expands at most ~255x), so a tiny file cannot make us allocate 64 MiB.
            const uint64_t plausible = static_cast<uint64_t>(src_left) * 256 + (1 << 16);
            const uint64_t want = std::min<uint64_t>(info.contentSize, plausible);
            if (want > scratch_.size()) scratch_.resize(static_cast<size_t>(want));
            src += consumed;
            src_left -= consumed;
            hint = r;
            first = false;
            continue;
        }
        if (src_left == 0) {
            error = "truncated chunk (the file ends inside an lz4 frame)";
            return false;
        }
        if (produced == scratch_.size()) {
            if (scratch_.size() >= kMaxChunkBytes) {
                error = "chunk larger than the limit of " + std::to_string(kMaxChunkBytes) + " bytes";
                return false;
            }
            scratch_.resize(std::min<size_t>(scratch_.size() * 2, kMaxChunkBytes));
        }
        size_t dst_size = scratch_.size() - produced;
        size_t in_size = src_left;
        hint = LZ4F_decompress(dctx, scratch_.data() + produced, &dst_size, src, &in_size,
                               nullptr);
        if (LZ4F_isError(hint)) {
            error = std::string("corrupt lz4 data: ") + LZ4F_getErrorName(hint);
            return false;
        }
        produced += dst_size;
        src += in_size;
        src_left -= in_size;
        if (in_size == 0 && dst_size == 0 && produced < scratch_.size()) {
            error = "lz4 decoder made no progress";
            return false;
        }
    }
    frame_end = static_cast<uint64_t>(src - data_);

    if (!decode_chunk_payload(scratch_.data(), produced, out, error, fatal)) return false;
    out.file_offset = offset;
    return true;
}

std::optional<Chunk> ThreadFileReader::next() {
    while (!stopped_ && pos_ < size_) {
        uint64_t offset = pos_;
        if (size_ - offset < 4 || load_le32(data_ + offset) != kLz4FrameMagic) {
            if (offset == 0) {
                issue(0, "not an ftrace thread file (it does not start with an lz4 frame)");
                stopped_ = true;
                return std::nullopt;
            }
            // Only reachable after a resync scan failed; handled below.
        }
        Chunk chunk;
        uint64_t frame_end = 0;
        std::string error;
        bool fatal = false;
        if (decode_frame(offset, frame_end, chunk, error, fatal)) {
            pos_ = frame_end;
            if (last_seq_ && chunk.seq != *last_seq_ + 1) {
                issue(offset, "chunk sequence jumps from " + std::to_string(*last_seq_) + " to " +
                                  std::to_string(chunk.seq) + " (chunks lost)");
            }
            last_seq_ = chunk.seq;
            saw_last_ = chunk.last;
            return chunk;
        }
        issue(offset, error);
        if (fatal) {
            stopped_ = true;
            return std::nullopt;
        }
        // Resynchronize: look for the next frame magic after this offset.
        static constexpr uint8_t kMagicBytes[4] = {0x04, 0x22, 0x4D, 0x18};
        const void* hit = ::memmem(data_ + offset + 1, static_cast<size_t>(size_ - offset - 1),
                                   kMagicBytes, sizeof kMagicBytes);
        if (hit == nullptr) {
            pos_ = size_;
            break;
        }
        const uint64_t p = static_cast<uint64_t>(static_cast<const uint8_t*>(hit) - data_);
        issue(p, "resuming at the next lz4 frame; " + std::to_string(p - offset) +
                     " damaged bytes skipped");
        pos_ = p;
    }
    return std::nullopt;
}

ThreadFileContents read_thread_file(const std::string& path) {
    ThreadFileReader r(path);
    ThreadFileContents out;
    while (auto c = r.next()) out.chunks.push_back(std::move(*c));
    out.issues = r.issues();
    return out;
}

ThreadFileContents read_thread_bytes(const std::string& name, const uint8_t* data, size_t size) {
    ThreadFileReader r(name, data, size);
    ThreadFileContents out;
    while (auto c = r.next()) out.chunks.push_back(std::move(*c));
    out.issues = r.issues();
    return out;
}

}  // namespace ftrace::format
