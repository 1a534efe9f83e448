#include "json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

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

namespace {

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

int decimal_digits(uint64_t v) {
    int n = 1;
    for (uint64_t p = 10; n < 20 && v >= p; p *= 10) ++n;
    return n;
}

// Writes v in decimal at d (at most 20 bytes); returns the end.
char* put_uint(char* d, uint64_t v) {
    char* const end = d + decimal_digits(v);
    char* p = end;
    while (v >= 100) {
        const char* pair = kDigitPairs + 2 * (v % 100);
        v /= 100;
        *--p = pair[1];
        *--p = pair[0];
    }
    if (v >= 10) {
        *--p = kDigitPairs[2 * v + 1];
        *--p = kDigitPairs[2 * v];
    } else {
        *--p = static_cast<char>('0' + v);
    }
    return end;
}

char* put_int(char* d, int64_t v) {
    if (v < 0) *d++ = '-';
    return put_uint(d, v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
}

// Exact: integer milliseconds, then up to six fractional digits without trailing zeros
// (at most 28 bytes).
char* put_ns_as_ms(char* d, int64_t ns) {
    const uint64_t mag = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
    if (ns < 0) *d++ = '-';
    d = put_uint(d, mag / 1000000);
    uint32_t frac = static_cast<uint32_t>(mag % 1000000);
    if (frac == 0) return d;
    *d++ = '.';
    std::memcpy(d, kDigitPairs + 2 * (frac / 10000), 2);
    std::memcpy(d + 2, kDigitPairs + 2 * (frac / 100 % 100), 2);
    std::memcpy(d + 4, kDigitPairs + 2 * (frac % 100), 2);
    int len = 6;
    while (d[len - 1] == '0') --len;  // frac != 0: stops at a digit
    return d + len;
}

}  // namespace

void append_ns_as_ms(std::string& out, int64_t ns) {
    char buf[32];
    out.append(buf, put_ns_as_ms(buf, ns));
}

void ByteBuffer::grow(size_t n) {
    size_t cap = std::max<size_t>({64, cap_ * 2, size_ + n});
    auto bigger = std::make_unique<char[]>(cap);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    cap_ = cap;
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
    for (int i = 0; i < open; ++i) first_.push_back(i + 1 == open && !had_element ? 1 : 0);
    return *this;
}

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) buf_.push_back(',');
        first_.back() = 0;
    }
}

JsonWriter& JsonWriter::begin_object() {
    separate();
    buf_.push_back('{');
    first_.push_back(1);
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
    first_.push_back(1);
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
    scratch_.clear();
    append_json_string(scratch_, k);
    scratch_.push_back(':');
    buf_.append(scratch_);
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::null() {
    separate();
    buf_.append("null");
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
    separate();
    buf_.append(v ? "true" : "false");
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::integer(int64_t v) {
    separate();
    buf_.commit(put_int(buf_.room(24), v));
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::number(double v) {
    if (!std::isfinite(v)) return null();
    if (v == std::floor(v) && std::fabs(v) < 9.0e15) return integer(static_cast<int64_t>(v));
    separate();
    char* d = buf_.room(40);
    buf_.commit(std::to_chars(d, d + 40, v).ptr);
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::ns_as_ms(int64_t ns) {
    separate();
    buf_.commit(put_ns_as_ms(buf_.room(32), ns));
    maybe_flush();
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view v) {
    separate();
    scratch_.clear();
    append_json_string(scratch_, v);
    buf_.append(scratch_);
    maybe_flush();
    return *this;
}

}  // namespace ftrace::convert
