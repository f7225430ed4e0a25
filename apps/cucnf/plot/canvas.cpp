// Canvas: cairo image surface, DejaVu Sans text and PNG output.
#include "canvas.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>

#include "atomic_file.hpp"
#include "cucnf/error.hpp"
#include "font_cache.hpp"

namespace cucnf::cli::plot {
namespace {

constexpr const char* kFontFamily = "DejaVu Sans";
constexpr double kPi = 3.14159265358979323846;

}  // namespace

void set_colour(cairo_t* cr, const Rgb& colour, double alpha) {
  cairo_set_source_rgba(cr, colour.r, colour.g, colour.b, alpha);
}

Canvas::Canvas(int width, int height)
    : width_(width),
      height_(height),
      surface_(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height)),
      cr_(cairo_create(surface_)) {
  release_font_caches_at_exit();
  if (cairo_status(cr_) != CAIRO_STATUS_SUCCESS) {
    const std::string reason = cairo_status_to_string(cairo_status(cr_));
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
    throw Error(ErrorKind::io, "cannot create a " + std::to_string(width) + "x" +
                                   std::to_string(height) + " picture: " + reason);
  }
  // Grey anti-aliasing with light hinting and unhinted metrics: smooth text whose widths do not
  // jump with the pixel grid, so centred labels stay centred.
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(cr_, options);
  cairo_font_options_destroy(options);

  cairo_set_source_rgb(cr_, 1.0, 1.0, 1.0);
  cairo_paint(cr_);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void Canvas::select_font(double size, bool bold) {
  cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
}

double Canvas::text_width(const std::string& text, double size, bool bold) {
  select_font(size, bold);
  cairo_text_extents_t extents;
  cairo_text_extents(cr_, text.c_str(), &extents);
  return extents.x_advance;
}

void Canvas::draw_text(double x, double y, const std::string& text, const TextStyle& style) {
  const double width = text_width(text, style.size, style.bold);
  const double along = style.horizontal == Align::start    ? 0.0
                       : style.horizontal == Align::centre ? -0.5 * width
                                                           : -width;
  const double cap = kFontCapHeight * style.size;
  const double across = style.vertical == Align::end      ? 0.0
                        : style.vertical == Align::centre ? 0.5 * cap
                                                          : cap;
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  if (style.rotated) cairo_rotate(cr_, -kPi / 2.0);
  cairo_move_to(cr_, along, across);
  set_colour(cr_, style.colour);
  cairo_show_text(cr_, text.c_str());
  cairo_new_path(cr_);
  cairo_restore(cr_);
}

void Canvas::write_png(const std::string& path) const {
  AtomicFile file(path);
  errno = 0;
  const cairo_status_t status = cairo_surface_write_to_png(surface_, file.write_path().c_str());
  if (status != CAIRO_STATUS_SUCCESS) {
    // cairo only says "error while writing to output stream"; errno from its fopen/fwrite
    // usually says why (no such directory, disk full).
    std::string reason = cairo_status_to_string(status);
    if (errno != 0) reason += std::string(" (") + std::strerror(errno) + ")";
    file.fail(reason);
  }
  file.commit();
}

}  // namespace cucnf::cli::plot
