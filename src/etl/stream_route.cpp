// The object routes of a streaming server (transform_stream): the input is read in pieces
// from the request body or the FQN file, the output goes to the client as a chunked response
// whose head is sent with the first output chunk. Routes whose input or output is another
// server (hpull without FQN, direct put) run through the in-memory path for now
// (docs/sdk-guide.md, "Not yet").

#include <charconv>
#include <nlohmann/json.hpp>

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
      : exchange_(exchange), head_only_(exchange.head().method == "HEAD") {
    head_.append("HTTP/1.1 200 OK\r\nContent-Type: ").append(mime_type);
    head_.append("\r\nTransfer-Encoding: chunked\r\n");
    if (!exchange.keep_alive()) head_.append("Connection: close\r\n");
    head_.append("\r\n");
  }

  void write(std::string_view chunk) override {
    if (chunk.empty()) return;
    const std::string_view head = take_head();
    if (head_only_) {
      if (!head.empty()) send({head});
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
    send({head, head_only_ ? std::string_view() : std::string_view("0\r\n\r\n")});
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
  bool started_ = false;
  std::string head_;
};

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
  const auto fqn_param = http::query_param(head.query(), "etl_fqn");
  const http::Header* node_url = head.find("Ais-Node-Url");
  const bool has_hops = node_url != nullptr && !strip_whitespace(node_url->value).empty();
  if (has_hops || (!put && !fqn_param && !config_.standalone)) {
    // Another server is the input (hpull) or the output (direct put): answered from memory.
    std::string body;
    if (put) {
      char piece[64 * 1024];
      while (const size_t n = exchange.read_body(piece))
        body.append(piece, n);
    }
    server::Response response;
    handle_in_memory(server::Request{head, body}, response, put && !fqn_param);
    send_response(exchange, response);
    return;
  }

  const auto args = http::query_param(head.query(), "etl_args");
  const ObjectRef object{path, raw_path, args ? strip_whitespace(*args) : std::string_view(),
                         false};
  std::string fqn, normalized;
  core::UniqueFd file;
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
  FileReader file_reader(file.get(), fqn);
  BodyReader body_reader(exchange);
  MemoryReader no_input({});
  ObjectReader& input = file  ? static_cast<ObjectReader&>(file_reader)
                        : put ? static_cast<ObjectReader&>(body_reader)
                              : static_cast<ObjectReader&>(no_input);

  ClientWriter output(exchange, server_.mime_type());
  std::string error;
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
    // The status is already out: the only way left to say "failed" is to end the connection
    // without the last chunk, which every HTTP client reports as an incomplete body.
    exchange.abort();
    return;
  }
  send_detail(exchange, 500, "Processing error: " + error);
}

}  // namespace anvil::etl
