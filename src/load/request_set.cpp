#include "anvil/load/request_set.hpp"

#include <toml++/toml.h>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "anvil/http/request_builder.hpp"

namespace anvil::load {

namespace {

constexpr uint64_t kMaxTotalWeight = 100'000;

std::vector<uint32_t> interleave(const std::vector<RequestTemplate>& templates) {
  uint64_t total = 0;
  for (const auto& t : templates)
    total += t.weight;
  if (total == 0 || total > kMaxTotalWeight) {
    throw std::runtime_error("request weights must add up to 1.." +
                             std::to_string(kMaxTotalWeight));
  }
  std::vector<int64_t> current(templates.size(), 0);
  std::vector<uint32_t> order;
  order.reserve(total);
  for (uint64_t n = 0; n < total; ++n) {
    size_t best = 0;
    for (size_t i = 0; i < templates.size(); ++i) {
      current[i] += templates[i].weight;
      if (current[i] > current[best]) best = i;
    }
    current[best] -= static_cast<int64_t>(total);
    order.push_back(static_cast<uint32_t>(best));
  }
  return order;
}

}  // namespace

RequestSet::RequestSet(const std::vector<RequestTemplate>& templates, const http::Url& url,
                       bool keepalive) {
  if (templates.empty()) throw std::runtime_error("no request to send");
  for (const RequestTemplate& t : templates) {
    http::RequestSpec spec;
    spec.method = t.method;
    spec.target = t.target.empty() ? url.target : t.target;
    spec.headers = t.headers;
    spec.body = t.body;
    requests_.push_back({http::serialize_request(spec, url, keepalive), t.method == "HEAD"});
  }
  order_ = interleave(templates);
}

std::string read_body_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read body file '" + path + "'");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read body file '" + path + "'");
  return content.str();
}

std::vector<RequestTemplate> load_request_file(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream message;
    message << path << ":" << e.source().begin.line << ": " << e.description();
    throw std::runtime_error(message.str());
  }
  auto where = [&](const toml::node& node, const std::string& key) {
    return path + ":" + std::to_string(node.source().begin.line) + ": '" + key + "'";
  };
  for (auto&& [key, value] : root) {
    if (key != "request") {
      throw std::runtime_error(where(value, std::string(key.str())) +
                               " is not a known key (expected [[request]])");
    }
  }
  const toml::array* list = root["request"].as_array();
  if (list == nullptr || list->empty()) {
    throw std::runtime_error(path + ": no [[request]] table");
  }
  std::vector<RequestTemplate> templates;
  for (const toml::node& node : *list) {
    const toml::table* table = node.as_table();
    if (table == nullptr) throw std::runtime_error(where(node, "request") + " must be a table");
    RequestTemplate t;
    for (auto&& [raw_key, value] : *table) {
      const std::string key(raw_key.str());
      if (key == "method" && value.is_string()) {
        t.method = value.as_string()->get();
      } else if (key == "path" && value.is_string()) {
        t.target = value.as_string()->get();
        if (t.target.empty() || t.target[0] != '/') {
          throw std::runtime_error(where(value, key) + " must start with '/'");
        }
      } else if (key == "body" && value.is_string()) {
        t.body = value.as_string()->get();
      } else if (key == "body_file" && value.is_string()) {
        t.body = read_body_file(value.as_string()->get());
      } else if (key == "weight" && value.is_integer()) {
        const int64_t w = value.as_integer()->get();
        if (w < 1 || w > static_cast<int64_t>(kMaxTotalWeight)) {
          throw std::runtime_error(where(value, key) + " must be 1.." +
                                   std::to_string(kMaxTotalWeight));
        }
        t.weight = static_cast<uint32_t>(w);
      } else if (key == "headers" && value.is_table()) {
        for (auto&& [name, header_value] : *value.as_table()) {
          if (!header_value.is_string()) {
            throw std::runtime_error(where(header_value, std::string(name.str())) +
                                     " header value must be a string");
          }
          t.headers.emplace_back(std::string(name.str()), header_value.as_string()->get());
        }
      } else {
        throw std::runtime_error(where(value, key) +
                                 " is unknown or has the wrong type (method, path, body, "
                                 "body_file: strings; weight: integer; headers: table)");
      }
    }
    templates.push_back(std::move(t));
  }
  return templates;
}

}  // namespace anvil::load
