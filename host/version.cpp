#include "cucnf/version.hpp"

namespace cucnf {

const char* version() noexcept {
  return CUCNF_VERSION_STRING;
}

}  // namespace cucnf
