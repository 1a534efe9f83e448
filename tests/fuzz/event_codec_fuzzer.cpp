// libFuzzer target: the columnar event decoder on arbitrary column bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 5) return 0;
    // First byte splits the input into the two columns, next four give the event count.
    size_t split = 5 + (size - 5) * data[0] / 255;
    uint32_t count = static_cast<uint32_t>(data[1]) | static_cast<uint32_t>(data[2]) << 8 |
                     static_cast<uint32_t>(data[3]) << 16 | static_cast<uint32_t>(data[4]) << 24;
    std::vector<ftrace::format::RawEvent> out;
    std::string error;
    ftrace::format::decode_events(0, data + 5, split - 5, data + split, size - split, count, out, error);
    return 0;
}
