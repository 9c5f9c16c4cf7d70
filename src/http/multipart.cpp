#include "anvil/http/multipart.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace anvil::http {

namespace {

// RFC 2046 §5.1.1: bchars = bcharsnospace / " ", 1..70 of them, not ending in a space.
bool is_valid_boundary(std::string_view boundary) noexcept {
  if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ') return false;
  for (char c : boundary) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("'()+_,-./:=? ").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

void check_no_line_break(std::string_view what, std::string_view text) {
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument("form " + std::string(what) + " '" + std::string(text) +
                                "' contains CR, LF or NUL");
  }
}

std::string quote_param(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"') {
      out += "%22";
    } else {
      out += c;
    }
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read form file '" + path + "': " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read form file '" + path + "'");
  return content.str();
}

}  // namespace

MultipartBody build_multipart_body(const std::vector<FormField>& fields,
                                   std::string_view boundary) {
  if (!is_valid_boundary(boundary)) {
    throw std::invalid_argument("invalid multipart boundary '" + std::string(boundary) + "'");
  }
  const std::string delimiter = "--" + std::string(boundary);
  MultipartBody out;
  for (const FormField& field : fields) {
    check_no_line_break("field name", field.name);
    check_no_line_break("filename", field.filename);
    check_no_line_break("content type", field.content_type);
    const bool is_file = !field.file_path.empty();
    const std::string content = is_file ? read_file(field.file_path) : field.value;
    // The delimiter must not occur in any part (RFC 2046 §5.1.1).
    if (content.find(delimiter) != std::string::npos) {
      throw std::invalid_argument("multipart boundary '" + std::string(boundary) +
                                  "' occurs in the content of field '" + field.name + "'");
    }
    std::string filename = field.filename;
    if (is_file && filename.empty()) {
      filename = std::filesystem::path(field.file_path).filename().string();
    }
    out.body += delimiter;
    out.body += "\r\nContent-Disposition: form-data; name=\"";
    out.body += quote_param(field.name);
    out.body += '"';
    if (is_file || !filename.empty()) {
      out.body += "; filename=\"";
      out.body += quote_param(filename);
      out.body += '"';
    }
    out.body += "\r\n";
    std::string type = field.content_type;
    if (type.empty() && is_file) type = "application/octet-stream";
    if (!type.empty()) {
      out.body += "Content-Type: ";
      out.body += type;
      out.body += "\r\n";
    }
    out.body += "\r\n";
    out.body += content;
    out.body += "\r\n";
  }
  out.body += delimiter;
  out.body += "--\r\n";
  const bool needs_quotes = boundary.find_first_of(" '()+,/:=?") != std::string_view::npos;
  out.content_type = "multipart/form-data; boundary=";
  out.content_type += needs_quotes ? "\"" + std::string(boundary) + "\"" : std::string(boundary);
  return out;
}

}  // namespace anvil::http
