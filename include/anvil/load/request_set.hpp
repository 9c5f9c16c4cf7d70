#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anvil/load/options.hpp"

namespace anvil::load {

// A request serialized once, before the run; workers only ever write these bytes.
struct PreparedRequest {
  std::string bytes;
  bool is_head = false;  // a HEAD response has no body whatever its headers say
};

// The request mix: every template serialized once, and a fixed interleaving in proportion to
// the weights (smooth weighted round robin), so a mix costs an index increment per request
// and the proportions hold exactly over every cycle, with no random number per request.
class RequestSet {
 public:
  RequestSet(const std::vector<RequestTemplate>& templates, const http::Url& url, bool keepalive);

  const PreparedRequest& at(uint32_t cursor) const noexcept {
    return requests_[order_[cursor % order_.size()]];
  }
  size_t distinct() const noexcept { return requests_.size(); }

 private:
  std::vector<PreparedRequest> requests_;
  std::vector<uint32_t> order_;
};

// A request body from a file, whole. Throws std::runtime_error naming the file when it cannot
// be read.
std::string read_body_file(const std::string& path);

// Reads a request mix file (TOML, see docs/load.md): [[request]] tables with method, path,
// body or body_file, headers and weight. Throws std::runtime_error naming the file and key.
std::vector<RequestTemplate> load_request_file(const std::string& path);

}  // namespace anvil::load
