#include "chunk_writer.h"

#include <lz4frame.h>

#include <stdexcept>
#include <string>

#include "event_codec.h"
#include "trace_generated.h"
#include "version.h"

namespace ftrace::format {

struct ChunkWriter::Impl {
    flatbuffers::FlatBufferBuilder fbb{1 << 16};
    EncodedEvents encoded;
    std::vector<uint8_t> frame;
};

ChunkWriter::ChunkWriter() : impl_(std::make_unique<Impl>()) {}
ChunkWriter::~ChunkWriter() = default;

namespace {

flatbuffers::Offset<fb::ProcessInfo> build_process(flatbuffers::FlatBufferBuilder& b,
                                                   const ProcessInfo& p) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> argv;
    argv.reserve(p.argv.size());
    for (const auto& a : p.argv) argv.push_back(b.CreateString(a));
    fb::ClockSync start_sync;
    const fb::ClockSync* start_sync_ptr = nullptr;  // absent when unknown
    if (p.start_sync) {
        start_sync = fb::ClockSync(p.start_sync->tick, p.start_sync->monotonic_ns,
                                   p.start_sync->realtime_ns);
        start_sync_ptr = &start_sync;
    }
    return fb::CreateProcessInfo(b, p.pid, p.ppid, b.CreateString(p.process_key),
                                 b.CreateString(p.parent_key), p.start_realtime_ns,
                                 b.CreateVector(argv), b.CreateString(p.executable),
                                 b.CreateString(p.python_version), b.CreateString(p.host),
                                 static_cast<fb::ClockKind>(p.clock), start_sync_ptr);
}

flatbuffers::Offset<fb::Marker> build_marker(flatbuffers::FlatBufferBuilder& b, const Marker& m) {
    std::vector<flatbuffers::Offset<fb::Field>> fields;
    fields.reserve(m.fields.size());
    for (const auto& f : m.fields) {
        fields.push_back(fb::CreateField(b, b.CreateString(f.key),
                                         f.is_number ? 0 : b.CreateString(f.text), f.number,
                                         f.is_number));
    }
    return fb::CreateMarker(b, static_cast<uint8_t>(m.kind), m.start_tick, m.end_tick,
                            b.CreateString(m.name), b.CreateVector(fields));
}

}  // namespace

const std::vector<uint8_t>& ChunkWriter::encode(const ChunkInput& in) {
    auto& b = impl_->fbb;
    b.Clear();
    encode_events(in.events, in.event_count, impl_->encoded);

    flatbuffers::Offset<fb::ProcessInfo> process = 0;
    if (in.process) process = build_process(b, *in.process);
    flatbuffers::Offset<fb::ThreadInfo> thread = 0;
    if (in.thread) {
        thread = fb::CreateThreadInfo(b, in.thread->tid, in.thread->index,
                                      b.CreateString(in.thread->name), in.thread->is_main);
    }
    std::vector<flatbuffers::Offset<fb::FuncDef>> funcs;
    funcs.reserve(in.func_count);
    for (size_t i = 0; i < in.func_count; ++i) {
        const FuncDef& f = in.funcs[i];
        funcs.push_back(fb::CreateFuncDef(b, f.id, static_cast<fb::FuncKind>(f.kind),
                                          b.CreateString(f.name), b.CreateString(f.qualname),
                                          b.CreateString(f.file), f.line,
                                          b.CreateString(f.module)));
    }
    std::vector<flatbuffers::Offset<fb::Marker>> markers;
    markers.reserve(in.marker_count);
    for (size_t i = 0; i < in.marker_count; ++i) markers.push_back(build_marker(b, in.markers[i]));

    auto ticks = b.CreateVector(impl_->encoded.ticks.data(), impl_->encoded.ticks.size());
    auto ops = b.CreateVector(impl_->encoded.ops.data(), impl_->encoded.ops.size());
    auto funcs_vec = b.CreateVector(funcs);
    auto markers_vec = b.CreateVector(markers);
    fb::ClockSync sync(in.sync.tick, in.sync.monotonic_ns, in.sync.realtime_ns);

    fb::ChunkBuilder cb(b);
    cb.add_format_major(kFormatMajor);
    cb.add_format_minor(kFormatMinor);
    cb.add_seq(in.seq);
    cb.add_sync(&sync);
    if (in.process) cb.add_process(process);
    if (in.thread) cb.add_thread(thread);
    cb.add_funcs(funcs_vec);
    cb.add_event_count(static_cast<uint32_t>(in.event_count));
    cb.add_first_tick(impl_->encoded.first_tick);
    cb.add_ticks(ticks);
    cb.add_ops(ops);
    cb.add_markers(markers_vec);
    cb.add_last(in.last);
    cb.add_dropped_events(in.dropped_events);
    b.FinishSizePrefixed(cb.Finish(), fb::ChunkIdentifier());

    LZ4F_preferences_t prefs{};
    prefs.frameInfo.blockSizeID = LZ4F_max4MB;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    prefs.frameInfo.contentSize = b.GetSize();
    prefs.compressionLevel = 0;  // fast mode: flushing must not stall the traced thread
    auto& frame = impl_->frame;
    frame.resize(LZ4F_compressFrameBound(b.GetSize(), &prefs));
    size_t n = LZ4F_compressFrame(frame.data(), frame.size(), b.GetBufferPointer(), b.GetSize(),
                                  &prefs);
    if (LZ4F_isError(n)) {
        throw std::runtime_error(std::string("lz4 compression failed: ") + LZ4F_getErrorName(n));
    }
    frame.resize(n);
    return frame;
}

}  // namespace ftrace::format
