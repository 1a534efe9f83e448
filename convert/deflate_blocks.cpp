#include "deflate_blocks.h"

#include <cstring>

namespace ftrace::convert {

namespace {

constexpr int kMaxBits = 15;
constexpr int kTableBits = 11;  // codes up to this long decode with one lookup

constexpr uint16_t kLenBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                   31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                   2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

class Bits {
public:
    Bits(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    // Afterwards at least 56 bits are buffered (zeros past the end; see overrun()).
    void refill() {
        if (pos_ + 8 <= size_) {
            uint64_t v;
            std::memcpy(&v, data_ + pos_, 8);  // little-endian (x86-64, aarch64)
            buf_ |= v << cnt_;
            pos_ += (63 - cnt_) >> 3;
            cnt_ |= 56;
            return;
        }
        while (cnt_ <= 56) {
            buf_ |= static_cast<uint64_t>(pos_ < size_ ? data_[pos_] : 0) << cnt_;
            ++pos_;
            cnt_ += 8;
        }
    }
    uint64_t peek() const { return buf_; }
    void skip(unsigned n) {
        buf_ >>= n;
        cnt_ -= n;
    }
    uint32_t take(unsigned n) {
        uint32_t v = static_cast<uint32_t>(buf_ & ((uint64_t{1} << n) - 1));
        skip(n);
        return v;
    }
    uint64_t bit_pos() const { return static_cast<uint64_t>(pos_) * 8 - cnt_; }
    bool overrun() const { return bit_pos() > static_cast<uint64_t>(size_) * 8; }
    // Continues at byte `byte` (stored blocks).
    void seek_byte(size_t byte) {
        pos_ = byte;
        buf_ = 0;
        cnt_ = 0;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
    uint64_t buf_ = 0;
    unsigned cnt_ = 0;
};

// A canonical Huffman code: one lookup for short codes, bit by bit (puff's way) for long ones.
class Huffman {
public:
    bool build(const uint8_t* lengths, int n) {
        std::memset(count_, 0, sizeof count_);
        for (int s = 0; s < n; ++s) ++count_[lengths[s]];
        count_[0] = 0;
        int left = 1;
        for (int len = 1; len <= kMaxBits; ++len) {
            left = 2 * left - count_[len];
            if (left < 0) return false;  // over-subscribed
        }
        uint16_t offs[kMaxBits + 2];
        offs[1] = 0;
        for (int len = 1; len <= kMaxBits; ++len) offs[len + 1] = static_cast<uint16_t>(offs[len] + count_[len]);
        for (int s = 0; s < n; ++s) {
            if (lengths[s] != 0) symbol_[offs[lengths[s]]++] = static_cast<uint16_t>(s);
        }
        std::memset(table_, 0, sizeof table_);
        // Canonical codes in (length, symbol) order, stored bit-reversed (deflate sends them MSB first).
        uint32_t code = 0;
        int index = 0;
        for (int len = 1; len <= kMaxBits; ++len) {
            for (int k = 0; k < count_[len]; ++k, ++code, ++index) {
                if (len > kTableBits) continue;
                uint32_t rev = 0;
                for (int b = 0; b < len; ++b) rev |= ((code >> b) & 1u) << (len - 1 - b);
                uint16_t entry = static_cast<uint16_t>((symbol_[index] << 4) | len);
                for (uint32_t i = rev; i < (1u << kTableBits); i += 1u << len) table_[i] = entry;
            }
            code <<= 1;
        }
        return true;
    }
    // The next symbol, or -1. Needs at least kMaxBits buffered bits.
    int decode(Bits& in) const {
        uint16_t e = table_[in.peek() & ((1u << kTableBits) - 1)];
        if (e != 0) {
            in.skip(e & 15);
            return e >> 4;
        }
        uint64_t bits = in.peek();
        int code = 0, first = 0, index = 0;
        for (int len = 1; len <= kMaxBits; ++len) {
            code |= static_cast<int>((bits >> (len - 1)) & 1);
            int count = count_[len];
            if (code - count < first) {
                in.skip(static_cast<unsigned>(len));
                return symbol_[index + (code - first)];
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        return -1;
    }

private:
    uint16_t table_[1u << kTableBits];
    uint16_t count_[kMaxBits + 1];
    uint16_t symbol_[288];
};

bool read_dynamic(Bits& in, Huffman& lit, Huffman& dist) {
    static constexpr uint8_t kOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    in.refill();
    const int nlit = static_cast<int>(in.take(5)) + 257;
    const int ndist = static_cast<int>(in.take(5)) + 1;
    const int ncode = static_cast<int>(in.take(4)) + 4;
    if (nlit > 286 || ndist > 30) return false;
    uint8_t lengths[286 + 30] = {};
    for (int i = 0; i < ncode; ++i) {
        in.refill();
        lengths[kOrder[i]] = static_cast<uint8_t>(in.take(3));
    }
    Huffman lencode;
    if (!lencode.build(lengths, 19)) return false;
    std::memset(lengths, 0, 19);
    int i = 0;
    while (i < nlit + ndist) {
        in.refill();
        int sym = lencode.decode(in);
        if (sym < 0) return false;
        if (sym < 16) {
            lengths[i++] = static_cast<uint8_t>(sym);
            continue;
        }
        uint8_t value = 0;
        int repeat;
        if (sym == 16) {
            if (i == 0) return false;
            value = lengths[i - 1];
            repeat = 3 + static_cast<int>(in.take(2));
        } else if (sym == 17) {
            repeat = 3 + static_cast<int>(in.take(3));
        } else {
            repeat = 11 + static_cast<int>(in.take(7));
        }
        if (i + repeat > nlit + ndist) return false;
        while (repeat-- > 0) lengths[i++] = value;
    }
    if (lengths[256] == 0) return false;  // no end-of-block code
    return lit.build(lengths, nlit) && dist.build(lengths + nlit, ndist);
}

// Skips one block's symbols; adds the bytes they stand for to `out_bytes`.
bool skip_codes(Bits& in, const Huffman& lit, const Huffman& dist, uint64_t& out_bytes) {
    for (;;) {
        in.refill();  // 56 bits: enough for a length code, its extra bits, a distance code and its extra bits
        int sym = lit.decode(in);
        if (sym < 256) {
            if (sym < 0) return false;
            ++out_bytes;
            continue;
        }
        if (sym == 256) return !in.overrun();
        sym -= 257;
        if (sym >= 29) return false;
        out_bytes += kLenBase[sym] + in.take(kLenExtra[sym]);
        int d = dist.decode(in);
        if (d < 0 || d >= 30) return false;
        in.skip(kDistExtra[d]);
        if (in.overrun()) return false;
    }
}

}  // namespace

bool find_deflate_bounds(const uint8_t* data, size_t size, DeflateBounds& out) {
    Bits in(data, size);
    Huffman lit, dist;
    Huffman fixed_lit, fixed_dist;
    bool fixed_built = false;
    out.uncompressed = 0;
    for (;;) {
        const uint64_t header = in.bit_pos();
        in.refill();
        const bool last = in.take(1) != 0;
        const uint32_t type = in.take(2);
        if (type == 0) {
            size_t byte = static_cast<size_t>((in.bit_pos() + 7) / 8);
            if (byte + 4 > size) return false;
            uint32_t len = data[byte] | (data[byte + 1] << 8);
            uint32_t nlen = data[byte + 2] | (data[byte + 3] << 8);
            if (len != (~nlen & 0xffffu) || byte + 4 + len > size) return false;
            out.uncompressed += len;
            in.seek_byte(byte + 4 + len);
        } else if (type == 1) {
            if (!fixed_built) {
                uint8_t l[288];
                std::memset(l, 8, 144);
                std::memset(l + 144, 9, 112);
                std::memset(l + 256, 7, 24);
                std::memset(l + 280, 8, 8);
                uint8_t d[30];
                std::memset(d, 5, 30);
                fixed_lit.build(l, 288);
                fixed_dist.build(d, 30);
                fixed_built = true;
            }
            if (!skip_codes(in, fixed_lit, fixed_dist, out.uncompressed)) return false;
        } else if (type == 2) {
            if (!read_dynamic(in, lit, dist) || !skip_codes(in, lit, dist, out.uncompressed)) return false;
        } else {
            return false;
        }
        if (in.overrun()) return false;
        if (last) {
            out.final_header_bit = header;
            out.end_bit = in.bit_pos();
            return true;
        }
    }
}

}  // namespace ftrace::convert
