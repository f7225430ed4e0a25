// Axes: data-to-pixel mapping and the drawing primitives of a panel.
#include "axes.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "cucnf/error.hpp"
#include "ticks.hpp"

namespace cucnf::cli::plot {
namespace {

constexpr double kTickLength = 4.0;
constexpr double kTickLabelGap = 3.0;  // between a tick's end and its label
constexpr double kAxisLabelGap = 6.0;  // between tick labels and the axis label
constexpr double kTwoPi = 6.28318530717958647692;
constexpr int kMostTicks = 11;

// The tick set with the most ticks whose labels, `extent` pixels long each along the axis
// (width for x, height for y), keep at least `gap` pixels apart.
template <class Extent>
Ticks fitting_ticks(Range range, double pixels_per_unit, double gap, Extent extent) {
  for (int count = kMostTicks; count > 2; --count) {
    Ticks ticks = nice_ticks(range.lo, range.hi, count);
    bool fits = true;
    for (std::size_t i = 1; i < ticks.values.size() && fits; ++i) {
      const double spacing = (ticks.values[i] - ticks.values[i - 1]) * pixels_per_unit;
      fits = spacing >= 0.5 * (extent(ticks.labels[i - 1]) + extent(ticks.labels[i])) + gap;
    }
    if (fits) return ticks;
  }
  return nice_ticks(range.lo, range.hi, 2);
}

}  // namespace

Axes::Axes(Canvas& canvas, Rect area, Range x, Range y)
    : canvas_(canvas),
      area_(area),
      x_(x),
      y_(y),
      x_ticks_bottom_(area.y + area.height),
      y_ticks_outer_edge_(area.x) {}

double Axes::pixel_x(double x) const {
  return area_.x + (x - x_.lo) / (x_.hi - x_.lo) * area_.width;
}

double Axes::pixel_y(double y) const {
  return area_.y + (y_.hi - y) / (y_.hi - y_.lo) * area_.height;
}

void Axes::fill(const Rgb& colour) {
  cairo_t* cr = canvas_.context();
  set_colour(cr, colour);
  cairo_rectangle(cr, area_.x, area_.y, area_.width, area_.height);
  cairo_fill(cr);
}

double Axes::draw_density(const std::vector<double>& values, int nx, int ny, Range x, Range y) {
  double vmax = 0.0;
  for (double v : values) {
    if (std::isfinite(v)) vmax = std::max(vmax, v);
  }
  cairo_surface_t* image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, nx, ny);
  if (cairo_surface_status(image) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(image);
    throw Error(ErrorKind::io, "cannot create a " + std::to_string(nx) + "x" + std::to_string(ny) +
                                   " density image");
  }
  const auto& palette = viridis_pixels();
  const double to_index = vmax > 0.0 ? 255.0 / vmax : 0.0;
  unsigned char* data = cairo_image_surface_get_data(image);
  const int stride = cairo_image_surface_get_stride(image);
  for (int row = 0; row < ny; ++row) {
    auto* pixels =
        reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(row) * stride);
    for (int col = 0; col < nx; ++col) {
      const double v = values[static_cast<std::size_t>(row) * nx + col];
      const double index = std::isfinite(v) && v > 0.0 ? v * to_index : 0.0;
      pixels[col] = palette[static_cast<std::size_t>(std::lround(std::min(index, 255.0)))];
    }
  }
  cairo_surface_mark_dirty(image);

  cairo_t* cr = canvas_.context();
  cairo_save(cr);
  cairo_rectangle(cr, area_.x, area_.y, area_.width, area_.height);
  cairo_clip(cr);
  const double left = pixel_x(x.lo);
  const double top = pixel_y(y.hi);
  cairo_translate(cr, left, top);
  cairo_scale(cr, (pixel_x(x.hi) - left) / nx, (pixel_y(y.lo) - top) / ny);
  cairo_set_source_surface(cr, image, 0.0, 0.0);
  // Bilinear smoothing reads like a continuous density; PAD keeps the border cells from fading
  // into transparency.
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
  cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
  cairo_rectangle(cr, 0.0, 0.0, nx, ny);
  cairo_fill(cr);
  cairo_restore(cr);
  cairo_surface_destroy(image);
  return vmax;
}

void Axes::draw_points(const std::vector<double>& xy, double radius, const Rgb& colour) {
  cairo_t* cr = canvas_.context();
  cairo_save(cr);
  cairo_rectangle(cr, area_.x, area_.y, area_.width, area_.height);
  cairo_clip(cr);
  // One path, one fill: thousands of separate fills would cost far more than the dots.
  for (std::size_t i = 0; i + 1 < xy.size(); i += 2) {
    if (!std::isfinite(xy[i]) || !std::isfinite(xy[i + 1])) continue;
    const double px = pixel_x(xy[i]);
    const double py = pixel_y(xy[i + 1]);
    cairo_new_sub_path(cr);
    cairo_arc(cr, px, py, radius, 0.0, kTwoPi);
  }
  set_colour(cr, colour);
  cairo_fill(cr);
  cairo_restore(cr);
}

void Axes::draw_line(const std::vector<double>& xs, const std::vector<double>& ys,
                     const LineStyle& style) {
  cairo_t* cr = canvas_.context();
  cairo_save(cr);
  cairo_rectangle(cr, area_.x, area_.y, area_.width, area_.height);
  cairo_clip(cr);
  bool pen_down = false;
  for (std::size_t i = 0; i < std::min(xs.size(), ys.size()); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
      pen_down = false;
      continue;
    }
    // Far-off values (a diverging loss) are limited so cairo's fixed-point maths stays exact;
    // the clip hides them anyway.
    const double px = std::clamp(pixel_x(xs[i]), -1e5, 1e5);
    const double py = std::clamp(pixel_y(ys[i]), -1e5, 1e5);
    if (pen_down) {
      cairo_line_to(cr, px, py);
    } else {
      cairo_move_to(cr, px, py);
    }
    pen_down = true;
  }
  set_colour(cr, style.colour, style.alpha);
  cairo_set_line_width(cr, style.width);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  if (style.dash > 0.0) cairo_set_dash(cr, &style.dash, 1, 0.0);
  cairo_stroke(cr);
  cairo_restore(cr);
}

void Axes::draw_horizontal_line(double y, const LineStyle& style) {
  draw_line({x_.lo, x_.hi}, {y, y}, style);
}

void Axes::draw_frame() {
  cairo_t* cr = canvas_.context();
  set_colour(cr, kFrameColour);
  cairo_set_line_width(cr, 1.0);
  // Half-pixel offsets put the 1-pixel lines on pixel centres: crisp, not two grey rows.
  cairo_rectangle(cr, std::round(area_.x) - 0.5, std::round(area_.y) - 0.5,
                  std::round(area_.width) + 1.0, std::round(area_.height) + 1.0);
  cairo_stroke(cr);
}

void Axes::draw_x_ticks(double font_size) {
  const Ticks ticks = fitting_ticks(
      x_, area_.width / (x_.hi - x_.lo), 1.0 * font_size,
      [&](const std::string& label) { return canvas_.text_width(label, font_size, false); });
  cairo_t* cr = canvas_.context();
  const double bottom = std::round(area_.y + area_.height) + 0.5;
  std::vector<double> positions;
  for (double value : ticks.values) positions.push_back(std::round(pixel_x(value)) + 0.5);
  // All tick marks first: setting text starts a new path.
  for (double px : positions) {
    cairo_move_to(cr, px, bottom);
    cairo_line_to(cr, px, bottom + kTickLength);
  }
  set_colour(cr, kFrameColour);
  cairo_set_line_width(cr, 1.0);
  cairo_stroke(cr);
  const TextStyle label_style{font_size, false, kTextColour, Align::centre, Align::start};
  for (std::size_t i = 0; i < positions.size(); ++i) {
    canvas_.draw_text(positions[i], bottom + kTickLength + kTickLabelGap, ticks.labels[i],
                      label_style);
  }
  x_ticks_bottom_ = bottom + kTickLength + kTickLabelGap + kFontCapHeight * font_size;
}

void Axes::draw_y_ticks(double font_size, Side side) {
  const Ticks ticks = fitting_ticks(y_, area_.height / (y_.hi - y_.lo), 0.8 * font_size,
                                    [&](const std::string&) { return font_size; });
  cairo_t* cr = canvas_.context();
  const double edge =
      side == Side::left ? std::round(area_.x) - 0.5 : std::round(area_.x + area_.width) + 0.5;
  const double outwards = side == Side::left ? -1.0 : 1.0;
  std::vector<double> positions;
  for (double value : ticks.values) positions.push_back(std::round(pixel_y(value)) + 0.5);
  for (double py : positions) {
    cairo_move_to(cr, edge, py);
    cairo_line_to(cr, edge + outwards * kTickLength, py);
  }
  set_colour(cr, kFrameColour);
  cairo_set_line_width(cr, 1.0);
  cairo_stroke(cr);
  const TextStyle label_style{font_size, false, kTextColour,
                              side == Side::left ? Align::end : Align::start, Align::centre};
  double widest = 0.0;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    canvas_.draw_text(edge + outwards * (kTickLength + kTickLabelGap), positions[i],
                      ticks.labels[i], label_style);
    widest = std::max(widest, canvas_.text_width(ticks.labels[i], font_size, false));
  }
  if (side == Side::left) y_ticks_outer_edge_ = edge - kTickLength - kTickLabelGap - widest;
}

void Axes::draw_x_label(const std::string& label, double font_size) {
  canvas_.draw_text(area_.x + 0.5 * area_.width, x_ticks_bottom_ + kAxisLabelGap, label,
                    {font_size, false, kTextColour, Align::centre, Align::start});
}

void Axes::draw_y_label(const std::string& label, double font_size) {
  // Rotated, the baseline is a vertical line and descenders reach right of it, towards the
  // tick labels: leave room for them.
  const double descent = 0.24 * font_size;
  canvas_.draw_text(y_ticks_outer_edge_ - kAxisLabelGap - descent, area_.y + 0.5 * area_.height,
                    label, {font_size, false, kTextColour, Align::centre, Align::end, true});
}

void Axes::draw_title(const std::string& title, double font_size, double gap) {
  canvas_.draw_text(area_.x + 0.5 * area_.width, area_.y - gap, title,
                    {font_size, true, kTextColour, Align::centre, Align::end});
}

void draw_colour_bar(Canvas& canvas, Rect area, double vmax, double font_size) {
  const double top = vmax > 0.0 && std::isfinite(vmax) ? vmax : 1.0;
  Axes bar(canvas, area, Range{0.0, 1.0}, Range{0.0, top});
  constexpr int kSteps = 256;
  std::vector<double> ramp(kSteps);
  for (int i = 0; i < kSteps; ++i) ramp[i] = top * (kSteps - 1 - i) / (kSteps - 1);
  if (!(vmax > 0.0)) std::fill(ramp.begin(), ramp.end(), 0.0);
  bar.draw_density(ramp, 1, kSteps, Range{0.0, 1.0}, Range{0.0, top});
  bar.draw_frame();
  bar.draw_y_ticks(font_size, Side::right);
}

}  // namespace cucnf::cli::plot
