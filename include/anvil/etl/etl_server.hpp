#pragma once

// The anvil ETL SDK: subclass EtlServer, override transform(), and call
// anvil::etl::run<YourServer>(argc, argv) from main(). The result serves AIStore's ETL
// transform-server contract (docs/sdk-guide.md): GET /health, hpush (PUT/POST with the object
// or an etl_fqn), hpull (GET), etl_args, direct FQN mode.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace anvil::etl {

// What the server knows about the object being transformed. Views are valid during the call.
struct ObjectRef {
  // The object path as the FastAPI and Flask reference servers pass it: percent-decoded,
  // without the leading '/'. (The HTTPMultiThreaded server passes raw_path instead.)
  std::string_view path;
  std::string_view raw_path;  // as on the wire: percent-encoded, with the leading '/'
  std::string_view etl_args;  // the etl_args query parameter, decoded and trimmed; "" if absent
  // ETL_DIRECT_FQN=true and the request named a local file: `input` is that file's normalized
  // path, not its content (the transform reads the file itself, e.g. with ffmpeg).
  bool input_is_path = false;
};

// The input of a streaming transform, read in pieces: the request body as it arrives, the
// FQN file, or the AIS target's response.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Fills up to buf.size() bytes and returns how many; 0 only at the end of the input. Throws
  // (std::runtime_error) when the input breaks: a client that stops sending, a file error.
  virtual size_t read(std::span<char> buf) = 0;
};

// The output of a streaming transform. Each chunk is sent before write() returns, so the
// caller may reuse its memory at once; empty chunks are skipped. Throws when the receiver is
// gone (the client disconnected): let it propagate, the SDK cleans up.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual void write(std::string_view chunk) = 0;
};

class EtlServer {
 public:
  virtual ~EtlServer() = default;

  // Called once per object, concurrently from several threads: it must be thread-safe. Append
  // the result to `output` (empty on entry; the SDK reuses its capacity between objects, so a
  // warm server does not allocate per object). Throwing answers 500 with the message.
  virtual void transform(std::string_view input, const ObjectRef& object, std::string& output);

  // The streaming alternative (override this one instead of transform()): read the input in
  // pieces, write the output in pieces, in constant memory whatever the object's size. Called
  // once per object, concurrently from several threads. Throwing before the first output
  // byte answers 500 with the message; after it, the response is cut off (see the guide).
  virtual void transform_stream(ObjectReader& input, const ObjectRef& object, ObjectWriter& output);

  // The Content-Type of transformed objects.
  virtual std::string_view mime_type() const noexcept { return "application/octet-stream"; }
};

// Parses the command line and the environment, serves until SIGTERM/SIGINT, finishes the
// objects in flight, and returns the process exit code. Heavy set-up belongs in the server's
// constructor: /health answers only after it, since the server listens only then.
// `mode` says which of transform() and transform_stream() the server overrides; run<T>()
// works it out at compile time.
enum class TransformMode : uint8_t { buffered, streaming };
int serve(EtlServer& server, int argc, char** argv, TransformMode mode = TransformMode::buffered);

template <class Server>
int run(int argc, char** argv) {
  static_assert(std::is_base_of_v<EtlServer, Server>,
                "run<T>: T must derive from anvil::etl::EtlServer");
  constexpr bool buffered =
      !std::is_same_v<decltype(&Server::transform), decltype(&EtlServer::transform)>;
  constexpr bool streaming =
      !std::is_same_v<decltype(&Server::transform_stream), decltype(&EtlServer::transform_stream)>;
  static_assert(buffered || streaming,
                "an anvil ETL server must override transform(input, object, output) or "
                "transform_stream(reader, object, writer)");
  static_assert(!(buffered && streaming),
                "an anvil ETL server overrides transform() or transform_stream(), not both");
  Server server;
  return serve(server, argc, argv, streaming ? TransformMode::streaming : TransformMode::buffered);
}

}  // namespace anvil::etl
