#include "anvil/lab/suite.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "anvil/core/units.hpp"
#include "anvil/lab/placeholders.hpp"

namespace anvil::lab {

namespace fs = std::filesystem;

const char* to_string(ScenarioKind k) {
  switch (k) {
    case ScenarioKind::single:
      return "single";
    case ScenarioKind::concurrency:
      return "concurrency";
    case ScenarioKind::rate:
      return "rate";
    case ScenarioKind::stress:
      return "stress";
    case ScenarioKind::low_load:
      return "low_load";
  }
  return "?";
}

namespace {

// Reads one TOML table, remembering which keys were taken, so that whatever is left over is
// reported as unknown with its line: a misspelt key must never be silently ignored.
class Fields {
 public:
  Fields(const toml::table& table, std::string context, const std::string& path)
      : table_(table), context_(std::move(context)), path_(path) {}

  [[noreturn]] void fail(const toml::node& node, std::string_view key,
                         const std::string& message) const {
    throw SuiteError(path_ + ":" + std::to_string(node.source().begin.line) + ": " +
                     qualified(key) + ": " + message);
  }
  [[noreturn]] void fail_table(const std::string& message) const {
    throw SuiteError(path_ + ":" + std::to_string(table_.source().begin.line) + ": " + context_ +
                     ": " + message);
  }
  std::string qualified(std::string_view key) const {
    return context_.empty() ? std::string(key) : context_ + "." + std::string(key);
  }
  int line() const { return static_cast<int>(table_.source().begin.line); }

  const toml::node* take(std::string_view key) {
    taken_.insert(std::string(key));
    return table_.get(key);
  }

  std::optional<std::string> string(std::string_view key) {
    const toml::node* node = take(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) fail(*node, key, "must be a string");
    return node->as_string()->get();
  }
  std::string required_string(std::string_view key) {
    auto value = string(key);
    if (!value) fail_table("'" + std::string(key) + "' is required");
    if (value->empty()) fail(*table_.get(key), key, "must not be empty");
    return *value;
  }
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max) {
    const toml::node* node = take(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) fail(*node, key, "must be an integer");
    const int64_t v = node->as_integer()->get();
    if (v < min || v > max) {
      fail(*node, key, "must be " + std::to_string(min) + ".." + std::to_string(max));
    }
    return v;
  }
  std::optional<double> number(std::string_view key, double min, double max) {
    const toml::node* node = take(key);
    if (node == nullptr) return std::nullopt;
    double v = 0;
    if (node->is_integer()) {
      v = static_cast<double>(node->as_integer()->get());
    } else if (node->is_floating_point()) {
      v = node->as_floating_point()->get();
    } else {
      fail(*node, key, "must be a number");
    }
    if (!(v >= min && v <= max)) {
      fail(*node, key, "must be between " + format_number(min) + " and " + format_number(max));
    }
    return v;
  }
  std::optional<bool> boolean(std::string_view key) {
    const toml::node* node = take(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) fail(*node, key, "must be true or false");
    return node->as_boolean()->get();
  }
  // "10s", "500ms", or a number of seconds.
  std::optional<double> seconds(std::string_view key, double min_s, double max_s) {
    const toml::node* node = take(key);
    if (node == nullptr) return std::nullopt;
    double v = 0;
    if (node->is_string()) {
      auto ns = core::parse_duration_ns(node->as_string()->get());
      if (!ns) fail(*node, key, "is not a duration (e.g. \"10s\", \"500ms\")");
      v = static_cast<double>(*ns) / 1e9;
    } else if (node->is_integer() || node->is_floating_point()) {
      v = node->is_integer() ? static_cast<double>(node->as_integer()->get())
                             : node->as_floating_point()->get();
    } else {
      fail(*node, key, "must be a duration (e.g. \"10s\")");
    }
    if (!(v >= min_s && v <= max_s)) {
      fail(*node, key,
           "must be between " + format_number(min_s) + "s and " + format_number(max_s) + "s");
    }
    return v;
  }
  // A list of strings; a single string is accepted as a one-element list where `allow_scalar`.
  std::optional<std::vector<std::string>> strings(std::string_view key) {
    const toml::node* node = take(key);
    if (node == nullptr) return std::nullopt;
    const toml::array* array = node->as_array();
    if (array == nullptr) fail(*node, key, "must be an array of strings");
    std::vector<std::string> out;
    for (const toml::node& item : *array) {
      if (!item.is_string()) fail(item, key, "must be an array of strings");
      out.push_back(item.as_string()->get());
    }
    return out;
  }
  // A table of string (or number) values: env, headers, params.
  std::optional<std::vector<std::pair<std::string, std::string>>> string_table(
      std::string_view key) {
    const toml::node* node = take(key);
    if (node == nullptr) return std::nullopt;
    const toml::table* table = node->as_table();
    if (table == nullptr) fail(*node, key, "must be a table of strings");
    std::vector<std::pair<std::string, std::string>> out;
    for (auto&& [name, value] : *table) {
      std::string text;
      if (value.is_string()) {
        text = value.as_string()->get();
      } else if (value.is_integer()) {
        text = std::to_string(value.as_integer()->get());
      } else {
        fail(value, std::string(key) + "." + std::string(name.str()),
             "must be a string or an integer");
      }
      out.emplace_back(std::string(name.str()), std::move(text));
    }
    return out;
  }
  const toml::table& table() const { return table_; }
  const std::string& context() const { return context_; }

  // Reports a key outside `known` before anything else is read: a misspelt key is the cause
  // of whatever else would look wrong (a "missing" required key, say).
  void expect(std::initializer_list<std::string_view> known) const {
    for (auto&& [key, value] : table_) {
      bool found = false;
      for (std::string_view k : known)
        found |= key.str() == k;
      if (!found) {
        std::string list;
        for (std::string_view k : known)
          list += (list.empty() ? "" : ", ") + std::string(k);
        fail(value, key.str(), "unknown key (known here: " + list + ")");
      }
    }
  }

  // Everything not taken is a mistake.
  void finish() const {
    for (auto&& [key, value] : table_) {
      if (taken_.count(std::string(key.str())) == 0) {
        std::string known;
        for (const auto& k : taken_)
          known += (known.empty() ? "" : ", ") + k;
        fail(value, key.str(), "unknown key (known here: " + known + ")");
      }
    }
  }

 private:
  static std::string format_number(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
  }
  const toml::table& table_;
  std::string context_;
  const std::string& path_;
  std::set<std::string> taken_;
};

// Iterates an array of tables ([[target]]), each with its own Fields.
template <class F>
void each_table(Fields& parent, std::string_view key, const std::string& path, F&& f) {
  const toml::node* node = parent.take(key);
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    parent.fail(*node, key, "must be an array of tables ([[" + std::string(key) + "]])");
  }
  size_t index = 0;
  for (const toml::node& item : *array) {
    const toml::table* table = item.as_table();
    if (table == nullptr) parent.fail(item, key, "must be a table");
    Fields fields(*table, std::string(key) + "[" + std::to_string(index) + "]", path);
    f(fields);
    fields.finish();
    ++index;
  }
}

HttpCheck parse_ready(Fields& f) {
  HttpCheck check;
  const toml::node* node = f.take("ready");
  if (node == nullptr) return check;
  if (node->is_string()) {
    check.path = node->as_string()->get();
  } else if (const toml::table* table = node->as_table()) {
    for (auto&& [key, value] : *table) {
      const std::string k(key.str());
      if (k == "path" && value.is_string()) {
        check.path = value.as_string()->get();
      } else if (k == "method" && value.is_string()) {
        check.method = value.as_string()->get();
      } else if (k == "status" && value.is_integer()) {
        check.expect_status = static_cast<int>(value.as_integer()->get());
      } else {
        f.fail(value, "ready." + k, "unknown key or wrong type (path, method: strings; status)");
      }
    }
  } else {
    f.fail(*node, "ready", "must be a path string or a table {path, method, status}");
  }
  if (check.path.empty() || check.path[0] != '/')
    f.fail(*node, "ready", "path must start with '/'");
  return check;
}

nlohmann::json load_peers_file(const std::string& peers_file) {
  std::ifstream in(peers_file);
  if (!in) throw SuiteError("cannot read the peers file '" + peers_file + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw SuiteError(peers_file + ": " + e.what());
  }
}

// peers.json placeholders ({root}, {python}) become the suite's own ({peers_root}, {python}).
std::string from_peer_placeholders(std::string text, const std::string& peers_root) {
  return substitute_known(text, {{"root", peers_root}});
}

void import_peer(TargetSpec& target, const nlohmann::json& peers, const std::string& peers_root,
                 Fields& f, const toml::node& at) {
  for (const auto& peer : peers.at("peers")) {
    if (peer.at("name").get<std::string>() != target.peer) continue;
    target.command.clear();
    for (const auto& arg : peer.at("argv"))
      target.command.push_back(from_peer_placeholders(arg.get<std::string>(), peers_root));
    for (const auto& [name, value] : peer.at("env").items())
      target.env.emplace_back(name, from_peer_placeholders(value.get<std::string>(), peers_root));
    target.cwd = from_peer_placeholders(peer.at("cwd").get<std::string>(), peers_root);
    target.ready.path = peer.at("ready").get<std::string>();
    const auto& req = peer.at("requires");
    for (const auto& m : req.at("python_modules"))
      target.requires_python_modules.push_back(m.get<std::string>());
    for (const auto& file : req.at("files"))
      target.requires_files.push_back(from_peer_placeholders(file.get<std::string>(), peers_root));
    for (const auto& program : req.at("programs"))
      target.requires_programs.push_back(program.get<std::string>());
    return;
  }
  f.fail(at, "peer", "no peer named '" + target.peer + "' in the peers file");
}

void check_name(Fields& f, const std::string& name, std::set<std::string>& seen, const char* what) {
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      f.fail(*f.table().get("name"), "name",
             std::string(what) + " names use letters, digits, '-', '_' and '.' only");
    }
  }
  if (!seen.insert(name).second) {
    f.fail(*f.table().get("name"), "name", std::string("duplicate ") + what + " '" + name + "'");
  }
}

}  // namespace

Suite parse_suite(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw SuiteError(path + ":" + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
  }
  Suite suite;
  suite.path = path;
  suite.text = text;
  std::error_code ec;
  suite.dir = fs::absolute(fs::path(path).parent_path(), ec).lexically_normal().string();
  if (!suite.dir.empty() && suite.dir.back() == '/') suite.dir.pop_back();
  suite.name = fs::path(path).stem().string();
  suite.venv = suite.dir + "/../.venv";
  suite.peers_file = suite.dir + "/../peers/peers.json";

  Fields top(root, "", path);
  top.expect({"suite", "target", "workload", "driver", "scenario", "sweep"});
  if (const toml::node* node = top.take("suite")) {
    const toml::table* table = node->as_table();
    if (table == nullptr) top.fail(*node, "suite", "must be a table ([suite])");
    Fields f(*table, "suite", path);
    if (auto v = f.string("name")) suite.name = *v;
    if (auto v = f.string("description")) suite.description = *v;
    if (auto v = f.seconds("duration", 0.1, 86400)) suite.duration_s = *v;
    if (auto v = f.seconds("warmup", 0, 3600)) suite.warmup_s = *v;
    if (auto v = f.integer("trials", 1, 1000)) suite.trials = static_cast<int>(*v);
    if (auto v = f.number("quick_scale", 0.001, 1)) suite.quick_scale = *v;
    if (auto v = f.boolean("pin")) suite.pin = *v;
    if (auto v = f.strings("drivers")) suite.drivers = *v;
    if (auto v = f.string("venv")) suite.venv = (fs::path(suite.dir) / *v).string();
    if (auto v = f.string("peers")) suite.peers_file = (fs::path(suite.dir) / *v).string();
    f.finish();
  }
  suite.venv = fs::path(suite.venv).lexically_normal().string();
  suite.peers_file = fs::path(suite.peers_file).lexically_normal().string();

  std::optional<nlohmann::json> peers;
  std::set<std::string> target_names;
  each_table(top, "target", path, [&](Fields& f) {
    f.expect({"name", "peer", "command", "env", "cwd", "host", "ready", "startup_timeout",
              "stop_grace", "requires", "requires_programs", "requires_python", "params"});
    TargetSpec t;
    t.line = f.line();
    t.name = f.required_string("name");
    check_name(f, t.name, target_names, "target");
    if (auto v = f.string("peer")) {
      t.peer = *v;
      if (!peers) peers = load_peers_file(suite.peers_file);
      import_peer(t, *peers, fs::path(suite.peers_file).parent_path().parent_path().string(), f,
                  *f.table().get("peer"));
    }
    if (auto v = f.strings("command")) t.command = *v;
    if (t.command.empty()) f.fail_table("'command' (an array of strings) or 'peer' is required");
    if (auto v = f.string_table("env")) {
      for (auto& kv : *v)
        t.env.push_back(std::move(kv));
    }
    if (auto v = f.string("cwd")) t.cwd = *v;
    if (auto v = f.string("host")) t.host = *v;
    if (f.table().get("ready")) t.ready = parse_ready(f);
    if (auto v = f.seconds("startup_timeout", 0.1, 600)) t.startup_timeout_s = *v;
    if (auto v = f.seconds("stop_grace", 0, 120)) t.stop_grace_s = *v;
    if (auto v = f.strings("requires")) {
      for (auto& file : *v)
        t.requires_files.push_back(std::move(file));
    }
    if (auto v = f.strings("requires_programs")) {
      for (auto& program : *v)
        t.requires_programs.push_back(std::move(program));
    }
    if (auto v = f.strings("requires_python")) {
      for (auto& module : *v)
        t.requires_python_modules.push_back(std::move(module));
    }
    if (auto v = f.string_table("params")) {
      for (auto& [k, value] : *v)
        t.params[k] = value;
    }
    if (t.cwd.empty()) t.cwd = suite.dir;
    suite.targets.push_back(std::move(t));
  });
  if (suite.targets.empty()) top.fail_table("a suite needs at least one [[target]]");

  std::set<std::string> workload_names;
  auto parse_request = [&](Fields& f, WorkloadRequest& r) {
    if (auto v = f.string("method")) r.method = *v;
    if (auto v = f.string("path")) {
      r.path = *v;
      if (r.path.empty() || r.path[0] != '/')
        f.fail(*f.table().get("path"), "path", "must start with '/'");
    }
    int body_sources = 0;
    if (auto v = f.string("body")) {
      r.body = *v;
      ++body_sources;
    }
    if (auto v = f.string("body_file")) {
      const std::string file = (fs::path(suite.dir) / *v).string();
      std::ifstream in(file, std::ios::binary);
      if (!in) f.fail(*f.table().get("body_file"), "body_file", "cannot read '" + file + "'");
      std::ostringstream content;
      content << in.rdbuf();
      r.body = content.str();
      ++body_sources;
    }
    if (auto v = f.integer("body_bytes", 0, int64_t{1} << 30)) {
      // Generated bytes: a repeating printable pattern, the same in every run.
      r.body.resize(static_cast<size_t>(*v));
      for (size_t i = 0; i < r.body.size(); ++i)
        r.body[i] = static_cast<char>('a' + i % 26);
      ++body_sources;
    }
    if (body_sources > 1) f.fail_table("use one of body, body_file, body_bytes");
    if (auto v = f.string_table("headers")) r.headers = *v;
    if (auto v = f.integer("weight", 1, 10000)) r.weight = static_cast<uint32_t>(*v);
    if (auto v = f.integer("expect_status", 100, 599)) r.expect_status = static_cast<int>(*v);
    if (auto v = f.string("expect_body")) r.expect_body = *v;
  };
  each_table(top, "workload", path, [&](Fields& f) {
    f.expect({"name", "keepalive", "request", "method", "path", "body", "body_file", "body_bytes",
              "headers", "weight", "expect_status", "expect_body"});
    WorkloadSpec w;
    w.line = f.line();
    w.name = f.required_string("name");
    check_name(f, w.name, workload_names, "workload");
    if (auto v = f.boolean("keepalive")) w.keepalive = *v;
    if (f.table().get("request")) {
      each_table(f, "request", path, [&](Fields& rf) {
        rf.expect({"method", "path", "body", "body_file", "body_bytes", "headers", "weight",
                   "expect_status", "expect_body"});
        WorkloadRequest r;
        parse_request(rf, r);
        w.requests.push_back(std::move(r));
      });
      if (w.requests.empty()) f.fail_table("'request' must list at least one request");
    } else {
      WorkloadRequest r;
      parse_request(f, r);
      w.requests.push_back(std::move(r));
    }
    suite.workloads.push_back(std::move(w));
  });
  if (suite.workloads.empty()) {
    // The published benchmark's request: GET / answered by every peer.
    WorkloadSpec w;
    w.name = "get";
    w.requests.emplace_back();
    w.requests.back().path = "/";
    suite.workloads.push_back(std::move(w));
  }

  std::set<std::string> driver_names{"anvil"};
  {
    DriverSpec anvil;
    anvil.name = "anvil";
    suite.driver_specs.push_back(anvil);
  }
  each_table(top, "driver", path, [&](Fields& f) {
    f.expect({"name", "kind", "command", "replicas", "threads", "requires_programs"});
    DriverSpec d;
    d.line = f.line();
    d.name = f.required_string("name");
    if (d.name == "anvil") {
      // Allows tuning the built-in driver (threads, replicas).
      driver_names.erase("anvil");
      suite.driver_specs.erase(suite.driver_specs.begin());
    }
    check_name(f, d.name, driver_names, "driver");
    const std::string kind = f.string("kind").value_or(d.name);
    if (kind == "anvil") {
      d.kind = DriverKind::anvil;
    } else if (kind == "wrk") {
      d.kind = DriverKind::wrk;
      d.requires_programs.push_back("wrk");
    } else if (kind == "locust") {
      d.kind = DriverKind::locust;
      d.requires_python_modules.push_back("locust");
    } else if (kind == "command") {
      d.kind = DriverKind::command;
    } else {
      f.fail(*f.table().get(f.table().get("kind") ? "kind" : "name"), "kind",
             "must be anvil, wrk, locust or command");
    }
    if (auto v = f.strings("command")) d.command = *v;
    if (d.kind == DriverKind::command && d.command.empty()) {
      f.fail_table("a command driver needs 'command' (an array of strings)");
    }
    if (d.kind != DriverKind::command && !d.command.empty()) {
      f.fail(*f.table().get("command"), "command", "only command drivers take a command");
    }
    if (auto v = f.integer("replicas", 1, 64)) d.replicas = static_cast<int>(*v);
    if (auto v = f.integer("threads", 1, 256)) d.threads = static_cast<int>(*v);
    if (auto v = f.strings("requires_programs")) {
      for (auto& p : *v)
        d.requires_programs.push_back(std::move(p));
    }
    suite.driver_specs.push_back(std::move(d));
  });
  if (suite.drivers.empty()) suite.drivers.push_back("anvil");
  for (const auto& name : suite.drivers) {
    if (driver_names.count(name) == 0) {
      throw SuiteError(path + ": suite.drivers: no driver named '" + name + "'");
    }
  }

  std::set<std::string> scenario_names;
  each_table(top, "scenario", path, [&](Fields& f) {
    f.expect({"name", "kind", "workload", "connections", "rate", "start", "step", "step_duration",
              "max_rate", "max_error_ratio", "p99_objective", "duration"});
    ScenarioSpec s;
    s.line = f.line();
    const std::string kind = f.required_string("kind");
    if (kind == "single") {
      s.kind = ScenarioKind::single;
    } else if (kind == "concurrency") {
      s.kind = ScenarioKind::concurrency;
    } else if (kind == "rate") {
      s.kind = ScenarioKind::rate;
    } else if (kind == "stress") {
      s.kind = ScenarioKind::stress;
    } else if (kind == "low_load") {
      s.kind = ScenarioKind::low_load;
    } else {
      f.fail(*f.table().get("kind"), "kind",
             "must be single, concurrency, rate, stress or low_load");
    }
    s.name = f.string("name").value_or(kind);
    if (s.name.empty()) f.fail_table("'name' must not be empty");
    if (!scenario_names.insert(s.name).second) {
      f.fail(*f.table().get(f.table().get("name") ? "name" : "kind"), "name",
             "duplicate scenario '" + s.name + "' (give each a name)");
    }
    if (auto v = f.string("workload")) {
      if (workload_names.count(*v) == 0) {
        f.fail(*f.table().get("workload"), "workload", "no workload named '" + *v + "'");
      }
      s.workload = *v;
    } else {
      s.workload = suite.workloads.front().name;
    }
    if (const toml::node* node = f.take("connections")) {
      if (node->is_integer()) {
        s.connections.push_back(static_cast<int>(node->as_integer()->get()));
      } else if (const toml::array* array = node->as_array()) {
        for (const toml::node& item : *array) {
          if (!item.is_integer()) f.fail(item, "connections", "must be integers");
          s.connections.push_back(static_cast<int>(item.as_integer()->get()));
        }
      } else {
        f.fail(*node, "connections", "must be an integer or an array of integers");
      }
      for (int c : s.connections) {
        if (c < 1 || c > 100000) f.fail(*node, "connections", "must be 1..100000");
      }
      if (s.connections.empty()) f.fail(*node, "connections", "must not be empty");
    }
    if (auto v = f.number("rate", 0.001, 1e7)) s.rate = *v;
    if (auto v = f.number("start", 0.001, 1e7)) s.stress_start = *v;
    if (auto v = f.number("step", 0.001, 1e7)) s.stress_step = *v;
    if (auto v = f.seconds("step_duration", 0.1, 3600)) s.stress_step_s = *v;
    if (auto v = f.number("max_rate", 0.001, 1e8)) s.stress_max_rate = *v;
    if (auto v = f.number("max_error_ratio", 0, 1)) s.max_error_ratio = *v;
    if (auto v = f.seconds("p99_objective", 0.000001, 3600)) s.p99_objective_ms = *v * 1e3;
    if (auto v = f.seconds("duration", 0.1, 86400)) s.duration_s = *v;
    switch (s.kind) {
      case ScenarioKind::single:
        if (!s.connections.empty() && (s.connections.size() != 1 || s.connections[0] != 1)) {
          f.fail_table("a single scenario uses exactly 1 connection");
        }
        s.connections = {1};
        break;
      case ScenarioKind::concurrency:
        if (s.connections.empty()) f.fail_table("'connections' is required (e.g. [10, 50, 100])");
        break;
      case ScenarioKind::rate:
        if (s.rate <= 0) f.fail_table("'rate' (requests/s) is required");
        if (s.connections.empty()) s.connections = {64};
        break;
      case ScenarioKind::low_load:
        if (s.rate <= 0) s.rate = 10;
        if (s.connections.empty()) s.connections = {8};
        break;
      case ScenarioKind::stress:
        if (s.stress_start <= 0 || s.stress_step <= 0) {
          f.fail_table("'start' and 'step' (requests/s) are required");
        }
        if (s.stress_step_s <= 0) s.stress_step_s = 5;
        if (s.stress_max_rate <= 0) s.stress_max_rate = s.stress_start + 100 * s.stress_step;
        if (s.stress_max_rate < s.stress_start) f.fail_table("'max_rate' is below 'start'");
        if (s.connections.empty()) s.connections = {64};
        break;
    }
    if (s.kind != ScenarioKind::concurrency && s.connections.size() > 1) {
      f.fail_table("only concurrency scenarios take a list of connections");
    }
    suite.scenarios.push_back(std::move(s));
  });
  if (suite.scenarios.empty()) top.fail_table("a suite needs at least one [[scenario]]");

  each_table(top, "sweep", path, [&](Fields& f) {
    f.expect({"param", "values", "targets"});
    SweepSpec sweep;
    sweep.line = f.line();
    sweep.param = f.required_string("param");
    const toml::node* node = f.take("values");
    if (node == nullptr || !node->is_array() || node->as_array()->empty()) {
      f.fail_table("'values' (a non-empty array) is required");
    }
    for (const toml::node& item : *node->as_array()) {
      if (item.is_string()) {
        sweep.values.push_back(item.as_string()->get());
      } else if (item.is_integer()) {
        sweep.values.push_back(std::to_string(item.as_integer()->get()));
      } else {
        f.fail(item, "values", "must be strings or integers");
      }
    }
    if (auto v = f.strings("targets")) sweep.targets = *v;
    for (const auto& name : sweep.targets) {
      if (target_names.count(name) == 0) {
        f.fail(*f.table().get("targets"), "targets", "no target named '" + name + "'");
      }
    }
    suite.sweeps.push_back(std::move(sweep));
  });
  top.finish();

  // Every placeholder a target uses must be known: a typo would otherwise start a server with
  // a literal "{wokers}" argument and fail obscurely.
  for (const TargetSpec& t : suite.targets) {
    std::set<std::string> known = builtin_target_placeholders();
    for (const auto& [k, v] : t.params)
      known.insert(k);
    for (const SweepSpec& sweep : suite.sweeps) {
      if (sweep.targets.empty() ||
          std::find(sweep.targets.begin(), sweep.targets.end(), t.name) != sweep.targets.end()) {
        known.insert(sweep.param);
      }
    }
    auto check = [&](const std::string& value, const char* key) {
      for (const auto& name : placeholder_names(value)) {
        if (known.count(name) == 0) {
          throw SuiteError(path + ":" + std::to_string(t.line) + ": target '" + t.name + "' " +
                           key + ": unknown placeholder {" + name + "}");
        }
      }
    };
    for (const auto& arg : t.command)
      check(arg, "command");
    for (const auto& [k, v] : t.env)
      check(v, "env");
    check(t.cwd, "cwd");
  }
  for (const SweepSpec& sweep : suite.sweeps) {
    bool used = false;
    for (const TargetSpec& t : suite.targets) {
      if (!sweep.targets.empty() &&
          std::find(sweep.targets.begin(), sweep.targets.end(), t.name) == sweep.targets.end()) {
        continue;
      }
      for (const auto& arg : t.command)
        used |= uses_placeholder(arg, sweep.param);
      for (const auto& [k, v] : t.env)
        used |= uses_placeholder(v, sweep.param);
    }
    if (!used) {
      throw SuiteError(path + ":" + std::to_string(sweep.line) + ": sweep '" + sweep.param +
                       "': no target's command or env uses {" + sweep.param + "}");
    }
  }
  return suite;
}

Suite load_suite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SuiteError("cannot read suite '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_suite(text.str(), path);
}

}  // namespace anvil::lab
