#include "io/safetensors.h"

#include "io/file.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>


namespace hebb {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

// Written in the arrays' order; parsed into std::map objects, since ordered_json looks each key up
// in a list (80,000 entries took 6 s to parse) and the arrays' order is their data's order anyway.
using Json = nlohmann::ordered_json;
using ParsedJson = nlohmann::json;
constexpr std::uint64_t max_header = 100'000'000;  // the format's own limit

constexpr size_t max_rank = 4;

}  // namespace

void save_safetensors(const std::string& path, const StateDict& arrays, const Metadata& metadata) {
    Json header = Json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    std::set<std::string> names;
    for (const NamedArray& a : arrays) {
        HEBB_CHECK(a.shape.size() <= max_rank && holds(a.value, a.shape), path, ": array '", a.name, "' ",
                   shape_str(a.value), " cannot be stored as ", shape_str(a.shape));
        HEBB_CHECK(names.insert(a.name).second, path, ": array name '", a.name, "' appears twice");
        const std::uint64_t bytes = static_cast<std::uint64_t>(a.value.size()) * sizeof(float);
        header[a.name] = {{"dtype", "F32"}, {"shape", a.shape},
                          {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string bytes = header.dump();
    bytes.append((8 - bytes.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
    const std::uint64_t length = bytes.size();
    bytes.insert(0, reinterpret_cast<const char*>(&length), sizeof length);
    for (const NamedArray& a : arrays)
        bytes.append(reinterpret_cast<const char*>(a.value.data()), static_cast<size_t>(a.value.size()) * sizeof(float));
    write_file_atomic(path, bytes);
}

SafetensorsFile load_safetensors(const std::string& path) {
    check_regular_file(path);
    std::error_code ec;
    const std::uint64_t file_size = std::filesystem::file_size(path, ec);
    HEBB_CHECK(!ec, path, ": cannot read: ", ec.message());
    std::ifstream in(path, std::ios::binary);
    HEBB_CHECK(in, path, ": cannot open");
    HEBB_CHECK(file_size >= 8, path, ": ", file_size, " bytes is too short for a safetensors header");

    std::uint64_t length = 0;
    in.read(reinterpret_cast<char*>(&length), sizeof length);
    HEBB_CHECK(length <= file_size - 8 && length <= max_header, path, ": header length ", length,
               " at offset 0 does not fit a file of ", file_size, " bytes");
    std::string text(length, '\0');
    in.read(text.data(), static_cast<std::streamsize>(length));
    HEBB_CHECK(in, path, ": cannot read the header");

    ParsedJson header;
    try {
        header = ParsedJson::parse(text);
    } catch (const ParsedJson::exception& e) {
        fail(path, ": header (offset 8, ", length, " bytes) is not valid JSON: ", e.what());
    }
    HEBB_CHECK(header.is_object(), path, ": header is not a JSON object");

    const std::uint64_t data_start = 8 + length;
    const std::uint64_t data_size = file_size - data_start;
    SafetensorsFile file;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // parallel to file.arrays
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            HEBB_CHECK(entry.is_object(), path, ": __metadata__ is not an object");
            for (const auto& [key, value] : entry.items()) {
                HEBB_CHECK(value.is_string(), path, ": __metadata__ value of '", key,
                           "' is not a string");
                file.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        const std::string where = path + ": tensor '" + name + "'";
        HEBB_CHECK(entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
                       entry.contains("data_offsets"),
                   where, " needs dtype, shape and data_offsets");
        const ParsedJson& dtype = entry["dtype"];
        HEBB_CHECK(dtype.is_string() && dtype == "F32", where, " has dtype ", dtype.dump(),
                   "; hebb reads F32 only");
        const ParsedJson& shape = entry["shape"];
        HEBB_CHECK(shape.is_array() && shape.size() <= max_rank, where, " has shape ", shape.dump(),
                   "; hebb reads rank 0 to ", max_rank);
        // Held as a matrix: rows the first dimension, cols the product of the others.
        Shape dims;
        std::uint64_t rows = 1, cols = 1;
        for (size_t i = 0; i < shape.size(); ++i) {
            HEBB_CHECK(shape[i].is_number_unsigned() && shape[i].get<std::uint64_t>() <= INT32_MAX,
                       where, " has a bad dimension in shape ", shape.dump());
            const std::uint64_t d = shape[i].get<std::uint64_t>();
            dims.push_back(static_cast<Eigen::Index>(d));
            if (i == 0 && shape.size() >= 2) rows = d;
            else cols *= d;
            // Each factor is below 2^31, so while cols does too no product overflows.
            HEBB_CHECK(cols <= INT32_MAX, where, " has shape ", shape.dump(), ", too large for hebb");
        }
        const ParsedJson& offsets = entry["data_offsets"];
        HEBB_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                       offsets[1].is_number_unsigned(),
                   where, " has bad data_offsets ", offsets.dump());
        const auto begin = offsets[0].get<std::uint64_t>(), end = offsets[1].get<std::uint64_t>();
        HEBB_CHECK(begin <= end && end <= data_size, where, " has data_offsets ", offsets.dump(),
                   " outside the ", data_size, " data bytes at offset ", data_start);
        // Each dimension is below 2^31, so the byte count cannot overflow 64 bits.
        HEBB_CHECK(end - begin == rows * cols * sizeof(float), where, " has shape ",
                   shape.dump(), " but ", end - begin, " data bytes");
        spans.emplace_back(begin, end);

        NamedArray a{name, Matrix(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols)), std::move(dims)};
        in.seekg(static_cast<std::streamoff>(data_start + begin));
        in.read(reinterpret_cast<char*>(a.value.data()), static_cast<std::streamsize>(end - begin));
        HEBB_CHECK(in, where, ": cannot read its data at offset ", data_start + begin);
        file.arrays.push_back(std::move(a));
    }
    // The arrays in the order of their data, which is the header's order in a file hebb wrote.
    std::vector<size_t> order(spans.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a] < spans[b]; });
    StateDict arrays;
    for (const size_t i : order) arrays.push_back(std::move(file.arrays[i]));
    file.arrays = std::move(arrays);
    std::sort(spans.begin(), spans.end());
    std::uint64_t covered = 0;
    for (const auto& [begin, end] : spans) {
        HEBB_CHECK(begin == covered, path, ": tensor data ",
                   begin < covered ? "overlaps" : "leaves a hole", " at data offset ",
                   std::min(begin, covered));
        covered = end;
    }
    HEBB_CHECK(covered == data_size, path, ": ", data_size - covered,
               " bytes after the last tensor's data");
    return file;
}

}  // namespace hebb
