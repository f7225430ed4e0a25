#include "files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "atomic_file.hpp"

namespace cucnf::cli {

void write_text(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text << std::flush;
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
