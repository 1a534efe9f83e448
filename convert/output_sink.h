// Where the profile bytes go: a plain file or a gzip stream (zlib), chosen by the name.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ftrace::convert {

class Sink {
public:
    virtual ~Sink() = default;
    // Returns false once an error occurred (see error()); later writes are ignored.
    virtual bool write(const char* data, size_t size) = 0;
    // Flushes and closes; false on error. Idempotent.
    virtual bool close() = 0;
    virtual const std::string& error() const = 0;
    virtual uint64_t bytes_written() const = 0;  // bytes that reached the file
};

// Collects everything in memory (tests, small tools).
class StringSink final : public Sink {
public:
    bool write(const char* data, size_t size) override {
        out.append(data, size);
        return true;
    }
    bool close() override { return true; }
    const std::string& error() const override { return error_; }
    uint64_t bytes_written() const override { return out.size(); }
    std::string out;

private:
    std::string error_;
};

bool ends_with_gz(const std::string& path);

// Opens `path` for writing (created 0600: profiles contain program data). Gzip-compresses
// when `gzip` is true, on a separate thread so compression overlaps JSON generation. Returns nullptr and sets `error` when the file cannot be created.
std::unique_ptr<Sink> open_file_sink(const std::string& path, bool gzip, std::string& error,
                                     int gzip_level = 4);

}  // namespace ftrace::convert
