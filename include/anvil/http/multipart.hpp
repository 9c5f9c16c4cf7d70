#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace anvil::http {

// One part of a multipart/form-data body (RFC 7578), like curl's -F name=value / name=@file.
struct FormField {
  std::string name;
  std::string value;         // the content, when file_path is empty
  std::string file_path;     // non-empty: the content is this file's bytes
  std::string filename;      // sent as filename=; defaults to file_path's last component
  std::string content_type;  // sent as Content-Type; files default to application/octet-stream
};

struct MultipartBody {
  std::string body;
  std::string content_type;  // "multipart/form-data; boundary=<boundary>"
};

// Builds the body once, before a run. Throws std::invalid_argument for an invalid boundary
// (1..70 characters of RFC 2046 §5.1.1 bchars, not ending in space), names or filenames or
// content types with CR/LF/NUL, or a boundary that occurs in some part's content; and
// std::runtime_error naming the file when a file cannot be read. A '"' in a name or
// filename is sent percent-encoded (%22), as browsers do (RFC 7578 §2).
MultipartBody build_multipart_body(const std::vector<FormField>& fields, std::string_view boundary);

}  // namespace anvil::http
