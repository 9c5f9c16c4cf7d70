#include "connection.hpp"

#include <errno.h>
#include <openssl/err.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "anvil/core/clock.hpp"
#include "anvil/core/socket.hpp"
#include "anvil/load/worker.hpp"

namespace anvil::load {

namespace {

constexpr size_t kInitialBuffer = 16 * 1024;
// The largest response head we accept; the parser's limit is the same.
constexpr size_t kMaxBuffer = 64 * 1024;

ErrorClass classify_errno(int error) noexcept {
  switch (error) {
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      return ErrorClass::reset;
    default:
      return ErrorClass::read;
  }
}

}  // namespace

Connection::Connection(Worker& worker, uint32_t id)
    : worker_(worker), id_(id), buffer_(new char[kInitialBuffer]), capacity_(kInitialBuffer) {}

Connection::~Connection() {
  close();
}

void Connection::close() noexcept {
  if (fd_) worker_.loop_.remove(fd_.get());
  if (ssl_ != nullptr) {
    ::SSL_free(ssl_);
    ssl_ = nullptr;
  }
  fd_.reset();
  state_ = State::closed;
  writing_ = false;
  head_ = count_ = 0;
  pending_head_ = pending_count_ = 0;
  pending_offset_ = 0;
  begin_ = end_ = 0;
  parser_armed_ = false;
}

bool Connection::submit(const PreparedRequest& request, int64_t intended_ns, int64_t now) {
  const int slot = (head_ + count_) % kMaxPipeline;
  ring_[slot] = {intended_ns, now, request.is_head,
                 intended_ns >= worker_.context_.measure_start_ns};
  ++count_;
  pending_[(pending_head_ + pending_count_) % kMaxPipeline] = &request;
  ++pending_count_;
  ++worker_.in_flight_;
  if (!parser_armed_) arm_parser();
  if (state_ == State::closed) return connect(now);
  if (state_ == State::open) flush(now);
  return state_ != State::closed;
}

void Connection::arm_parser() noexcept {
  if (count_ == 0) return;
  parser_.start(ring_[head_].is_head);
  parser_armed_ = true;
}

bool Connection::connect(int64_t now) {
  int error = 0;
  fd_ = core::start_connect(worker_.context_.address, error);
  connect_started_ns_ = now;
  ++worker_.result_.counters.connects;
  if (!fd_) {
    fail(ErrorClass::connect, now);
    return false;
  }
  state_ = State::connecting;
  if (worker_.loop_.add(fd_.get(), EPOLLOUT, this) != 0) {
    fail(ErrorClass::connect, now);
    return false;
  }
  writing_ = true;
  return true;
}

void Connection::on_connected(int64_t now) {
  if (worker_.context_.tls != nullptr) {
    ssl_ = worker_.context_.tls->new_session(fd_.get());
    if (ssl_ == nullptr) {
      fail(ErrorClass::connect, now);
      return;
    }
    state_ = State::handshaking;
    handshake(now);
    return;
  }
  state_ = State::open;
  want_write(false);
  flush(now);
}

bool Connection::handshake(int64_t now) {
  const int rc = ::SSL_do_handshake(ssl_);
  if (rc == 1) {
    state_ = State::open;
    want_write(false);
    flush(now);
    return true;
  }
  switch (::SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      want_write(false);
      return true;
    case SSL_ERROR_WANT_WRITE:
      want_write(true);
      return true;
    default:
      ::ERR_clear_error();
      fail(ErrorClass::connect, now);
      return false;
  }
}

void Connection::want_write(bool on) noexcept {
  if (on == writing_ || !fd_) return;
  writing_ = on;
  worker_.loop_.modify(fd_.get(), on ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
}

void Connection::on_io(uint32_t events) {
  const int64_t now = core::monotonic_ns();
  switch (state_) {
    case State::closed:
      return;
    case State::connecting: {
      const int error = core::finish_connect(fd_.get());
      if (error != 0) {
        fail(ErrorClass::connect, now);
        return;
      }
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      on_connected(now);
      return;
    }
    case State::handshaking:
      handshake(now);
      return;
    case State::open:
      if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_ready(now);
      if (state_ == State::open && (events & EPOLLOUT)) flush(now);
      return;
  }
}

void Connection::flush(int64_t now) {
  while (pending_count_ > 0) {
    ssize_t written;
    if (ssl_ != nullptr) {
      const std::string& bytes = pending_[pending_head_]->bytes;
      const int n = ::SSL_write(ssl_, bytes.data() + pending_offset_,
                                static_cast<int>(bytes.size() - pending_offset_));
      if (n <= 0) {
        const int error = ::SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
          want_write(error == SSL_ERROR_WANT_WRITE);
          return;
        }
        ::ERR_clear_error();
        fail(error == SSL_ERROR_SYSCALL && (errno == EPIPE || errno == ECONNRESET)
                 ? ErrorClass::reset
                 : ErrorClass::write,
             now);
        return;
      }
      written = n;
    } else {
      // One writev for everything queued: a pipelined burst costs one syscall.
      iovec iov[kMaxPipeline];
      int n = 0;
      for (int i = 0; i < pending_count_; ++i) {
        const std::string& bytes = pending_[(pending_head_ + i) % kMaxPipeline]->bytes;
        const size_t skip = i == 0 ? pending_offset_ : 0;
        iov[n++] = {const_cast<char*>(bytes.data() + skip), bytes.size() - skip};
      }
      written = n == 1 ? ::write(fd_.get(), iov[0].iov_base, iov[0].iov_len)
                       : ::writev(fd_.get(), iov, n);
      if (written < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          want_write(true);
          return;
        }
        fail(errno == EPIPE || errno == ECONNRESET ? ErrorClass::reset : ErrorClass::write, now);
        return;
      }
    }
    worker_.result_.counters.bytes_written += static_cast<uint64_t>(written);
    size_t left = static_cast<size_t>(written);
    while (left > 0 && pending_count_ > 0) {
      const size_t remaining = pending_[pending_head_]->bytes.size() - pending_offset_;
      if (left < remaining) {
        pending_offset_ += left;
        left = 0;
      } else {
        left -= remaining;
        pending_offset_ = 0;
        pending_head_ = (pending_head_ + 1) % kMaxPipeline;
        --pending_count_;
      }
    }
  }
  want_write(false);
}

void Connection::read_ready(int64_t now) {
  for (;;) {
    if (end_ == capacity_) {
      if (begin_ > 0) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      } else if (capacity_ < kMaxBuffer) {
        // Only a head larger than the initial buffer gets here: grow once, rarely.
        std::unique_ptr<char[]> bigger(new char[kMaxBuffer]);
        std::memcpy(bigger.get(), buffer_.get(), end_);
        buffer_ = std::move(bigger);
        capacity_ = kMaxBuffer;
      } else {
        fail(ErrorClass::parse, now);
        return;
      }
    }
    const size_t room = capacity_ - end_;
    ssize_t n;
    if (ssl_ != nullptr) {
      const int rc = ::SSL_read(ssl_, buffer_.get() + end_, static_cast<int>(room));
      if (rc <= 0) {
        const int error = ::SSL_get_error(ssl_, rc);
        if (error == SSL_ERROR_WANT_READ) return;
        if (error == SSL_ERROR_WANT_WRITE) {
          want_write(true);
          return;
        }
        if (error == SSL_ERROR_ZERO_RETURN) {
          handle_eof(now);
          return;
        }
        const int saved = errno;
        ::ERR_clear_error();
        // An unexpected EOF without close_notify is how most servers end a TLS connection.
        if (error == SSL_ERROR_SYSCALL && saved == 0) {
          handle_eof(now);
        } else {
          fail(error == SSL_ERROR_SYSCALL ? classify_errno(saved) : ErrorClass::read, now);
        }
        return;
      }
      n = rc;
    } else {
      n = ::read(fd_.get(), buffer_.get() + end_, room);
      if (n == 0) {
        handle_eof(now);
        return;
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        fail(classify_errno(errno), now);
        return;
      }
    }
    worker_.result_.counters.bytes_read += static_cast<uint64_t>(n);
    end_ += static_cast<size_t>(n);
    process(now);
    if (state_ != State::open) return;
    // A full read may mean more is waiting; a short one means the socket is drained. TLS may
    // hold decrypted bytes that epoll cannot see.
    if (static_cast<size_t>(n) < room && (ssl_ == nullptr || ::SSL_pending(ssl_) == 0)) return;
  }
}

void Connection::process(int64_t now) {
  for (;;) {
    if (count_ == 0) {
      // Bytes nobody asked for: the server is confused or hostile.
      if (end_ > begin_) fail(ErrorClass::parse, now);
      break;
    }
    const auto step = parser_.next(std::string_view(buffer_.get() + begin_, end_ - begin_));
    begin_ += step.consumed;
    using Event = http::ResponseParser::Event;
    if (step.event == Event::head) {
      status_ = parser_.head().status;
      response_keepalive_ = parser_.head().keep_alive;
    } else if (step.event == Event::complete) {
      complete_response(now);
      if (state_ != State::open) return;
    } else if (step.event == Event::error) {
      fail(ErrorClass::parse, now);
      return;
    } else if (step.event == Event::need_more) {
      break;
    }
  }
  if (begin_ == end_) begin_ = end_ = 0;
}

void Connection::complete_response(int64_t now) {
  const InFlight done = ring_[head_];
  head_ = (head_ + 1) % kMaxPipeline;
  --count_;
  --worker_.in_flight_;
  parser_armed_ = false;
  Counters& counters = worker_.result_.counters;
  if (done.counted) {
    ++counters.requests;
    ++counters.responses;
    if (status_ >= 100 && status_ < 600) ++counters.status[static_cast<size_t>(status_)];
    if (status_ < 400) ++counters.successes;
    const int64_t latency_us = (now - done.intended_ns) / core::kNsPerUs;
    worker_.result_.latency.record(latency_us);
    if (!worker_.result_.intervals.empty() || !worker_.options_.hlog_path.empty()) {
      worker_.interval_.record(latency_us);
    }
    worker_.result_.last_completion_ns = now;
  }
  if (!response_keepalive_ || !worker_.options_.keepalive) {
    // Requests pipelined behind a closing response were never answered.
    if (count_ > 0) {
      fail(ErrorClass::read, now);
    } else {
      close();
      worker_.on_ready(*this, now);
    }
    return;
  }
  arm_parser();
  worker_.on_ready(*this, now);
}

void Connection::handle_eof(int64_t now) {
  if (parser_armed_ && count_ > 0) {
    const auto step = parser_.finish_eof();
    if (step.event == http::ResponseParser::Event::complete) {
      response_keepalive_ = false;
      complete_response(now);
      return;
    }
  }
  if (count_ > 0) {
    fail(ErrorClass::read, now);
    return;
  }
  // The server closed an idle keep-alive connection: not an error, reconnect on demand.
  close();
  worker_.on_ready(*this, now);
}

void Connection::fail(ErrorClass error, int64_t now) {
  Counters& counters = worker_.result_.counters;
  for (int i = 0; i < count_; ++i) {
    if (ring_[(head_ + i) % kMaxPipeline].counted) {
      ++counters.requests;
      ++counters.errors[static_cast<size_t>(error)];
    }
  }
  worker_.in_flight_ -= static_cast<uint64_t>(count_);
  close();
  worker_.on_failed(*this, now);
}

}  // namespace anvil::load
