#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "json_writer.h"
#include "string_table.h"

using namespace ftrace::convert;

namespace {
std::string jq(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}
std::string ms(int64_t ns) {
    std::string out;
    append_ns_as_ms(out, ns);
    return out;
}
}  // namespace

TEST(JsonEscaping, MandatoryEscapes) {
    EXPECT_EQ(jq("plain"), "\"plain\"");
    EXPECT_EQ(jq("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(jq("l1\nl2\tt\r"), "\"l1\\nl2\\tt\\r\"");
    EXPECT_EQ(jq(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
    EXPECT_EQ(jq("\x1f\x7f"), "\"\\u001f\x7f\"");
    EXPECT_EQ(jq("/"), "\"/\"");
}

TEST(JsonEscaping, ValidUtf8IsKept) {
    std::string s = "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x8D";  // été € 🐍
    EXPECT_EQ(jq(s), "\"" + s + "\"");
}

TEST(JsonEscaping, InvalidUtf8BecomesReplacementCharacters) {
    const std::string r = "\xEF\xBF\xBD";
    EXPECT_EQ(sanitize_utf8("a\xFF" "b"), "a" + r + "b");
    EXPECT_EQ(sanitize_utf8("\xC3"), r);                        // truncated 2-byte
    EXPECT_EQ(sanitize_utf8("\xC0\xAF"), r + r);                // overlong
    EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), r + r + r);        // surrogate
    EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // > U+10FFFF
    EXPECT_EQ(sanitize_utf8("\xE2\x82"), r + r);                // truncated 3-byte
    // Every result parses as JSON and round-trips the valid parts.
    std::string junk;
    for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
    auto j = nlohmann::json::parse(jq(junk));
    EXPECT_EQ(j.get<std::string>().substr(0, 3), std::string("\0\x01\x02", 3));
}

TEST(JsonNumbers, NanosecondsAsExactMilliseconds) {
    EXPECT_EQ(ms(0), "0");
    EXPECT_EQ(ms(1), "0.000001");
    EXPECT_EQ(ms(1500), "0.0015");
    EXPECT_EQ(ms(2000000), "2");
    EXPECT_EQ(ms(-2500000), "-2.5");
    EXPECT_EQ(ms(1234567890123), "1234567.890123");
    EXPECT_EQ(ms(INT64_MIN), "-9223372036854.775808");
}

TEST(JsonWriterTest, StructureAndCommas) {
    StringSink sink;
    {
        JsonWriter w(sink, 16);  // tiny buffer: many flushes
        w.begin_object();
        w.key("a").begin_array().integer(1).integer(-2).number(0.5).number(3.0).null().end_array();
        w.key("b").begin_object().key("x").string("y").key("t").boolean(true).end_object();
        w.key("c").begin_array().end_array();
        w.key("d").number(std::nan(""));
        w.key("e").ns_as_ms(1500);
        w.end_object();
    }
    EXPECT_EQ(sink.out, R"({"a":[1,-2,0.5,3,null],"b":{"x":"y","t":true},"c":[],"d":null,"e":0.0015})");
    auto j = nlohmann::json::parse(sink.out);
    EXPECT_EQ(j["b"]["x"], "y");
}

TEST(StringTableTest, InternsOncePreservingOrder) {
    StringTable t;
    EXPECT_EQ(t.intern("a"), 0u);
    EXPECT_EQ(t.intern("b"), 1u);
    EXPECT_EQ(t.intern("a"), 0u);
    std::string dyn = std::string("b");
    EXPECT_EQ(t.intern(dyn), 1u);
    for (int i = 0; i < 10000; ++i) t.intern("s" + std::to_string(i));  // rehashes keep keys valid
    EXPECT_EQ(t.intern("a"), 0u);
    EXPECT_EQ(t.intern("s9999"), 10001u);
    EXPECT_EQ(t.size(), 10002u);
    EXPECT_EQ(t.at(1), "b");
}
