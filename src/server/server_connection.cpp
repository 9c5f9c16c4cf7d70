#include "server_connection.hpp"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "anvil/core/clock.hpp"
#include "server_loop.hpp"
#include "status_text.hpp"

namespace anvil::server {

namespace {

constexpr size_t kInitialBuffer = 16 * 1024;
constexpr size_t kReadChunk = 16 * 1024;
// Responses of a pipelined burst are batched into one write up to this size.
constexpr size_t kFlushThreshold = 256 * 1024;
// A response body at least this large is written from where the handler left it (a second
// iovec) instead of being copied behind its head.
constexpr size_t kSeparateBody = 32 * 1024;
// Bodies announced up to this size are reserved at once, so joining their pieces never
// reallocates; larger ones grow as they come.
constexpr uint64_t kReserveBodyUpTo = 64 << 20;

void append_number(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, static_cast<size_t>(end - digits));
}

}  // namespace

ServerConnection::ServerConnection(ServerLoop& loop, core::UniqueFd fd, int64_t now)
    : loop_(loop),
      fd_(std::move(fd)),
      phase_started_ns_(now),
      last_progress_ns_(now),
      buffer_(new char[kInitialBuffer]),
      capacity_(kInitialBuffer),
      parser_(loop.options().limits) {
  int one = 1;
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (loop_.events().add(fd_.get(), EPOLLIN, this) != 0) fd_.reset();
}

ServerConnection::~ServerConnection() {
  close();
}

void ServerConnection::close() noexcept {
  if (!fd_) return;
  loop_.events().remove(fd_.get());
  fd_.reset();
}

void ServerConnection::set_interest(bool write) noexcept {
  if (write == want_write_ || !fd_) return;
  want_write_ = write;
  loop_.events().modify(fd_.get(), write ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
}

void ServerConnection::on_io(uint32_t events) {
  if (!fd_ || phase_ == Phase::busy) return;
  const int64_t now = core::monotonic_ns();
  if (events & EPOLLOUT) {
    flush();
    if (!fd_) {
      loop_.retire(this);
      return;
    }
    // Output drained: requests that waited behind it can be parsed now.
    if (output_drained() && end_ > begin_) process(now);
  }
  if (fd_ && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) read_ready(now);
  if (!fd_) loop_.retire(this);
}

bool ServerConnection::make_room() {
  if (end_ < capacity_) return true;
  if (begin_ > anchor_) {
    // Keep the current request's head (below anchor_) where its views point.
    std::memmove(buffer_.get() + anchor_, buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_ - anchor_;
    begin_ = anchor_;
    return true;
  }
  const size_t limit = loop_.options().limits.max_head_bytes + kReadChunk;
  if (capacity_ >= limit) return false;
  // A head larger than the buffer (or one that filled it exactly) gets here; grow once, to
  // the head limit plus room to read.
  std::unique_ptr<char[]> bigger(new char[limit]);
  std::memcpy(bigger.get(), buffer_.get(), end_);
  if (phase_ == Phase::body || streaming_) parser_.rebase(buffer_.get(), bigger.get());
  buffer_ = std::move(bigger);
  capacity_ = limit;
  return true;
}

void ServerConnection::read_ready(int64_t now) {
  for (;;) {
    if (!make_room()) {
      reject(431, now);
      return;
    }
    const size_t room = capacity_ - end_;
    const ssize_t n = ::read(fd_.get(), buffer_.get() + end_, room);
    if (n == 0) {
      // The client is gone. A request it did not finish sending is dropped; a response it
      // will never read is not written.
      close();
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      close();
      return;
    }
    end_ += static_cast<size_t>(n);
    last_progress_ns_ = now;
    process(now);
    if (!fd_ || phase_ == Phase::busy) return;
    if (static_cast<size_t>(n) < room) return;
  }
}

void ServerConnection::process(int64_t now) {
  using Event = http::RequestParser::Event;
  // A large body waiting to be written holds back later responses (they must follow it).
  while (fd_ && phase_ != Phase::busy && big_body_.empty()) {
    if (phase_ == Phase::idle) {
      if (end_ == begin_) break;
      phase_ = Phase::head;
      phase_started_ns_ = now;
    }
    const auto step = parser_.next(std::string_view(buffer_.get() + begin_, end_ - begin_));
    begin_ += step.consumed;
    switch (step.event) {
      case Event::need_more:
        goto done;
      case Event::head:
        anchor_ = begin_;
        on_head(now);
        break;
      case Event::body:
        // A piece of a body still arriving: the read buffer will be reused, so copy it.
        body_pieces_ = true;
        body_.append(step.body);
        break;
      case Event::complete:
        // A body that arrived whole is used in place (no copy): nothing moves the read
        // buffer before the response is made.
        if (body_pieces_) {
          body_.append(step.body);
        } else {
          body_view_ = step.body;
        }
        finish_request(now);
        break;
      case Event::error:
        reject(parser_.error_status(), now);
        return;
    }
  }
done:
  if (fd_ && phase_ != Phase::busy && begin_ == end_ && anchor_ == 0) begin_ = end_ = 0;
  if (fd_ && !output_drained()) flush();
}

void ServerConnection::on_head(int64_t now) {
  phase_ = Phase::body;
  phase_started_ns_ = now;
  body_view_ = {};
  body_pieces_ = false;
  body_.clear();
  const http::RequestHead& head = parser_.head();
  if (head.framing == http::BodyFraming::content_length &&
      head.content_length > capacity_ - begin_ && head.content_length <= kReserveBodyUpTo) {
    body_.reserve(head.content_length);
  }
  if (head.expect_continue && head.framing != http::BodyFraming::none) {
    // RFC 9110 §10.1.1: tell the client to send the body it is holding back.
    out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    flush();
  }
  if (fd_ && loop_.streams() != nullptr && !head.upgrade_websocket &&
      loop_.handler().dispatch(head) == Dispatch::stream) {
    start_stream(now);
  }
}

void ServerConnection::start_stream(int64_t now) {
  phase_ = Phase::busy;
  phase_started_ns_ = now;
  streaming_ = true;
  stream_failed_ = false;
  stream_body_done_ = parser_.head().framing == http::BodyFraming::none;
  stream_pending_ = {};
  // The stream thread owns the socket until it is done: blocking I/O, bounded by the body
  // timeout so a stalled client cannot hold a stream thread forever.
  loop_.events().remove(fd_.get());
  want_write_ = false;
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  ::fcntl(fd_.get(), F_SETFL, flags & ~O_NONBLOCK);
  const int64_t limit_ns = loop_.options().body_timeout_ns;
  timeval limit{static_cast<time_t>(limit_ns / 1'000'000'000),
                static_cast<suseconds_t>(limit_ns % 1'000'000'000 / 1000)};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  loop_.streams()->submit(this, &loop_);
}

void ServerConnection::run_stream() noexcept {
  try {
    // Earlier pipelined responses and a 100 Continue that did not fit the socket go first.
    if (!output_drained()) {
      const std::string_view pieces[] = {std::string_view(out_).substr(out_offset_),
                                         std::string_view(big_body_).substr(big_offset_)};
      write(pieces);
      out_.clear();
      out_offset_ = 0;
      big_body_.clear();
      big_offset_ = 0;
    }
    loop_.handler().handle_stream(*this);
  } catch (const std::exception&) {
    stream_failed_ = true;  // the client is gone or the handler broke: nothing more to say
  }
  // The next request starts after this body: read what the handler left (bounded by the body
  // timeout); a body that cannot be finished closes the connection.
  if (!stream_failed_) {
    try {
      char sink[16 * 1024];
      while (read_body(sink) > 0) {
      }
    } catch (const std::exception&) {
      stream_failed_ = true;
    }
  }
}

size_t ServerConnection::read_body(std::span<char> buf) {
  using Event = http::RequestParser::Event;
  for (;;) {
    if (!stream_pending_.empty()) {
      const size_t n = std::min(buf.size(), stream_pending_.size());
      std::memcpy(buf.data(), stream_pending_.data(), n);
      stream_pending_.remove_prefix(n);
      return n;
    }
    if (stream_body_done_ || buf.empty()) return 0;
    const auto step = parser_.next(std::string_view(buffer_.get() + begin_, end_ - begin_));
    begin_ += step.consumed;
    switch (step.event) {
      case Event::body:
        stream_pending_ = step.body;
        continue;
      case Event::complete:
        stream_pending_ = step.body;
        stream_body_done_ = true;
        continue;
      case Event::error:
        stream_failed_ = true;
        throw std::runtime_error(std::string("bad request body: ") +
                                 std::string(http::to_string(parser_.error())));
      case Event::head:
      case Event::need_more:
        break;
    }
    // Every handed-out byte is consumed, so the buffer past the head can be reused.
    if (begin_ == end_) begin_ = end_ = anchor_;
    if (!make_room()) {
      stream_failed_ = true;
      throw std::runtime_error("bad request body: chunk line too long");
    }
    const ssize_t n = ::recv(fd_.get(), buffer_.get() + end_, capacity_ - end_, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      stream_failed_ = true;
      throw std::runtime_error(errno == EAGAIN || errno == EWOULDBLOCK
                                   ? "request body timed out"
                                   : std::string("request body: ") + std::strerror(errno));
    }
    if (n == 0) {
      const auto last = parser_.finish_eof();
      if (last.event == Event::complete) {
        stream_pending_ = last.body;
        stream_body_done_ = true;
        continue;
      }
      stream_failed_ = true;
      throw std::runtime_error("the client closed the connection before the body ended");
    }
    end_ += static_cast<size_t>(n);
  }
}

void ServerConnection::write(std::span<const std::string_view> pieces) {
  constexpr size_t kMaxPieces = 8;
  iovec iov[kMaxPieces];
  size_t count = 0;
  for (std::string_view piece : pieces) {
    if (piece.empty()) continue;
    if (count == kMaxPieces) throw std::logic_error("StreamExchange::write: too many pieces");
    iov[count++] = {const_cast<char*>(piece.data()), piece.size()};
  }
  iovec* next = iov;
  while (count > 0) {
    msghdr message{};
    message.msg_iov = next;
    message.msg_iovlen = count;
    const ssize_t n = ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      stream_failed_ = true;
      throw std::runtime_error(std::string("client connection lost: ") + std::strerror(errno));
    }
    size_t written = static_cast<size_t>(n);
    while (count > 0 && written >= next->iov_len) {
      written -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + written;
      next->iov_len -= written;
    }
  }
}

bool ServerConnection::keep_alive() const noexcept {
  return parser_.head().keep_alive && !stream_failed_;
}

void ServerConnection::finish_stream(int64_t now) {
  streaming_ = false;
  stream_pending_ = {};
  if (stream_failed_ || !parser_.head().keep_alive || close_after_write_) {
    // Half-close first so the client reads what was sent (RFC 9112 §9.6).
    ::shutdown(fd_.get(), SHUT_WR);
    close();
    loop_.retire(this);
    return;
  }
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
  phase_ = Phase::idle;
  anchor_ = 0;
  parser_.start();
  if (loop_.events().add(fd_.get(), EPOLLIN, this) != 0) {
    close();
    loop_.retire(this);
    return;
  }
  last_progress_ns_ = now;
  if (begin_ == end_) begin_ = end_ = 0;
  // Pipelined requests that arrived with the body are already in the buffer.
  if (end_ > begin_) process(now);
  if (!fd_) loop_.retire(this);
}

void ServerConnection::finish_request(int64_t now) {
  const http::RequestHead& head = parser_.head();
  response_.reset();
  Handler& handler = loop_.handler();
  if (head.upgrade_websocket) {
    std::unique_ptr<UpgradedSession> session = handler.upgrade(head, response_);
    if (session) {
      // The connection leaves HTTP: its own thread takes the socket and what is buffered.
      loop_.events().remove(fd_.get());
      std::string pending(buffer_.get() + begin_, end_ - begin_);
      const int flags = ::fcntl(fd_.get(), F_GETFL);
      ::fcntl(fd_.get(), F_SETFL, flags & ~O_NONBLOCK);
      if (!out_.empty()) flush();  // responses to earlier pipelined requests go first
      loop_.sessions()->start(std::move(session), std::move(fd_), std::move(pending));
      return;
    }
    response_.close = true;
    append_response(head);
    phase_ = Phase::idle;
    close_after_write_ = true;
    flush();
    return;
  }
  if (loop_.pool() != nullptr && handler.dispatch(head) == Dispatch::worker) {
    phase_ = Phase::busy;
    phase_started_ns_ = now;
    // No events while a worker holds the request: the connection neither reads nor writes.
    loop_.events().remove(fd_.get());
    want_write_ = false;
    loop_.pool()->submit(this, &loop_);
    return;
  }
  run_handler();
  append_response(head);
  phase_ = Phase::idle;
  anchor_ = 0;
  parser_.start();
  if (response_.close || !head.keep_alive) close_after_write_ = true;
  if (out_.size() >= kFlushThreshold || close_after_write_ || !big_body_.empty()) flush();
}

void ServerConnection::run_handler() noexcept {
  if (streaming_) {
    run_stream();
    return;
  }
  const Request request{parser_.head(), body_pieces_ ? std::string_view(body_) : body_view_};
  try {
    loop_.handler().handle(request, response_);
  } catch (const std::exception& e) {
    response_.reset();
    response_.status = 500;
    response_.body = std::string("internal error: ") + e.what();
  } catch (...) {
    response_.reset();
    response_.status = 500;
    response_.body = "internal error";
  }
}

void ServerConnection::on_worker_done(int64_t now) {
  if (!fd_) return;
  if (streaming_) {
    finish_stream(now);
    return;
  }
  const http::RequestHead& head = parser_.head();
  append_response(head);
  phase_ = Phase::idle;
  anchor_ = 0;
  parser_.start();
  if (response_.close || !head.keep_alive) close_after_write_ = true;
  if (loop_.events().add(fd_.get(), EPOLLIN, this) != 0) {
    close();
    loop_.retire(this);
    return;
  }
  last_progress_ns_ = now;
  flush();
  // Pipelined requests that arrived while the worker ran are already in the buffer.
  if (fd_ && output_drained()) process(now);
  if (!fd_) loop_.retire(this);
}

void ServerConnection::append_response(const http::RequestHead& head) {
  const Response& r = response_;
  out_.append("HTTP/1.1 ");
  append_number(out_, static_cast<uint64_t>(r.status));
  out_.push_back(' ');
  out_.append(status_text(r.status));
  out_.append("\r\n");
  // RFC 9110 §8.6: no Content-Length in 1xx and 204 responses; 304 has no body.
  const bool bodiless_status = r.status == 204 || r.status == 304 || r.status < 200;
  if (!bodiless_status) {
    if (!r.body.empty() || r.status == 200) {
      out_.append("Content-Type: ");
      out_.append(r.content_type);
      out_.append("\r\n");
    }
    out_.append("Content-Length: ");
    append_number(out_, r.body.size());
    out_.append("\r\n");
  }
  out_.append(r.extra_headers);
  if (r.close || !head.keep_alive) {
    out_.append("Connection: close\r\n");
  } else if (head.minor_version == 0) {
    out_.append("Connection: keep-alive\r\n");  // HTTP/1.0 closes unless told (RFC 9112 §9.3)
  }
  out_.append("\r\n");
  // RFC 9110 §9.3.2: HEAD gets the headers GET would have, without the content.
  if (bodiless_status || head.method == "HEAD") return;
  if (r.body.size() >= kSeparateBody) {
    // Swapped, not copied: the handler's buffer goes out as is and comes back empty, with
    // the capacity of the previous large body, for the next request.
    big_body_.swap(response_.body);
  } else {
    out_.append(r.body);
  }
}

void ServerConnection::reject(int status, int64_t now) {
  (void)now;
  // The framing is lost (or the client is abusive): answer and close (RFC 9112 §9.6).
  response_.reset();
  response_.status = status;
  response_.body = status_text(status);
  response_.close = true;
  out_.append("HTTP/1.1 ");
  append_number(out_, static_cast<uint64_t>(status));
  out_.push_back(' ');
  out_.append(status_text(status));
  out_.append("\r\nContent-Type: text/plain\r\nContent-Length: ");
  append_number(out_, response_.body.size());
  out_.append("\r\nConnection: close\r\n\r\n");
  out_.append(response_.body);
  close_after_write_ = true;
  phase_ = Phase::idle;
  flush();
}

void ServerConnection::flush() {
  while (out_offset_ < out_.size() || big_offset_ < big_body_.size()) {
    iovec iov[2];
    int count = 0;
    if (out_offset_ < out_.size())
      iov[count++] = {out_.data() + out_offset_, out_.size() - out_offset_};
    if (big_offset_ < big_body_.size())
      iov[count++] = {big_body_.data() + big_offset_, big_body_.size() - big_offset_};
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<size_t>(count);
    const ssize_t n = ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        set_interest(true);
        return;
      }
      close();
      return;
    }
    size_t written = static_cast<size_t>(n);
    const size_t from_head = std::min(written, out_.size() - out_offset_);
    out_offset_ += from_head;
    big_offset_ += written - from_head;
  }
  out_.clear();
  out_offset_ = 0;
  big_body_.clear();
  big_offset_ = 0;
  set_interest(false);
  if (close_after_write_) {
    // Half-close first so the client reads the whole response before the reset a close with
    // unread input would cause (RFC 9112 §9.6).
    ::shutdown(fd_.get(), SHUT_WR);
    close();
  }
}

bool ServerConnection::check_timeouts(int64_t now) {
  if (!fd_) return false;
  const ServerOptions& o = loop_.options();
  switch (phase_) {
    case Phase::busy:
      return true;
    case Phase::idle:
      if (output_drained() && now - last_progress_ns_ > o.idle_timeout_ns) {
        close();
        return false;
      }
      return true;
    case Phase::head:
      if (now - phase_started_ns_ > o.header_timeout_ns) {
        reject(408, now);  // slowloris: the head must arrive within the header timeout
        return fd_.valid();
      }
      return true;
    case Phase::body:
      if (now - last_progress_ns_ > o.body_timeout_ns) {
        reject(408, now);
        return fd_.valid();
      }
      return true;
  }
  return true;
}

void ServerConnection::cut_off() noexcept {
  if (streaming_ && fd_) ::shutdown(fd_.get(), SHUT_RDWR);
}

bool ServerConnection::begin_shutdown() {
  if (!fd_) return false;
  if (phase_ == Phase::idle && output_drained()) {
    close();
    return false;
  }
  close_after_write_ = true;
  return true;
}

}  // namespace anvil::server
