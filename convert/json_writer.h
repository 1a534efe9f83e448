// Streaming, compact JSON writer: values go into a buffer that is flushed to a Sink, so a
// profile of any size is written without building a document in memory.
//
// Strings are always emitted as valid UTF-8 (invalid bytes become U+FFFD) with the
// mandatory JSON escapes; non-finite doubles become null.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "output_sink.h"

namespace ftrace::convert {

// Appends `s` to `out` as a quoted JSON string (UTF-8 sanitized).
void append_json_string(std::string& out, std::string_view s);
// `s` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s);
// Integer nanoseconds as exact decimal milliseconds: 1500 -> "0.0015", -2000000 -> "-2".
void append_ns_as_ms(std::string& out, int64_t ns);

// Growable byte buffer that numbers are formatted into in place: with std::string every
// few-byte append was a libc call, a tenth of a conversion's time.
class ByteBuffer {
public:
    // At least n writable bytes at the end; commit() what was written.
    char* room(size_t n) {
        if (cap_ - size_ < n) grow(n);
        return data_.get() + size_;
    }
    void commit(const char* end) { size_ = static_cast<size_t>(end - data_.get()); }
    void push_back(char c) {
        *room(1) = c;
        ++size_;
    }
    void append(std::string_view s) {
        std::memcpy(room(s.size()), s.data(), s.size());
        size_ += s.size();
    }
    void reserve(size_t n) {
        if (n > cap_) grow(n - size_);
    }
    const char* data() const { return data_.get(); }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    void clear() { size_ = 0; }

private:
    void grow(size_t n);
    std::unique_ptr<char[]> data_;
    size_t size_ = 0, cap_ = 0;
};

class JsonWriter {
public:
    explicit JsonWriter(Sink& sink, size_t flush_at = 1 << 20);
    ~JsonWriter();

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);

    JsonWriter& null();
    JsonWriter& boolean(bool v);
    JsonWriter& integer(int64_t v);
    JsonWriter& number(double v);       // shortest round-trip form; integral values without ".0"
    JsonWriter& ns_as_ms(int64_t ns);  // see append_ns_as_ms
    JsonWriter& string(std::string_view v);

    // Shorthands for object members.
    template <typename F>
    JsonWriter& member(std::string_view k, F&& write_value) {
        key(k);
        write_value(*this);
        return *this;
    }

    // Continues a document another writer began: `open` containers are open around this
    // writer's output, the innermost already holding an element when `had_element`.
    JsonWriter& continue_in(int open, bool had_element);

    // Pushes buffered bytes to the sink. Returns false when the sink failed.
    bool flush();
    bool ok() const { return ok_; }
    int depth() const { return static_cast<int>(first_.size()); }
    Sink& sink() { return sink_; }

private:
    void separate();
    void maybe_flush() {
        if (buf_.size() >= flush_at_) flush();
    }

    Sink& sink_;
    size_t flush_at_;
    ByteBuffer buf_;
    std::string scratch_;  // one string while it is escaped
    std::vector<uint8_t> first_;  // per open container: 1 while no element is written yet
    bool after_key_ = false;
    bool ok_ = true;
};

}  // namespace ftrace::convert
