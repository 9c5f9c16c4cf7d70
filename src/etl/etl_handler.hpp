#pragma once

// Private to the etl module: the AIStore ETL routes on top of the generic HTTP server.

#include <memory>
#include <optional>
#include <string>

#include "anvil/etl/etl_server.hpp"
#include "anvil/http/url.hpp"
#include "anvil/server/http_server.hpp"
#include "fqn_reader.hpp"
#include "host_allow_list.hpp"
#include "upstream_client.hpp"

namespace anvil::etl {

struct EtlConfig {
  server::ServerOptions server;
  bool standalone = false;            // no AIS target: GET /<path> transforms an empty input
  bool transform_on_workers = false;  // --workers N > 0: every transform leaves the event loop
  bool streaming = false;             // the server overrides transform_stream()
  std::string target_url_text;        // AIS_TARGET_URL
  http::Url target_url;
  std::string authn_token;                        // AIS_AUTHN_TOKEN: Bearer on outbound requests
  bool direct_fqn = false;                        // ETL_DIRECT_FQN
  int direct_put_retries = 3;                     // AIS_DIRECT_PUT_RETRIES
  int64_t direct_put_backoff_ns = 1'000'000'000;  // delay unit: min(2^n, 30) units before retry n
  // ANVIL_HOP_ALLOW: the hosts direct puts may go to; unset: any (as the reference servers).
  std::optional<HostAllowList> hop_allow;
  // ANVIL_DOWNLOAD_ALLOW: the hosts POST /download may fetch from; unset: the route is off.
  std::optional<HostAllowList> download_allow;
};

// What the first hop of a pipeline made of a direct put (contract §5.5).
struct HopReply {
  int status = 0;                // 204 delivered; 200 a stage's content; else the error status
  std::string body;              // the stage's content, or the error text
  bool own_error = false;        // the error is ours (no response from the hop), not its body
  std::string delivered_length;  // with 204: the length to report ("" when 0 or unknown)
  std::string ais_headers;       // "Name: value\r\n" lines of the hop's Ais-* fields, to pass up
};

class EtlHandler final : public server::Handler {
 public:
  EtlHandler(EtlServer& server, const EtlConfig& config, FqnReader fqn);

  server::Dispatch dispatch(const http::RequestHead& head) const noexcept override;
  void handle(const server::Request& request, server::Response& response) override;
  // Every object route of a streaming server (stream_route.cpp).
  void handle_stream(server::StreamExchange& exchange) override;
  // The hpull GET of a streamed object: nullopt when it is open and answered 200 (its body is
  // the input), else the response to give the client (the target's error, or 502).
  std::optional<server::Response> open_hpull(const ObjectRef& object, UpstreamExchange& get);
  std::unique_ptr<server::UpgradedSession> upgrade(const http::RequestHead& head,
                                                   server::Response& response) override;

  // Shared by the HTTP routes and the WebSocket session.
  // Runs the user's transform (a streaming server's over the bytes in memory); false (with
  // `error` set) when it threw.
  bool run_transform(std::string_view input, const ObjectRef& object, std::string& output,
                     std::string& error);
  // Sends `data` to the first hop with retries (§5.6) and reports what came back.
  HopReply put_to_hop(std::string_view first_hop, std::string_view rest, std::string_view data,
                      const ObjectRef& object);
  // The PUT to the first hop, but its body: the URL (nullopt, with `reply` the 400 when the
  // hop is unusable, the 403 when ANVIL_HOP_ALLOW leaves it out), method, token and the rest of
  // the pipeline.
  std::optional<http::Url> hop_request(std::string_view first_hop, std::string_view rest,
                                       const ObjectRef& object, UpstreamRequest& put,
                                       HopReply& reply) const;
  // The delay before retry `attempt` (0-based): min(2^n, 30) backoff units (§5.6).
  int64_t retry_delay_ns(int attempt) const noexcept;
  const FqnReader& fqn() const noexcept { return fqn_; }
  const EtlConfig& config() const noexcept { return config_; }
  EtlServer& user_server() noexcept { return server_; }

 private:
  void transform_into(std::string_view input, const ObjectRef& object, server::Response& response);
  http::Url hpull_url(const ObjectRef& object) const;
  void hpull(const http::RequestHead& head, const ObjectRef& object, server::Response& response);
  // POST /download (download_route.cpp): fetch original_url, transform, answer the result.
  void download(const http::RequestHead& head, server::Response& response);
  // Sends the transformed object to the first hop and answers as the contract's state
  // machine says (§5.3-5.6): 204 + Ais-Direct-Put-Length, a hop's content, or its error.
  void direct_put(std::string_view first_hop, std::string_view rest, const ObjectRef& object,
                  server::Response& response);

  EtlServer& server_;
  const EtlConfig& config_;
  FqnReader fqn_;
};

// What a hop's response means (§5.5); `sent` is the byte count of the body we sent.
HopReply hop_reply(UpstreamResponse& hop, uint64_t sent);
// What a PUT that got no response means (§5.6): own_error false when it is to be retried.
HopReply hop_failure(const UpstreamResponse& hop, std::string_view first_hop, bool last_try,
                     bool one_shot);
// The client's answer to a direct put: 204 + Ais-Direct-Put-Length, content, or the error.
void answer_hop(HopReply reply, server::Response& response);

// Splits an Ais-Node-Url value (contract §5.2): empty or blank -> no hops; any empty entry ->
// false (answered 400 "Invalid pipeline header"); else the first hop and the rest, trimmed.
bool parse_pipeline(std::string_view value, std::string& first, std::string& rest);

// POST /download (Go framework parity, contract §2): the exact path, no other method.
inline bool is_download(const http::RequestHead& head) noexcept {
  return head.method == "POST" && head.path() == "/download";
}

// FastAPI's error shape {"detail": text}, which the contract says to follow where the reference
// servers differ.
void answer_detail(server::Response& response, int status, std::string_view text);

// Python's str.strip(): the reference servers strip etl_args on every route, WebSocket included.
std::string_view strip_whitespace(std::string_view s);

// AIS_TARGET_URL with the per-ETL secret (/v1/etl/_object/<etl>/<secret>) replaced by "***",
// for logs and error bodies (AIS records error bodies in the job's errors).
std::string redact_target_url(std::string url);

// The URL a direct put goes to (contract §5.3): the scheme of AIS_TARGET_URL, the hop's
// host:port; a hop with a path (a destination target) gets AIS_TARGET_URL's path before it,
// a hop without one (an ETL stage) gets the object's own raw path; the hop's query is kept and
// etl_args, when non-empty, replaces any it had. Paths stay percent-encoded as received.
// Empty when the hop is not an http(s) URL.
std::string compose_direct_put_url(std::string_view hop, const http::Url& target,
                                   std::string_view raw_object_path, std::string_view etl_args);

}  // namespace anvil::etl
