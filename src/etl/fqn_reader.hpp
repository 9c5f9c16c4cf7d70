#pragma once

// Private to the etl module: reading the local files AIStore names with etl_fqn, confined to
// allowed roots (the contract's §6.2 threat: etl_fqn would otherwise read any file).

#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/unique_fd.hpp"

namespace anvil::etl {

enum class FqnStatus : uint8_t { ok, not_found, forbidden, io_error };

class FqnReader {
 public:
  // roots: absolute directories; a file is readable only if its normalized path lies beneath
  // one of them, and it is opened with openat2(RESOLVE_BENEATH) from that root, so neither
  // ".." nor a symlink can leave it.
  explicit FqnReader(std::vector<std::string> roots);

  // ANVIL_FQN_ROOTS (colon-separated) when set; otherwise every read-only mount of this
  // process except /, /proc, /sys and /dev: AIStore mounts the target's mountpaths into the
  // ETL pod read-only at the same paths, so this default serves AIS and nothing else.
  static FqnReader from_environment();

  // decoded: the etl_fqn value after query decoding and one more percent-decoding.
  // On ok, `normalized` is the path that was checked (for ETL_DIRECT_FQN mode).
  FqnStatus resolve(std::string_view decoded, std::string& normalized, core::UniqueFd& fd) const;
  FqnStatus read(std::string_view decoded, std::string& normalized, std::string& content) const;

  const std::vector<std::string>& roots() const noexcept { return roots_; }

 private:
  std::vector<std::string> roots_;
  std::vector<core::UniqueFd> root_fds_;
};

}  // namespace anvil::etl
