#include "upstream_client.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "anvil/core/socket.hpp"
#include "anvil/http/request_builder.hpp"
#include "anvil/http/response_parser.hpp"

namespace anvil::etl {

namespace {

// The reference servers set no outbound timeout; a dead peer must still not pin a worker
// forever, so a long inactivity limit applies.
constexpr int kInactivityMs = 300'000;

bool wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, kInactivityMs);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

UpstreamResponse failure(UpstreamFailure kind, std::string what) {
  UpstreamResponse r;
  r.failure = kind;
  r.error = std::move(what);
  return r;
}

UpstreamResponse connect_failure(int error) {
  return failure(error == ECONNREFUSED ? UpstreamFailure::refused : UpstreamFailure::transient,
                 std::string("ConnectionError: ") + std::strerror(error));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

const std::string* UpstreamResponse::ais_header(std::string_view name) const {
  for (const auto& [n, v] : ais_headers) {
    if (iequals(n, name)) return &v;
  }
  return nullptr;
}

UpstreamResponse upstream_call(const UpstreamRequest& call) {
  const http::Url& url = *call.url;
  if (url.tls())
    return failure(UpstreamFailure::permanent, "https upstreams are not supported by this build");
  core::SocketAddress address;
  try {
    address = core::resolve(url.host, url.port);
  } catch (const std::exception& e) {
    return failure(UpstreamFailure::transient, std::string("ConnectionError: ") + e.what());
  }
  int error = 0;
  core::UniqueFd fd = core::start_connect(address, error);
  if (!fd) return connect_failure(error);
  if (!wait_for(fd.get(), POLLOUT))
    return failure(UpstreamFailure::transient, "ConnectionError: connect timed out");
  if ((error = core::finish_connect(fd.get())) != 0) return connect_failure(error);

  http::RequestSpec spec;
  spec.method = std::string(call.method);
  spec.target = url.target;
  spec.headers = call.headers;
  if (!call.bearer_token.empty())
    spec.headers.emplace_back("Authorization", "Bearer " + std::string(call.bearer_token));
  spec.body.assign(call.body);  // one copy per outbound request: the worker path, not the loop's
  const std::string request = http::serialize_request(spec, url, false);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN && wait_for(fd.get(), POLLOUT)) continue;
      if (errno == EINTR) continue;
      return failure(UpstreamFailure::transient,
                     std::string("WriteError: ") + std::strerror(errno));
    }
    sent += static_cast<size_t>(n);
  }

  http::ResponseParser parser;
  parser.start(false);
  UpstreamResponse response;
  std::string buffer(64 * 1024, '\0');
  size_t begin = 0, end = 0;
  for (;;) {
    // Parse what we have; the head must be contiguous, the body is copied out as it comes.
    while (true) {
      const auto step = parser.next(std::string_view(buffer.data() + begin, end - begin));
      begin += step.consumed;
      using Event = http::ResponseParser::Event;
      if (step.event == Event::head) {
        const http::ResponseHead& head = parser.head();
        response.status = head.status;
        response.has_content_length = head.framing == http::BodyFraming::content_length;
        for (const http::Header& h : head.headers()) {
          if (h.name.size() > 4 && iequals(h.name.substr(0, 4), "ais-")) {
            response.ais_headers.emplace_back(std::string(h.name), std::string(h.value));
          }
        }
      } else if (step.event == Event::body) {
        response.body.append(step.body);
      } else if (step.event == Event::complete) {
        response.body.append(step.body);
        return response;
      } else if (step.event == Event::error) {
        return failure(UpstreamFailure::transient,
                       std::string("RemoteProtocolError: ") + http::to_string(parser.error()));
      } else {
        break;
      }
    }
    if (begin == end) begin = end = 0;
    if (end == buffer.size()) {
      if (begin == 0)
        return failure(UpstreamFailure::transient, "RemoteProtocolError: head too large");
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (!wait_for(fd.get(), POLLIN)) return failure(UpstreamFailure::transient, "ReadTimeout");
    const ssize_t n = ::recv(fd.get(), buffer.data() + end, buffer.size() - end, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return failure(UpstreamFailure::transient, std::string("ReadError: ") + std::strerror(errno));
    }
    if (n == 0) {
      const auto step = parser.finish_eof();
      if (step.event == http::ResponseParser::Event::complete) {
        response.body.append(step.body);
        return response;
      }
      return failure(UpstreamFailure::transient,
                     "RemoteProtocolError: connection closed before the response was complete");
    }
    end += static_cast<size_t>(n);
  }
}

}  // namespace anvil::etl
