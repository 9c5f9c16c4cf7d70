#include "anvil/lab/placeholders.hpp"

#include <stdexcept>

namespace anvil::lab {

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Calls f(begin, end, name) for each {name}; `end` is one past '}'.
template <class F>
void scan(const std::string& text, F&& f) {
  size_t i = 0;
  while ((i = text.find('{', i)) != std::string::npos) {
    size_t j = i + 1;
    while (j < text.size() && is_name_char(text[j]))
      ++j;
    if (j < text.size() && text[j] == '}' && j > i + 1) {
      f(i, j + 1, text.substr(i + 1, j - i - 1));
      i = j + 1;
    } else {
      ++i;
    }
  }
}

std::string substitute(const std::string& text, const Placeholders& values, bool all) {
  std::string out;
  size_t copied = 0;
  scan(text, [&](size_t begin, size_t end, const std::string& name) {
    auto it = values.find(name);
    if (it == values.end()) {
      if (all) throw std::invalid_argument("unknown placeholder {" + name + "}");
      return;
    }
    out.append(text, copied, begin - copied);
    out += it->second;
    copied = end;
  });
  out.append(text, copied, std::string::npos);
  return out;
}

}  // namespace

std::vector<std::string> placeholder_names(const std::string& text) {
  std::vector<std::string> names;
  scan(text, [&](size_t, size_t, const std::string& name) { names.push_back(name); });
  return names;
}

bool uses_placeholder(const std::string& text, const std::string& name) {
  for (const auto& n : placeholder_names(text)) {
    if (n == name) return true;
  }
  return false;
}

std::string substitute_known(const std::string& text, const Placeholders& values) {
  return substitute(text, values, false);
}

std::string substitute_all(const std::string& text, const Placeholders& values) {
  return substitute(text, values, true);
}

std::set<std::string> builtin_target_placeholders() {
  return {"port", "host", "suite_dir", "binary_dir", "venv", "python"};
}

}  // namespace anvil::lab
