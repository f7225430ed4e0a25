#include "files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "atomic_file.hpp"
#include "cucnf/error.hpp"

namespace cucnf::cli {

void write_text(const std::string& path, const std::string& text) {
  if (path == "-") {
    errno = 0;
    std::cout << text << std::flush;
    if (!std::cout)
      throw Error(ErrorKind::io, std::string("cannot write to standard output: ") +
                                     (errno ? std::strerror(errno) : "write failed"));
    return;
  }
  AtomicFile file(path);
  {
    std::ofstream out(file.write_path(), std::ios::binary);
    out << text;
    out.flush();
    if (!out) file.fail(std::strerror(errno));
  }
  file.commit();
}

}  // namespace cucnf::cli
