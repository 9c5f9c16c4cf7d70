// AIStore's ws:// communication (contract §4): per object a control message (JSON: pipeline,
// etl_args, fqn, path), then a data message unless fqn is set; exactly one reply per object,
// in order: binary = the transformed bytes, text = a direct-put acknowledgement.

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "anvil/http/uri.hpp"
#include "anvil/ws/frame.hpp"
#include "anvil/ws/handshake.hpp"
#include "anvil/ws/message_reader.hpp"
#include "etl_handler.hpp"

namespace anvil::etl {

namespace {

std::string_view field(const http::RequestHead& head, std::string_view name) {
  const http::Header* h = head.find(name);
  return h ? h->value : std::string_view();
}

class WsSession final : public server::UpgradedSession {
 public:
  WsSession(EtlHandler& handler, std::string accept)
      : handler_(handler), accept_(std::move(accept)) {}

  void run(int fd, std::string pending) override {
    fd_ = fd;
    const std::string hello = ws::switching_protocols_response(accept_);
    if (!send_all(hello.data(), hello.size())) return;
    std::vector<char> buffer(256 * 1024);
    size_t begin = 0, end = std::min(pending.size(), buffer.size());
    std::copy_n(pending.data(), end, buffer.data());
    ws::MessageReader reader(ws::Role::server);
    // Read only when the reader asks for more: it may still owe events (the end of a message)
    // for bytes it has already consumed.
    bool need_read = end == 0;
    for (;;) {
      if (need_read) {
        need_read = false;
        begin = end = 0;
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the target went away, or the server is shutting down
        end = static_cast<size_t>(n);
      }
      const auto step = reader.next(std::span<char>(buffer.data() + begin, end - begin));
      begin += step.consumed;
      using Event = ws::MessageReader::Event;
      switch (step.event) {
        case Event::need_more:
          begin = end;
          need_read = true;
          break;
        case Event::message_start:
          message_.clear();
          break;
        case Event::data:
          message_.append(step.data.data(), step.data.size());
          break;
        case Event::message_end:
          if (!on_message()) return;
          break;
        case Event::ping:
          send_frame(ws::Opcode::pong, std::string_view(step.data.data(), step.data.size()));
          break;
        case Event::pong:
          break;
        case Event::close: {
          // Echo the peer's code (RFC 6455 §5.5.1) and end.
          char payload[ws::kMaxControlPayload];
          const uint16_t code = reader.close_code() == 0 ? uint16_t{1000} : reader.close_code();
          const size_t n =
              ws::encode_close_payload(std::span<char, ws::kMaxControlPayload>(payload), code, "");
          send_frame(ws::Opcode::close, std::string_view(payload, n));
          return;
        }
        case Event::error: {
          char payload[ws::kMaxControlPayload];
          const size_t n = ws::encode_close_payload(
              std::span<char, ws::kMaxControlPayload>(payload), ws::close_code_for(reader.error()),
              ws::to_string(reader.error()));
          send_frame(ws::Opcode::close, std::string_view(payload, n));
          return;
        }
      }
    }
  }

 private:
  // One complete message: a control message, or the data message that follows one.
  bool on_message() {
    if (!awaiting_data_) {
      auto control = nlohmann::json::parse(message_, nullptr, /*allow_exceptions=*/false);
      if (!control.is_object()) return reply_text("Invalid control message: not a JSON object");
      auto text = [&](const char* key) {
        auto it = control.find(key);
        return it != control.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      pipeline_ = text("pipeline");
      args_ = std::string(strip_whitespace(text("etl_args")));
      path_ = text("path");
      const std::string fqn = text("fqn");
      if (fqn.empty()) {
        awaiting_data_ = true;  // the object comes in the next message
        return true;
      }
      // fqn is url.PathEscape(FQN) (§4.2): decode it once.
      std::string decoded;
      if (!http::percent_decode(fqn, decoded)) decoded = fqn;
      std::string normalized, content;
      const EtlConfig& config = handler_.config();
      const FqnStatus status = config.direct_fqn ? [&] {
        core::UniqueFd file;
        return handler_.fqn().resolve(decoded, normalized, file);
      }()
                                                 : handler_.fqn().read(decoded, normalized, content);
      if (status != FqnStatus::ok) {
        // FastAPI drops the connection here (§4.3); a reply keeps the stream in step instead.
        return reply_text("FQN error: cannot read " + decoded);
      }
      return process(config.direct_fqn ? std::string_view(normalized) : std::string_view(content),
                     config.direct_fqn);
    }
    awaiting_data_ = false;
    return process(message_, false);
  }

  bool process(std::string_view input, bool input_is_path) {
    ObjectRef object{path_, path_, args_, input_is_path};
    std::string error;
    if (!handler_.run_transform(input, object, output_, error))
      return reply_text("Transform error: " + error);
    std::string first, rest;
    if (!parse_pipeline(pipeline_, first, rest))
      return reply_text("Invalid pipeline header: empty entry in '" + pipeline_ + "'");
    if (first.empty()) return send_frame(ws::Opcode::binary, output_);
    // A ws control message carries the object name only; the hop path comes from the hop or
    // the object name, as FastAPI's WS path does.
    const std::string raw_path = "/" + http::percent_encode(path_, "/@");
    ObjectRef hop_object{path_, raw_path, args_, input_is_path};
    HopReply reply = handler_.put_to_hop(first, rest, output_, hop_object);
    if (reply.status == 200) return send_frame(ws::Opcode::binary, reply.body);
    // Text means "handled by direct put": the delivered length, "0" when it failed (FastAPI).
    if (reply.status == 204)
      return reply_text(reply.delivered_length.empty() ? std::string("0") : reply.delivered_length);
    return reply_text("0");
  }

  bool reply_text(const std::string& text) { return send_frame(ws::Opcode::text, text); }

  bool send_frame(ws::Opcode opcode, std::string_view payload) {
    char header[ws::kMaxFrameHeaderSize];
    const size_t header_size = ws::encode_frame_header(
        std::span<char, ws::kMaxFrameHeaderSize>(header), opcode, true, payload.size());
    iovec iov[2] = {{header, header_size}, {const_cast<char*>(payload.data()), payload.size()}};
    size_t total = header_size + payload.size(), done = 0;
    while (done < total) {
      // Skip what is already written across the two pieces.
      iovec rest[2];
      int count = 0;
      size_t skip = done;
      for (auto& piece : iov) {
        if (skip >= piece.iov_len) {
          skip -= piece.iov_len;
          continue;
        }
        rest[count++] = {static_cast<char*>(piece.iov_base) + skip, piece.iov_len - skip};
        skip = 0;
      }
      msghdr msg{};
      msg.msg_iov = rest;
      msg.msg_iovlen = static_cast<size_t>(count);
      const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  bool send_all(const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  EtlHandler& handler_;
  std::string accept_;
  int fd_ = -1;
  std::string message_;
  std::string output_;
  bool awaiting_data_ = false;
  std::string pipeline_, args_, path_;
};

}  // namespace

std::unique_ptr<server::UpgradedSession> EtlHandler::upgrade(const http::RequestHead& head,
                                                             server::Response& response) {
  response.close = true;
  if (head.path() != "/ws") {
    response.status = 404;
    response.body = "WebSocket is served on /ws";
    return nullptr;
  }
  const std::string_view version = head.minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
  const ws::UpgradeRequest request{head.method,
                                   version,
                                   field(head, "Upgrade"),
                                   field(head, "Connection"),
                                   field(head, "Sec-WebSocket-Version"),
                                   field(head, "Sec-WebSocket-Key")};
  const ws::HandshakeError error = ws::check_upgrade(request);
  if (error != ws::HandshakeError::none) {
    response.status = ws::rejection_status(error);
    response.body = ws::to_string(error);
    if (response.status == 426) response.extra_headers = "Sec-WebSocket-Version: 13\r\n";
    return nullptr;
  }
  auto accept = ws::accept_key(request.key);
  if (!accept) {
    response.status = 400;
    response.body = "bad Sec-WebSocket-Key";
    return nullptr;
  }
  return std::make_unique<WsSession>(*this, std::move(*accept));
}

}  // namespace anvil::etl
