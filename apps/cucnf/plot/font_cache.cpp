#include "font_cache.hpp"

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <cstdlib>
#include <mutex>

namespace cucnf::cli::plot {
namespace {

extern "C" void release_font_caches() {
  cairo_debug_reset_static_data();  // drops cairo's references to fontconfig's objects first
  FcFini();
}

}  // namespace

void release_font_caches_at_exit() {
  static std::once_flag registered;
  std::call_once(registered, [] { std::atexit(release_font_caches); });
}

}  // namespace cucnf::cli::plot
