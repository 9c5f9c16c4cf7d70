// The object routes of a streaming server (transform_stream): the input is read in pieces
// from the request body, the FQN file or the AIS target's response; the output goes to the
// client as a chunked response whose head is sent with the first output chunk, or to the next
// hop as a chunked PUT (direct put, contract §5 and §7).

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "anvil/http/uri.hpp"
#include "etl_handler.hpp"
#include "stream_io.hpp"

namespace anvil::etl {

namespace {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// A whole response with a Content-Length (errors, in-memory results).
void send_response(server::StreamExchange& exchange, const server::Response& r) {
  const bool head_only = exchange.head().method == "HEAD";
  const bool bodiless = r.status == 204 || r.status == 304 || r.status < 200;
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " ";
  head.append(reason_phrase(r.status)).append("\r\n");
  if (!bodiless) {
    if (!r.body.empty() || r.status == 200)
      head.append("Content-Type: ").append(r.content_type).append("\r\n");
    head.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  }
  head.append(r.extra_headers);
  if (!exchange.keep_alive()) head.append("Connection: close\r\n");
  head.append("\r\n");
  const std::string_view pieces[] = {head, bodiless || head_only ? std::string_view() : r.body};
  exchange.write(pieces);
}

void send_detail(server::StreamExchange& exchange, int status, std::string_view text) {
  server::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = nlohmann::json{{"detail", text}}.dump();
  send_response(exchange, r);
}

// The client's chunked response. The head waits for the first output byte, so a transform
// that fails before producing anything still gets a proper 500.
class ClientWriter final : public ObjectWriter {
 public:
  ClientWriter(server::StreamExchange& exchange, std::string_view mime_type)
      : exchange_(exchange),
        head_only_(exchange.head().method == "HEAD"),
        // HTTP/1.0 has no chunked coding (RFC 9112 §7.1): the body ends with the connection.
        until_close_(exchange.head().minor_version == 0) {
    head_.append("HTTP/1.1 200 OK\r\nContent-Type: ").append(mime_type).append("\r\n");
    if (!until_close_) head_.append("Transfer-Encoding: chunked\r\n");
    if (until_close_ || !exchange.keep_alive()) head_.append("Connection: close\r\n");
    head_.append("\r\n");
  }

  void write(std::string_view chunk) override {
    if (chunk.empty()) return;
    const std::string_view head = take_head();
    if (head_only_) {
      if (!head.empty()) send({head});
      return;
    }
    if (until_close_) {
      send({head, chunk});
      return;
    }
    char size_line[24];
    auto [end, ec] = std::to_chars(size_line, size_line + 20, chunk.size(), 16);
    *end++ = '\r';
    *end++ = '\n';
    send({head, std::string_view(size_line, static_cast<size_t>(end - size_line)), chunk, "\r\n"});
  }

  // The last chunk (and the head, when the output was empty).
  void finish() {
    const std::string_view head = take_head();
    const bool last_chunk = !head_only_ && !until_close_;
    send({head, last_chunk ? std::string_view("0\r\n\r\n") : std::string_view()});
    if (until_close_) exchange_.abort();  // the close is the end of the body
  }

  bool started() const noexcept { return started_; }

 private:
  std::string_view take_head() noexcept {
    if (started_) return {};
    started_ = true;
    return head_;
  }
  void send(std::initializer_list<std::string_view> pieces) {
    exchange_.write(std::span<const std::string_view>(pieces.begin(), pieces.size()));
  }

  server::StreamExchange& exchange_;
  const bool head_only_;
  const bool until_close_;
  bool started_ = false;
  std::string head_;
};

}  // namespace

namespace {

// The PUT to the next hop, sent chunked as the transform writes (contract §7), counted for
// Ais-Direct-Put-Length.
class HopWriter final : public ObjectWriter {
 public:
  explicit HopWriter(UpstreamExchange& put) : put_(put) {}
  void write(std::string_view chunk) override {
    if (broken_) throw std::runtime_error("direct put: " + put_.error());
    if (!put_.send_chunk(chunk)) {
      broken_ = true;
      throw std::runtime_error("direct put: " + put_.error());
    }
    sent_ += chunk.size();
  }
  bool broken() const noexcept { return broken_; }
  uint64_t sent() const noexcept { return sent_; }

 private:
  UpstreamExchange& put_;
  bool broken_ = false;
  uint64_t sent_ = 0;
};

class UpstreamReader final : public ObjectReader {
 public:
  explicit UpstreamReader(UpstreamExchange& get) : get_(get) {}
  size_t read(std::span<char> buf) override { return get_.read_body(buf); }

 private:
  UpstreamExchange& get_;
};

enum class Source : uint8_t { body, file, target, none };

}  // namespace

void EtlHandler::handle_stream(server::StreamExchange& exchange) {
  const http::RequestHead& head = exchange.head();
  const std::string_view raw_path = head.path();
  const bool put = head.method == "PUT" || head.method == "POST";
  std::string path;
  if (raw_path.empty() || raw_path[0] != '/' || !http::percent_decode(raw_path.substr(1), path)) {
    send_detail(exchange, 400, "bad object path");
    return;
  }
  const auto args = http::query_param(head.query(), "etl_args");
  const ObjectRef object{path, raw_path, args ? strip_whitespace(*args) : std::string_view(),
                         false};
  std::string first_hop, rest_hops;
  if (const http::Header* node_url = head.find("Ais-Node-Url")) {
    if (!parse_pipeline(node_url->value, first_hop, rest_hops)) {
      send_detail(exchange, 400,
                  "Invalid pipeline header: empty entry in '" + std::string(node_url->value) + "'");
      return;
    }
  }

  std::string fqn, normalized;
  core::UniqueFd file;
  const auto fqn_param = http::query_param(head.query(), "etl_fqn");
  if (fqn_param) {
    // As on the buffered route: decoded once more (contract §3.1). A streaming transform
    // always reads the file's content, whatever ETL_DIRECT_FQN says (contract §6.1).
    if (!http::percent_decode(*fqn_param, fqn)) fqn = *fqn_param;
    switch (fqn_.resolve(fqn, normalized, file)) {
      case FqnStatus::ok:
        break;
      case FqnStatus::not_found:
        send_detail(exchange, 404, "FQN not found: " + fqn);
        return;
      case FqnStatus::forbidden:
        send_detail(exchange, 403, "FQN outside the allowed roots: " + fqn);
        return;
      case FqnStatus::io_error:
        send_detail(exchange, 500, "cannot read FQN: " + fqn);
        return;
    }
  }
  const Source source = fqn_param            ? Source::file
                        : put                ? Source::body
                        : config_.standalone ? Source::none
                                             : Source::target;
  FileReader file_reader(file.get(), fqn);
  BodyReader body_reader(exchange);
  MemoryReader no_input({});

  // One run of the transform; a direct put makes several when its source can be read again.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<UpstreamExchange> get;
    std::unique_ptr<UpstreamReader> target_reader;
    if (source == Source::target) {
      get = std::make_unique<UpstreamExchange>();
      if (auto failed = open_hpull(object, *get)) {
        send_response(exchange, *failed);
        return;
      }
      target_reader = std::make_unique<UpstreamReader>(*get);
    } else if (source == Source::file && attempt > 0 && ::lseek(file.get(), 0, SEEK_SET) != 0) {
      send_detail(exchange, 500, "cannot read FQN: " + fqn);
      return;
    }
    ObjectReader& input = source == Source::file     ? static_cast<ObjectReader&>(file_reader)
                          : source == Source::body   ? static_cast<ObjectReader&>(body_reader)
                          : source == Source::target ? static_cast<ObjectReader&>(*target_reader)
                                                     : static_cast<ObjectReader&>(no_input);
    std::string error;
    if (first_hop.empty()) {
      ClientWriter output(exchange, server_.mime_type());
      try {
        server_.transform_stream(input, object, output);
        output.finish();
        return;
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown exception";
      }
      if (output.started()) {
        // The status is already out: the only way left to say "failed" is to end the
        // connection without the last chunk, which HTTP clients report as an incomplete body.
        exchange.abort();
        return;
      }
      send_detail(exchange, 500, "Processing error: " + error);
      return;
    }

    HopReply reply;
    UpstreamRequest request;
    const auto url = hop_request(first_hop, rest_hops, object, request, reply);
    if (!url) {
      server::Response response;
      answer_hop(std::move(reply), response);
      send_response(exchange, response);
      return;
    }
    request.url = &*url;
    UpstreamExchange hop_put;
    HopWriter output(hop_put);
    UpstreamResponse hop;
    bool delivered = false;
    if (hop_put.open(request, true)) {
      try {
        server_.transform_stream(input, object, output);
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown exception";
      }
      if (!output.broken() && !error.empty()) {
        // The transform failed, not the hop: the unfinished PUT is dropped with the connection.
        send_detail(exchange, 500, "Processing error: " + error);
        return;
      }
      delivered = !output.broken() && hop_put.end_body() && hop_put.read_head(hop) &&
                  hop_put.read_rest(hop);
    }
    server::Response response;
    if (delivered) {
      answer_hop(hop_reply(hop, output.sent()), response);
      send_response(exchange, response);
      return;
    }
    hop.status = 0;
    hop.failure = hop_put.failure();
    hop.error = hop_put.error();
    // The request body was read once and is gone: it cannot be sent again (contract §5.6).
    reply =
        hop_failure(hop, first_hop, attempt >= config_.direct_put_retries, source == Source::body);
    if (reply.own_error) {
      answer_hop(std::move(reply), response);
      send_response(exchange, response);
      return;
    }
    std::this_thread::sleep_for(std::chrono::nanoseconds(retry_delay_ns(attempt)));
  }
}

}  // namespace anvil::etl
