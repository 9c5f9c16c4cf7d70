// POST /download?original_url=<url>&object_to=<name>[&etl_args=...]: the AIS download job's
// route (contract §2, Go framework only). The server fetches original_url itself, so the route
// is an open proxy for whoever can reach the pod unless limited: it is off until
// ANVIL_DOWNLOAD_ALLOW names the hosts it may fetch from ("*" for any).
#include <string>

#include "anvil/http/uri.hpp"
#include "etl_handler.hpp"
#include "upstream_client.hpp"

namespace anvil::etl {
namespace {

// scheme://host[:port]/path: the query of a presigned URL is a credential, kept out of replies.
std::string without_query(const http::Url& url) {
  std::string text = url.to_string();
  const size_t authority = text.find("://");
  const size_t query = text.find('?', authority == std::string::npos ? 0 : authority + 3);
  if (query != std::string::npos) text.resize(query);
  return text;
}

}  // namespace

void EtlHandler::download(const http::RequestHead& head, server::Response& response) {
  if (!config_.download_allow) {
    answer_detail(response, 403,
                  "POST /download is off: set ANVIL_DOWNLOAD_ALLOW to the hosts it may fetch "
                  "from");
    return;
  }
  const auto link = http::query_param(head.query(), "original_url");
  const auto object_name = http::query_param(head.query(), "object_to");
  if (!link || link->empty() || !object_name || object_name->empty()) {
    answer_detail(response, 400, "object_to and original_url query parameters are required");
    return;
  }
  std::string error;
  const auto url = http::parse_url(*link, &error);
  if (!url) {
    answer_detail(response, 400, "original_url: " + error);
    return;
  }
  if (!config_.download_allow->allows(url->host, url->port)) {
    answer_detail(response, 403,
                  "original_url host " + url->host_header() + " is not in ANVIL_DOWNLOAD_ALLOW");
    return;
  }
  UpstreamRequest get;
  get.url = &*url;
  // No bearer token: AIS_AUTHN_TOKEN is for the cluster, never for a third-party host.
  UpstreamResponse source = upstream_call(get);
  if (source.status == 0) {
    answer_detail(response, 502, "GET " + without_query(*url) + " failed: " + source.error);
    return;
  }
  if (source.status != 200) {
    // The source's status and message pass through, as hpull does with the target's.
    response.status = source.status;
    response.content_type = "text/plain";
    response.body = std::move(source.body);
    return;
  }
  const auto args = http::query_param(head.query(), "etl_args");
  const std::string etl_args(args ? strip_whitespace(*args) : std::string_view());
  const std::string raw_path = "/" + http::percent_encode(*object_name, "/@");
  const ObjectRef object{*object_name, raw_path, etl_args, false};
  transform_into(source.body, object, response);
}

}  // namespace anvil::etl
