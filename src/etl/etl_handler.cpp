#include "etl_handler.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "anvil/http/syntax.hpp"
#include "anvil/http/uri.hpp"
#include "stream_io.hpp"
#include "upstream_client.hpp"

namespace anvil::etl {

namespace {

void plain(server::Response& r, int status, std::string_view text) {
  r.status = status;
  r.content_type = "text/plain";
  r.body.assign(text);
}

// Per-thread scratch buffers: the decoded path, arguments and file contents of the object in
// hand. Reused across requests, so a warm thread does not allocate for them.
struct Scratch {
  std::string path;
  std::string args;
  std::string fqn;
  std::string normalized;
  std::string file;
  std::string output;
  std::string first_hop;
  std::string rest_hops;
};
thread_local Scratch scratch;

}  // namespace

void answer_detail(server::Response& r, int status, std::string_view text) {
  r.status = status;
  r.content_type = "application/json";
  r.body = nlohmann::json{{"detail", text}}.dump();
}

std::string_view strip_whitespace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::string redact_target_url(std::string url) {
  const std::string marker = "/v1/etl/_object/";
  const size_t at = url.find(marker);
  if (at == std::string::npos) return url;
  const size_t name_end = url.find('/', at + marker.size());
  if (name_end == std::string::npos) return url;
  const size_t secret_end = url.find_first_of("/?", name_end + 1);
  url.replace(name_end + 1,
              (secret_end == std::string::npos ? url.size() : secret_end) - name_end - 1, "***");
  return url;
}

bool parse_pipeline(std::string_view value, std::string& first, std::string& rest) {
  first.clear();
  rest.clear();
  value = strip_whitespace(value);
  if (value.empty()) return true;
  std::string_view remaining = value;
  bool is_first = true;
  while (true) {
    const size_t comma = remaining.find(',');
    const std::string_view hop = strip_whitespace(remaining.substr(0, comma));
    if (hop.empty()) return false;
    if (is_first) {
      first.assign(hop);
      is_first = false;
    }
    if (comma == std::string_view::npos) break;
    remaining.remove_prefix(comma + 1);
  }
  const size_t comma = value.find(',');
  if (comma != std::string_view::npos) rest.assign(strip_whitespace(value.substr(comma + 1)));
  return true;
}

std::string compose_direct_put_url(std::string_view hop, const http::Url& target,
                                   std::string_view raw_object_path, std::string_view etl_args) {
  const size_t scheme_end = hop.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
  const std::string_view after = hop.substr(scheme_end + 3);
  const size_t authority_end = after.find_first_of("/?");
  const std::string_view authority = after.substr(0, authority_end);
  if (authority.empty()) return {};
  std::string_view path, query;
  if (authority_end != std::string_view::npos) {
    std::string_view rest = after.substr(authority_end);
    const size_t q = rest.find('?');
    path = rest.substr(0, q);
    if (q != std::string_view::npos) query = rest.substr(q + 1);
  }
  std::string url = target.scheme + "://" + std::string(authority);
  if (!path.empty()) {
    const std::string_view base =
        std::string_view(target.target).substr(0, target.target.find('?'));
    url.append(base == "/" ? std::string_view() : base);
    if (!url.ends_with('/') || path[0] != '/')
      url.append(path);
    else
      url.append(path.substr(1));
  } else {
    url.append(raw_object_path);
  }
  std::string final_query =
      etl_args.empty() ? std::string(query) : http::query_set_param(query, "etl_args", etl_args);
  if (!final_query.empty()) url.append("?").append(final_query);
  return url;
}

EtlHandler::EtlHandler(EtlServer& server, const EtlConfig& config, FqnReader fqn)
    : server_(server), config_(config), fqn_(std::move(fqn)) {}

server::Dispatch EtlHandler::dispatch(const http::RequestHead& head) const noexcept {
  if (head.path() == "/health") return server::Dispatch::inline_;
  if (is_download(head)) return server::Dispatch::worker;  // an outbound GET, then the transform
  if (config_.streaming) {
    const bool object_method = head.method == "GET" || head.method == "HEAD" ||
                               head.method == "PUT" || head.method == "POST";
    return object_method ? server::Dispatch::stream : server::Dispatch::inline_;
  }
  // Blocking work never runs on an event loop: files, the AIS target, the next hop.
  const bool blocking = head.query().find("etl_fqn") != std::string_view::npos ||
                        head.find("Ais-Node-Url") != nullptr ||
                        (head.method == "GET" && !config_.standalone);
  if (blocking || config_.transform_on_workers) return server::Dispatch::worker;
  return server::Dispatch::inline_;
}

void EtlHandler::handle(const server::Request& request, server::Response& response) {
  const http::RequestHead& head = request.head;
  const std::string_view raw_path = head.path();
  const bool get = head.method == "GET" || head.method == "HEAD";
  const bool put = head.method == "PUT" || head.method == "POST";
  if (raw_path == "/health" && get) {
    plain(response, 200, "Running");
    return;
  }
  if (is_download(head)) {
    scratch.first_hop.clear();  // a download answers its caller, never a pipeline
    download(head, response);
    return;
  }
  if (!get && !put) {
    answer_detail(response, 405, "Method Not Allowed");
    response.extra_headers = "Allow: GET, HEAD, PUT, POST\r\n";
    return;
  }
  if (raw_path.empty() || raw_path[0] != '/' ||
      !http::percent_decode(raw_path.substr(1), scratch.path)) {
    answer_detail(response, 400, "bad object path");
    return;
  }
  const auto args = http::query_param(head.query(), "etl_args");
  scratch.args.assign(args ? strip_whitespace(*args) : std::string_view());
  ObjectRef object{scratch.path, raw_path, scratch.args, false};

  scratch.first_hop.clear();
  if (const http::Header* node_url = head.find("Ais-Node-Url")) {
    if (!parse_pipeline(node_url->value, scratch.first_hop, scratch.rest_hops)) {
      answer_detail(
          response, 400,
          "Invalid pipeline header: empty entry in '" + std::string(node_url->value) + "'");
      return;
    }
  }

  if (auto fqn = http::query_param(head.query(), "etl_fqn")) {
    // The target query-encodes an already path-escaped FQN: decode once more (contract §3.1).
    // Python's unquote keeps malformed escapes verbatim; so does this.
    if (!http::percent_decode(*fqn, scratch.fqn)) scratch.fqn = *fqn;
    const FqnStatus status = config_.direct_fqn
                                 ? [&] {
                                     core::UniqueFd fd;
                                     return fqn_.resolve(scratch.fqn, scratch.normalized, fd);
                                   }()
                                 : fqn_.read(scratch.fqn, scratch.normalized, scratch.file);
    switch (status) {
      case FqnStatus::ok:
        break;
      case FqnStatus::not_found:
        answer_detail(response, 404, "FQN not found: " + scratch.fqn);
        return;
      case FqnStatus::forbidden:
        answer_detail(response, 403, "FQN outside the allowed roots: " + scratch.fqn);
        return;
      case FqnStatus::io_error:
        answer_detail(response, 500, "cannot read FQN: " + scratch.fqn);
        return;
    }
    if (config_.direct_fqn) {
      object.input_is_path = true;
      transform_into(scratch.normalized, object, response);
    } else {
      transform_into(scratch.file, object, response);
    }
    return;
  }
  if (put) {
    transform_into(request.body, object, response);
    return;
  }
  if (config_.standalone) {
    transform_into({}, object, response);
    return;
  }
  hpull(head, object, response);
}

http::Url EtlHandler::hpull_url(const ObjectRef& object) const {
  // AIS_TARGET_URL + "/" + quote(decoded path, safe="@"): '/' and '#' re-escaped (§2.1).
  http::Url url = config_.target_url;
  std::string base = url.target == "/" ? std::string() : url.target;
  if (!base.empty() && base.back() == '/') base.pop_back();
  url.target = base + "/" + http::percent_encode(object.path, "@");
  return url;
}

std::optional<server::Response> EtlHandler::open_hpull(const ObjectRef& object,
                                                       UpstreamExchange& get) {
  const http::Url url = hpull_url(object);
  UpstreamRequest request;
  request.url = &url;
  request.bearer_token = config_.authn_token;
  UpstreamResponse upstream;
  server::Response response;
  if (!get.open(request, false) || !get.read_head(upstream)) {
    answer_detail(response, 502,
                  "GET " + redact_target_url(config_.target_url_text) + " failed: " + get.error());
    return response;
  }
  if (upstream.status == 200) return std::nullopt;
  // The target's status and message pass through (404 stays 404).
  get.read_rest(upstream);
  response.status = upstream.status;
  response.content_type = "text/plain";
  response.body = std::move(upstream.body);
  return response;
}

void EtlHandler::hpull(const http::RequestHead&, const ObjectRef& object,
                       server::Response& response) {
  const http::Url url = hpull_url(object);
  UpstreamRequest get;
  get.url = &url;
  get.bearer_token = config_.authn_token;
  UpstreamResponse upstream = upstream_call(get);
  if (upstream.status == 0) {
    answer_detail(
        response, 502,
        "GET " + redact_target_url(config_.target_url_text) + " failed: " + upstream.error);
    return;
  }
  if (upstream.status != 200) {
    // The target's status and message pass through (404 stays 404).
    response.status = upstream.status;
    response.content_type = "text/plain";
    response.body = std::move(upstream.body);
    return;
  }
  scratch.file = std::move(upstream.body);
  transform_into(scratch.file, object, response);
}

bool EtlHandler::run_transform(std::string_view input, const ObjectRef& object, std::string& output,
                               std::string& error) {
  output.clear();
  try {
    if (config_.streaming) {
      MemoryReader reader(input);
      StringWriter writer(output);
      server_.transform_stream(reader, object, writer);
    } else {
      server_.transform(input, object, output);
    }
    return true;
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  return false;
}

void EtlHandler::transform_into(std::string_view input, const ObjectRef& object,
                                server::Response& response) {
  response.status = 200;
  response.content_type = server_.mime_type();
  std::string error;
  if (!run_transform(input, object, response.body, error)) {
    answer_detail(response, 500, "Processing error: " + error);
    return;
  }
  if (!scratch.first_hop.empty())
    direct_put(scratch.first_hop, scratch.rest_hops, object, response);
}

void EtlHandler::direct_put(std::string_view first_hop, std::string_view rest,
                            const ObjectRef& object, server::Response& response) {
  scratch.output.swap(response.body);  // the transformed object: the PUT's body
  answer_hop(put_to_hop(first_hop, rest, scratch.output, object), response);
}

void answer_hop(HopReply reply, server::Response& response) {
  response.extra_headers.append(reply.ais_headers);
  if (reply.own_error) {
    answer_detail(response, reply.status, reply.body);
    return;
  }
  response.status = reply.status;
  response.body = std::move(reply.body);
  if (reply.status == 204 && !reply.delivered_length.empty()) {
    response.extra_headers.append("Ais-Direct-Put-Length: ")
        .append(reply.delivered_length)
        .append("\r\n");
  }
  if (reply.status != 200) response.content_type = "text/plain";
}

std::optional<http::Url> EtlHandler::hop_request(std::string_view first_hop, std::string_view rest,
                                                 const ObjectRef& object, UpstreamRequest& put,
                                                 HopReply& reply) const {
  const std::string url_text =
      compose_direct_put_url(first_hop, config_.target_url, object.raw_path, object.etl_args);
  std::string error;
  auto url = url_text.empty() ? std::nullopt : http::parse_url(url_text, &error);
  if (!url) {
    reply.status = 400;
    reply.own_error = true;
    reply.body = "Invalid pipeline header: cannot use hop '" + std::string(first_hop) + "'" +
                 (error.empty() ? "" : ": " + error);
    return std::nullopt;
  }
  if (config_.hop_allow && !config_.hop_allow->allows(url->host, url->port)) {
    reply.status = 403;
    reply.own_error = true;
    reply.body = "direct_put to '" + std::string(first_hop) + "' refused: " + url->host_header() +
                 " is not in ANVIL_HOP_ALLOW";
    return std::nullopt;
  }
  put.method = "PUT";
  put.bearer_token = config_.authn_token;
  if (!rest.empty()) put.headers.emplace_back("Ais-Node-Url", std::string(rest));
  return url;
}

HopReply hop_reply(UpstreamResponse& hop, uint64_t sent) {
  HopReply reply;
  for (const auto& [name, value] : hop.ais_headers) {
    // Our own length is set by the caller; every other Ais-* passes up the chain (§5.9).
    if (http::syntax::iequals(name, "Ais-Direct-Put-Length")) continue;
    reply.ais_headers.append(name).append(": ").append(value).append("\r\n");
  }
  if (hop.status == 204 || (hop.status == 200 && hop.body.empty())) {
    // Delivered: the hop's length (204), or what we sent (a target's empty 200).
    const std::string* length = hop.ais_header("Ais-Direct-Put-Length");
    reply.status = 204;
    reply.delivered_length =
        hop.status == 204 ? (length ? *length : std::string()) : std::to_string(sent);
    if (reply.delivered_length == "0") reply.delivered_length.clear();
  } else {
    // An ETL stage's content (200), or the hop's error with its own status.
    reply.status = hop.status;
    reply.body = std::move(hop.body);
  }
  return reply;
}

HopReply hop_failure(const UpstreamResponse& hop, std::string_view first_hop, bool last_try,
                     bool one_shot) {
  HopReply reply;
  reply.own_error = true;
  if (hop.failure == UpstreamFailure::refused || hop.failure == UpstreamFailure::permanent) {
    reply.status = hop.failure == UpstreamFailure::refused ? 502 : 500;
    // Named as the pipeline gave it: the composed URL carries AIS_TARGET_URL's secret path.
    reply.body = "direct_put to '" + std::string(first_hop) + "' failed: " + hop.error;
  } else if (one_shot) {
    reply.status = 503;
    reply.ais_headers.append("Ais-Etl-Retry-Reason: direct-put-transient\r\n");
    reply.body = "Direct put bailed (one-shot body): " + hop.error;
  } else if (last_try) {
    reply.status = 502;
    reply.body = "Direct put failed after retries: " + hop.error;
  } else {
    reply.own_error = false;  // retry
  }
  return reply;
}

int64_t EtlHandler::retry_delay_ns(int attempt) const noexcept {
  const int64_t units = std::min<int64_t>(int64_t{1} << std::min(attempt, 5), 30);
  return units * config_.direct_put_backoff_ns;
}

HopReply EtlHandler::put_to_hop(std::string_view first_hop, std::string_view rest,
                                std::string_view data, const ObjectRef& object) {
  HopReply reply;
  UpstreamRequest put;
  const auto url = hop_request(first_hop, rest, object, put, reply);
  if (!url) return reply;
  put.url = &*url;
  put.body = data;
  // The body is in memory, so every attempt can resend it: retry transient failures with
  // backoff min(2^n, 30) (contract §5.6). A refused connection is final at once.
  for (int attempt = 0;; ++attempt) {
    UpstreamResponse hop = upstream_call(put);
    if (hop.status != 0) return hop_reply(hop, data.size());
    reply = hop_failure(hop, first_hop, attempt >= config_.direct_put_retries, false);
    if (reply.own_error) return reply;
    std::this_thread::sleep_for(std::chrono::nanoseconds(retry_delay_ns(attempt)));
  }
}

void EtlServer::transform_stream(ObjectReader&, const ObjectRef&, ObjectWriter&) {
  throw std::logic_error("this ETL server does not override transform_stream()");
}

void EtlServer::transform(std::string_view, const ObjectRef&, std::string&) {
  // run<T>() refuses at compile time a server that does not override transform(); only a
  // hand-rolled serve() call can get here.
  throw std::logic_error("this ETL server does not override transform()");
}

}  // namespace anvil::etl
