#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

// {name} placeholders in suite commands, environments and paths. Substitution is one pass and
// literal: values are never re-scanned, so a value containing braces stays as it is.
namespace anvil::lab {

using Placeholders = std::map<std::string, std::string>;

// The names inside {...} in text; "{{" is not special (suites never need a literal brace in
// an argument that also holds a placeholder).
std::vector<std::string> placeholder_names(const std::string& text);
bool uses_placeholder(const std::string& text, const std::string& name);

// Replaces the placeholders named in `values`; leaves others as they are.
std::string substitute_known(const std::string& text, const Placeholders& values);

// Replaces every placeholder; throws std::invalid_argument naming the first unknown one.
std::string substitute_all(const std::string& text, const Placeholders& values);

// What the lab itself provides to targets: port, host, suite_dir, binary_dir, venv, python.
std::set<std::string> builtin_target_placeholders();

}  // namespace anvil::lab
