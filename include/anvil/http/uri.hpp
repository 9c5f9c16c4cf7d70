#pragma once

// Percent-encoding and query-string helpers for the ETL server. AIStore's reference servers
// are Python, so where an exact byte sequence matters these functions reproduce Python's
// urllib.parse byte for byte (tests/http/test_h11_request_oracle.py checks them against it).
// All functions work on bytes: no character-set decoding, no validation of UTF-8.

#include <optional>
#include <string>
#include <string_view>

namespace anvil::http {

// Decodes %XX escapes (RFC 3986 §2.1) of a path or other URI component into `out` (replacing
// its contents). '+' stays '+'. Strict: '%' not followed by two hex digits -> false (out is
// then unspecified). Decoded bytes may be anything, NUL included.
bool percent_decode(std::string_view in, std::string& out);

// The same for a query component in application/x-www-form-urlencoded form, where '+' means
// a space (as Python's unquote_plus and Go's url.QueryUnescape do). Strict like
// percent_decode.
bool percent_decode_query(std::string_view in, std::string& out);

// The value of the FIRST `name=value` pair of `query` (no leading '?') whose decoded name
// equals `name`, decoded with the query rules; nullopt when there is none. A pair without
// '=' has an empty value. Exactly Python's `dict(parse_qsl(query, keep_blank_values=True))`
// order-wise first entry over bytes (encoding='latin-1'): pairs split on '&' only, empty
// pairs skipped, '+' -> space, and a malformed %-escape is kept verbatim (Python's unquote is
// lenient; rejecting would refuse requests the reference servers serve).
//
// First, not last: HTTPMultiThreadedServer (parse_qs(...)[name][0]), Flask/Werkzeug
// (request.args.get) and Go (url.Values.Get) return the first value; only Starlette/FastAPI
// (request.query_params[name], built from a dict of the pairs) returns the last. The AIS
// target sets each parameter once (url.Values.Set), so the choice only matters for
// hand-written requests.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Python's urllib.parse.quote(in, safe=safe) over bytes: A-Z a-z 0-9 and "_.-~" are never
// encoded, nor are the ASCII bytes of `safe` (its non-ASCII bytes are ignored, as Python
// does); every other byte becomes %XX with upper-case hex.
std::string percent_encode(std::string_view in, std::string_view safe);

// Python's urllib.parse.quote_plus(in, safe=""), the encoding urlencode() applies to names
// and values: like percent_encode(in, "") but a space becomes '+'.
std::string percent_encode_query(std::string_view in);

// Returns `query` with every pair whose decoded name (query_param's rules) is `name` removed
// and one `quote_plus(name)=quote_plus(value)` appended, as the direct-put URL composition
// does with etl_args (AIS ETL contract §5.3). The other pairs are kept verbatim and in order
// (hop queries such as uuid/owt reach the target exactly as it wrote them); empty pairs
// ("&&", a trailing '&') are dropped.
std::string query_set_param(std::string_view query, std::string_view name, std::string_view value);

// Python's posixpath.normpath(posixpath.join("/", decoded.lstrip("/"))), the ETL servers'
// sanitize_fqn after unquote: an absolute path with "//", "." and ".." collapsed (".." at the
// root stays at the root). It normalizes; it does NOT confine the path anywhere. nullopt when
// `decoded` contains a NUL byte (no file can have that name; Python's open() raises).
std::optional<std::string> normalize_fqn(std::string_view decoded);

}  // namespace anvil::http
