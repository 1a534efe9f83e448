#include "json_writer.h"

#include <charconv>
#include <cmath>

namespace ftrace::convert {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    size_t n = s.size();
    auto cont = [&](size_t k) { return k < n && (b(k) & 0xC0) == 0x80; };
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(i + 1) || !cont(i + 2)) return 0;
        unsigned char c1 = b(i + 1);
        if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
        if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        unsigned char c1 = b(i + 1);
        if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
        if (c == 0xF4 && c1 > 0x8F) return 0;  // > U+10FFFF
        return 4;
    }
    return 0;
}

template <bool Escape>
void append_sanitized(std::string& out, std::string_view s) {
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        // Fast path: a run of plain printable ASCII.
        size_t run = i;
        while (run < n) {
            unsigned char c = static_cast<unsigned char>(s[run]);
            if (c < 0x20 || c >= 0x80 || (Escape && (c == '"' || c == '\\'))) break;
            ++run;
        }
        out.append(s.data() + i, run - i);
        i = run;
        if (i >= n) break;
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (!Escape) {
                out.push_back(static_cast<char>(c));
            } else if (c == '"') {
                out += "\\\"";
            } else if (c == '\\') {
                out += "\\\\";
            } else if (c == '\n') {
                out += "\\n";
            } else if (c == '\t') {
                out += "\\t";
            } else if (c == '\r') {
                out += "\\r";
            } else {
                out += "\\u00";
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 15]);
            }
            ++i;
            continue;
        }
        size_t len = utf8_sequence_length(s, i);
        if (len == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(s.data() + i, len);
            i += len;
        }
    }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    append_sanitized<true>(out, s);
    out.push_back('"');
}

std::string sanitize_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    append_sanitized<false>(out, s);
    return out;
}

void append_ns_as_ms(std::string& out, int64_t ns) {
    // Exact: integer milliseconds, then up to six fractional digits without trailing zeros.
    uint64_t mag = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
    if (ns < 0) out.push_back('-');
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, mag / 1000000);
    out.append(buf, r.ptr);
    uint32_t frac = static_cast<uint32_t>(mag % 1000000);
    if (frac == 0) return;
    char digits[7];
    for (int k = 5; k >= 0; --k) {
        digits[k] = static_cast<char>('0' + frac % 10);
        frac /= 10;
    }
    int len = 6;
    while (digits[len - 1] == '0') --len;
    out.push_back('.');
    out.append(digits, static_cast<size_t>(len));
}

JsonWriter::JsonWriter(Sink& sink, size_t flush_at) : sink_(sink), flush_at_(flush_at) {
    buf_.reserve(flush_at + 4096);
}

JsonWriter::~JsonWriter() { flush(); }

bool JsonWriter::flush() {
    if (!buf_.empty()) {
        if (ok_ && !sink_.write(buf_.data(), buf_.size())) ok_ = false;
        buf_.clear();
    }
    return ok_;
}

JsonWriter& JsonWriter::continue_in(int open, bool had_element) {
    // Outer containers already hold the member being continued; only the innermost may be empty.
    for (int i = 0; i < open; ++i) first_.push_back(i + 1 == open && !had_element);
    return *this;
}

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) buf_.push_back(',');
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    separate();
    buf_.push_back('{');
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    buf_.push_back('}');
    first_.pop_back();
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    separate();
    buf_.push_back('[');
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    buf_.push_back(']');
    first_.pop_back();
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
    separate();
    append_json_string(buf_, k);
    buf_.push_back(':');
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::null() {
    separate();
    buf_ += "null";
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
    separate();
    buf_ += v ? "true" : "false";
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::integer(int64_t v) {
    separate();
    char tmp[24];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, r.ptr);
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::number(double v) {
    if (!std::isfinite(v)) return null();
    if (v == std::floor(v) && std::fabs(v) < 9.0e15) return integer(static_cast<int64_t>(v));
    separate();
    char tmp[40];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, r.ptr);
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::ns_as_ms(int64_t ns) {
    separate();
    append_ns_as_ms(buf_, ns);
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view v) {
    separate();
    append_json_string(buf_, v);
    maybe_flush();
    return *this;
}

}  // namespace ftrace::convert
