#include "durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cucnf/error.hpp"

namespace cucnf::detail {
namespace {

[[noreturn]] void io_error(const std::string& path, const std::string& reason) {
  throw Error(ErrorKind::io, "cannot write '" + path + "': " + reason);
}

// "dir/" and "name" of a path ("" and the path when it has no slash).
std::pair<std::string, std::string> split_path(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

std::string temporary_for(const std::string& destination) {
  constexpr std::size_t kNameMax = 255;
  const auto [dir, name] = split_path(destination);
  const std::string suffix = ".tmp." + std::to_string(::getpid());
  return dir + name.substr(0, kNameMax - suffix.size()) + suffix;
}

// fsync of a file or directory opened read-only; EINVAL (no fsync on this file system) is fine.
bool sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0 || errno == EINVAL;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

}  // namespace

OutputTarget resolve_output(const std::string& path) {
  OutputTarget t;
  t.destination = path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // Replace what the link points to, and keep the link. A dangling link names the new file.
    std::unique_ptr<char, decltype(&std::free)> target(::realpath(path.c_str(), nullptr),
                                                       &std::free);
    if (target) {
      t.destination = target.get();
    } else {
      char buffer[PATH_MAX];
      const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer - 1);
      if (n < 0) io_error(path, std::strerror(errno));
      const std::string link(buffer, std::size_t(n));
      t.destination = link[0] == '/' ? link : split_path(path).first + link;
    }
  }
  if (::stat(t.destination.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) io_error(path, "it is a directory");
    if (S_ISSOCK(st.st_mode)) io_error(path, "it is a socket");
    if (!S_ISREG(st.st_mode)) {  // a FIFO or a device: write into it
      t.direct = true;
      t.write_path = t.destination;
      return t;
    }
  }
  t.write_path = temporary_for(t.destination);
  return t;
}

void commit_output(const OutputTarget& target, const std::string& path) {
  if (target.direct) return;
  auto fail = [&](const std::string& what) {
    const std::string reason = what + ": " + std::strerror(errno);
    std::remove(target.write_path.c_str());
    io_error(path, reason);
  };
  if (!sync_path(target.write_path, 0)) fail("cannot sync the temporary file");
  if (std::rename(target.write_path.c_str(), target.destination.c_str()) != 0)
    fail("cannot rename '" + target.write_path + "' over it");
  const std::string dir = split_path(target.destination).first;
  if (!sync_path(dir.empty() ? "." : dir, O_DIRECTORY))
    io_error(path, std::string("cannot sync its directory: ") + std::strerror(errno));
}

void write_file_durably(const std::string& path, const std::string& text) {
  const OutputTarget target = resolve_output(path);
  const int flags = O_WRONLY | O_CLOEXEC | (target.direct ? 0 : O_CREAT | O_TRUNC);
  const int fd = ::open(target.write_path.c_str(), flags, 0666);
  if (fd < 0) io_error(path, std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      if (!target.direct) std::remove(target.write_path.c_str());
      io_error(path, reason);
    }
    done += std::size_t(n);
  }
  if (::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    if (!target.direct) std::remove(target.write_path.c_str());
    io_error(path, reason);
  }
  commit_output(target, path);
}

}  // namespace cucnf::detail
