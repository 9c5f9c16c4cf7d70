#pragma once

// The anvil ETL SDK: subclass EtlServer, override transform(), and call
// anvil::etl::run<YourServer>(argc, argv) from main(). The result serves AIStore's ETL
// transform-server contract (docs/sdk-guide.md): GET /health, hpush (PUT/POST with the object
// or an etl_fqn), hpull (GET), etl_args, direct FQN mode.

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

class EtlServer {
 public:
  virtual ~EtlServer() = default;

  // Called once per object, concurrently from several threads: it must be thread-safe. Append
  // the result to `output` (empty on entry; the SDK reuses its capacity between objects, so a
  // warm server does not allocate per object). Throwing answers 500 with the message.
  virtual void transform(std::string_view input, const ObjectRef& object, std::string& output);

  // The Content-Type of transformed objects.
  virtual std::string_view mime_type() const noexcept { return "application/octet-stream"; }
};

// Parses the command line and the environment, serves until SIGTERM/SIGINT, finishes the
// objects in flight, and returns the process exit code. Heavy set-up belongs in the server's
// constructor: /health answers only after it, since the server listens only then.
int serve(EtlServer& server, int argc, char** argv);

template <class Server>
int run(int argc, char** argv) {
  static_assert(std::is_base_of_v<EtlServer, Server>,
                "run<T>: T must derive from anvil::etl::EtlServer");
  static_assert(!std::is_same_v<decltype(&Server::transform), decltype(&EtlServer::transform)>,
                "an anvil ETL server must override transform(input, object, output)");
  Server server;
  return serve(server, argc, argv);
}

}  // namespace anvil::etl
