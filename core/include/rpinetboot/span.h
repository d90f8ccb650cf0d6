// A minimal read-only byte view (C++17 has no std::span).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rpinetboot {

class ByteSpan {
  public:
    constexpr ByteSpan() = default;
    constexpr ByteSpan(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    ByteSpan(const std::vector<std::uint8_t>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
    template <std::size_t N>
    constexpr ByteSpan(const std::uint8_t (&a)[N]) : data_(a), size_(N) {}  // NOLINT
    template <std::size_t N>
    constexpr ByteSpan(const std::array<std::uint8_t, N>& a)
        : data_(a.data()), size_(N) {}  // NOLINT

    constexpr const std::uint8_t* data() const { return data_; }
    constexpr std::size_t size() const { return size_; }
    constexpr bool empty() const { return size_ == 0; }
    constexpr std::uint8_t operator[](std::size_t i) const { return data_[i]; }
    constexpr const std::uint8_t* begin() const { return data_; }
    constexpr const std::uint8_t* end() const { return data_ + size_; }
    constexpr ByteSpan subspan(std::size_t offset, std::size_t count) const {
        return ByteSpan(data_ + offset, count);
    }

  private:
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

using Bytes = std::vector<std::uint8_t>;

}  // namespace rpinetboot
