// A streaming transform: the input is a manifest, one member per line ("name size"), and the
// output a POSIX ustar archive with those members, their contents a repeating pattern. Memory
// stays constant whatever the sizes: the manifest is read in pieces and every member is
// written from one 64 KiB block of pattern.
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "anvil/etl/etl_server.hpp"

namespace {

constexpr size_t kBlock = 512;
constexpr size_t kPatternBytes = 64 * 1024;

// Member bytes: byte i of every member is kPattern[i % 64], so a reader can check any offset.
constexpr std::string_view kPattern =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n";
static_assert(kPattern.size() == 64 && kPatternBytes % kPattern.size() == 0);

const std::array<char, kPatternBytes>& pattern_block() {
  static const auto block = [] {
    std::array<char, kPatternBytes> b{};
    for (size_t i = 0; i < b.size(); ++i)
      b[i] = kPattern[i % kPattern.size()];
    return b;
  }();
  return block;
}

void octal(char* field, size_t width, uint64_t value) {
  // width - 1 digits and a NUL, as ustar wants.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

std::array<char, kBlock> ustar_header(std::string_view name, uint64_t size) {
  std::array<char, kBlock> h{};
  if (name.empty() || name.size() > 100) throw std::runtime_error("bad member name");
  if (size > 077777777777ull) throw std::runtime_error("member too large for ustar (8 GiB)");
  std::memcpy(h.data(), name.data(), name.size());
  octal(h.data() + 100, 8, 0644);           // mode
  octal(h.data() + 108, 8, 0);              // uid
  octal(h.data() + 116, 8, 0);              // gid
  octal(h.data() + 124, 12, size);          // size
  octal(h.data() + 136, 12, 0);             // mtime: fixed, so output is deterministic
  std::memset(h.data() + 148, ' ', 8);      // checksum field counts as spaces
  h[156] = '0';                             // regular file
  std::memcpy(h.data() + 257, "ustar", 6);  // magic with NUL
  std::memcpy(h.data() + 263, "00", 2);     // version
  unsigned sum = 0;
  for (char c : h)
    sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);  // six digits, NUL, then the space stays
  h[155] = ' ';
  return h;
}

void write_member(anvil::etl::ObjectWriter& out, std::string_view line) {
  const size_t space = line.rfind(' ');
  if (space == std::string_view::npos) throw std::runtime_error("manifest line without size");
  const std::string_view name = line.substr(0, space);
  const std::string_view digits = line.substr(space + 1);
  uint64_t size = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (ec != std::errc() || end != digits.data() + digits.size())
    throw std::runtime_error("bad size in manifest line '" + std::string(line) + "'");
  const auto header = ustar_header(name, size);
  out.write(std::string_view(header.data(), header.size()));
  const auto& block = pattern_block();
  for (uint64_t left = size; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
    out.write(std::string_view(block.data(), n));
    left -= n;
  }
  static constexpr char kZeros[kBlock] = {};
  out.write(std::string_view(kZeros, (kBlock - size % kBlock) % kBlock));
}

}  // namespace

struct TarServer : anvil::etl::EtlServer {
  void transform_stream(anvil::etl::ObjectReader& input, const anvil::etl::ObjectRef&,
                        anvil::etl::ObjectWriter& output) override {
    // A manifest line longer than this is refused: the only state kept between pieces.
    constexpr size_t kMaxLine = 4096;
    std::string line;
    char piece[16 * 1024];
    while (const size_t n = input.read(piece)) {
      for (char c : std::string_view(piece, n)) {
        if (c != '\n') {
          if (line.size() == kMaxLine) throw std::runtime_error("manifest line too long");
          line.push_back(c);
          continue;
        }
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) write_member(output, line);
        line.clear();
      }
    }
    if (!line.empty()) write_member(output, line);
    static constexpr char kEnd[2 * kBlock] = {};  // two zero blocks end the archive
    output.write(std::string_view(kEnd, sizeof kEnd));
  }

  std::string_view mime_type() const noexcept override { return "application/x-tar"; }
};

int main(int argc, char** argv) {
  return anvil::etl::run<TarServer>(argc, argv);
}
