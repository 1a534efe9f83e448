// The trace format's version and limits: the one owner of these numbers.
#pragma once
#include <cstdint>

namespace ftrace::format {

// A reader accepts every major version in [kMinReadableMajor, kFormatMajor] and refuses
// newer majors (their meaning may differ). Minor bumps only append optional fields.
inline constexpr uint16_t kFormatMajor = 1;
inline constexpr uint16_t kFormatMinor = 1;  // 1.1: ProcessInfo.start_sync
inline constexpr uint16_t kMinReadableMajor = 1;

// Upper bound of one decompressed chunk. The recorder stays far below it; the reader
// refuses anything larger instead of trusting a size written in the file.
inline constexpr uint64_t kMaxChunkBytes = 64ull << 20;
// Upper bound of the events of one chunk (the recorder writes at most 64 Ki): bounds the
// memory a small, highly compressible hostile chunk can make the reader allocate.
inline constexpr uint32_t kMaxChunkEvents = 1u << 20;

// File names inside a trace directory (see trace_dir.h).
inline constexpr const char* kThreadFileSuffix = ".ftrace";
inline constexpr const char* kDirMarkerFile = "FTRACE-TRACE";

}  // namespace ftrace::format
