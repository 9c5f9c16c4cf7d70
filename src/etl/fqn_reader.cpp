#include "fqn_reader.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "anvil/http/uri.hpp"

namespace anvil::etl {

namespace {

int open_beneath(int root_fd, const char* relative) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, relative, &how, sizeof how));
}

std::vector<std::string> read_only_mounts() {
  std::vector<std::string> roots;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> ..." (proc(5))
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, options;
    fields >> id >> parent >> dev >> root >> point >> options;
    if (point.empty() || point == "/" || point.starts_with("/proc") || point.starts_with("/sys") ||
        point.starts_with("/dev")) {
      continue;
    }
    if (options == "ro" || options.starts_with("ro,")) roots.push_back(point);
  }
  return roots;
}

}  // namespace

FqnReader::FqnReader(std::vector<std::string> roots) {
  for (auto& root : roots) {
    auto normalized = http::normalize_fqn(root);
    if (!normalized) continue;
    core::UniqueFd fd(::open(normalized->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) continue;  // a root that does not exist grants nothing
    roots_.push_back(*normalized);
    root_fds_.push_back(std::move(fd));
  }
}

FqnReader FqnReader::from_environment() {
  const char* env = std::getenv("ANVIL_FQN_ROOTS");
  if (env == nullptr) return FqnReader(read_only_mounts());
  std::vector<std::string> roots;
  std::string_view list(env);
  while (!list.empty()) {
    const size_t colon = list.find(':');
    std::string_view item = list.substr(0, colon);
    if (!item.empty()) roots.emplace_back(item);
    if (colon == std::string_view::npos) break;
    list.remove_prefix(colon + 1);
  }
  return FqnReader(std::move(roots));
}

FqnStatus FqnReader::resolve(std::string_view decoded, std::string& normalized,
                             core::UniqueFd& fd) const {
  auto path = http::normalize_fqn(decoded);
  if (!path) return FqnStatus::forbidden;
  normalized = *path;
  for (size_t i = 0; i < roots_.size(); ++i) {
    const std::string& root = roots_[i];
    const bool beneath = root == "/"
                             ? true
                             : (normalized.size() > root.size() && normalized.starts_with(root) &&
                                normalized[root.size()] == '/');
    if (!beneath) continue;
    const std::string relative = normalized.substr(root == "/" ? 1 : root.size() + 1);
    const int opened = open_beneath(root_fds_[i].get(), relative.c_str());
    if (opened < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return FqnStatus::not_found;
      if (errno == EXDEV || errno == ELOOP || errno == EACCES || errno == EPERM)
        return FqnStatus::forbidden;
      return FqnStatus::io_error;
    }
    fd.reset(opened);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      fd.reset();
      return FqnStatus::forbidden;  // directories, devices, fifos: never an object
    }
    return FqnStatus::ok;
  }
  return FqnStatus::forbidden;
}

FqnStatus FqnReader::read(std::string_view decoded, std::string& normalized,
                          std::string& content) const {
  core::UniqueFd fd;
  const FqnStatus status = resolve(decoded, normalized, fd);
  if (status != FqnStatus::ok) return status;
  struct stat st {};
  ::fstat(fd.get(), &st);
  content.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the file shrank while we read it: serve what is there
    done += static_cast<size_t>(n);
  }
  content.resize(done);
  return FqnStatus::ok;
}

}  // namespace anvil::etl
