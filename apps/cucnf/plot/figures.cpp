// The three figures of the rings demo, laid out on Canvas/Axes.
#include "figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "axes.hpp"
#include "canvas.hpp"
#include "colormap.hpp"
#include "cucnf/error.hpp"
#include "gif_writer.hpp"
#include "ticks.hpp"

namespace cucnf::cli::plot {
namespace {

// Picture sizes are part of the contract with the demo's callers and tests.
constexpr int kLossWidth = 900, kLossHeight = 560;
constexpr int kDensityWidth = 1200, kDensityHeight = 600;
constexpr int kSamplesWidth = 960, kSamplesHeight = 340;

constexpr Rgb kLossColour{0.62, 0.74, 0.88};            // light blue
constexpr Rgb kRunningAverageColour{0.06, 0.20, 0.44};  // dark blue
constexpr Rgb kFloorColour{0.76, 0.22, 0.16};           // brick red
constexpr Rgb kSubtitleColour{0.35, 0.35, 0.35};
constexpr Rgb kPointColour{0.19, 0.07, 0.36};  // dark purple, the low end of the colormap

std::string format(const char* pattern, double value) {
  char text[128];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

void check_grid(const Grid& grid, const std::string& what) {
  const bool ok = grid.nx > 0 && grid.ny > 0 &&
                  grid.values.size() == static_cast<std::size_t>(grid.nx) * grid.ny &&
                  std::isfinite(grid.x_min) && std::isfinite(grid.x_max) &&
                  std::isfinite(grid.y_min) && std::isfinite(grid.y_max) &&
                  grid.x_max > grid.x_min && grid.y_max > grid.y_min;
  if (!ok) {
    throw Error(ErrorKind::invalid_argument,
                what + ": needs nx, ny > 0, nx * ny values and x_min < x_max, y_min < y_max (got " +
                    std::to_string(grid.nx) + " x " + std::to_string(grid.ny) + ", " +
                    std::to_string(grid.values.size()) + " values)");
  }
}

Range x_range(const Grid& grid) {
  return {grid.x_min, grid.x_max};
}
Range y_range(const Grid& grid) {
  return {grid.y_min, grid.y_max};
}

// The q-quantile (0..1) of values, by the nearest-rank rule; values must not be empty.
double quantile(std::vector<double> values, double q) {
  const auto rank = static_cast<std::size_t>(std::floor(q * (values.size() - 1) + 0.5));
  std::nth_element(values.begin(), values.begin() + rank, values.end());
  return values[rank];
}

// The loss axis range documented at write_loss_png(); `plot_height` and `label_room` in pixels.
Range loss_range(const std::vector<double>& loss, double floor, double plot_height,
                 double label_room) {
  std::vector<double> finite;
  for (double v : loss) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  const bool has_floor = std::isfinite(floor);
  if (finite.empty()) return has_floor ? Range{floor - 1.0, floor + 1.0} : Range{0.0, 1.0};

  const std::size_t early_count = std::max<std::size_t>(1, finite.size() / 10);
  const std::vector<double> early(finite.begin(), finite.begin() + early_count);
  const std::vector<double> later(finite.begin() + early_count, finite.end());
  double top = quantile(early, 0.02);
  if (!later.empty()) top = std::max(top, quantile(later, 0.98));
  double bottom = *std::min_element(finite.begin(), finite.end());
  if (has_floor) {
    top = std::max(top, floor);
    bottom = std::min(bottom, floor);
  }
  if (!(top > bottom)) {
    top += 0.5;
    bottom -= 0.5;
  }
  const double margin = 0.05 * (top - bottom);
  top += margin;
  bottom -= margin;
  if (has_floor) {
    // The floor label sits under the dashed line: keep label_room pixels below it, that is
    // (floor - bottom) / (top - bottom) >= label_room / plot_height.
    const double share = std::min(label_room / plot_height, 0.5);
    bottom = std::min(bottom, (floor - share * top) / (1.0 - share));
  }
  return {bottom, top};
}

Range iteration_range(const std::vector<double>& iterations) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (double v : iterations) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi)) return {0.0, 1.0};
  if (lo == hi) return {lo - 1.0, hi + 1.0};
  // Widen the ends to round numbers when they are close (1..999 -> 0..1000), so ticks mark the
  // start and end of training.
  const Ticks ticks = nice_ticks(lo, hi, 10);
  if (ticks.values.size() >= 2) {
    const double step = ticks.values[1] - ticks.values[0];
    const double slack = 0.02 * (hi - lo);
    const double rounded_lo = std::floor(lo / step) * step;
    const double rounded_hi = std::ceil(hi / step) * step;
    if (lo - rounded_lo <= slack) lo = rounded_lo;
    if (rounded_hi - hi <= slack) hi = rounded_hi;
  }
  return {lo, hi};
}

// A legend of line samples and names in the top right corner of `axes`, on a white box; the
// running average's entry only when there is one.
void draw_loss_legend(Canvas& canvas, const Axes& axes, bool with_running_average) {
  constexpr double kFont = 12.0, kRow = 20.0, kSample = 28.0, kPad = 9.0;
  const char* names[] = {"loss per iteration", "running average"};
  const LineStyle styles[] = {{1.2, kLossColour}, {2.6, kRunningAverageColour}};
  const int entries = with_running_average ? 2 : 1;
  double text_width = 0.0;
  for (int i = 0; i < entries; ++i) {
    text_width = std::max(text_width, canvas.text_width(names[i], kFont, false));
  }
  const double box_width = kPad + kSample + 8.0 + text_width + kPad;
  const double box_height = entries * kRow + kPad;
  const double left = axes.area().x + axes.area().width - 12.0 - box_width;
  const double top = axes.area().y + 12.0;

  cairo_t* cr = canvas.context();
  cairo_rectangle(cr, std::round(left) + 0.5, std::round(top) + 0.5, box_width, box_height);
  cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.9);
  cairo_fill_preserve(cr);
  set_colour(cr, {0.8, 0.8, 0.8});
  cairo_set_line_width(cr, 1.0);
  cairo_stroke(cr);
  for (int i = 0; i < entries; ++i) {
    const double y = top + kPad + kRow * (i + 0.5) - 0.5 * kPad + 2.0;
    cairo_move_to(cr, left + kPad, y);
    cairo_line_to(cr, left + kPad + kSample, y);
    set_colour(cr, styles[i].colour);
    cairo_set_line_width(cr, styles[i].width);
    cairo_stroke(cr);
    canvas.draw_text(left + kPad + kSample + 8.0, y, names[i],
                     {kFont, false, kTextColour, Align::start, Align::centre});
  }
}

void draw_floor(Canvas& canvas, Axes& axes, double floor) {
  axes.draw_horizontal_line(floor, {1.6, kFloorColour, 1.0, 6.0});
  const std::string label = format("data entropy %.3f nats (floor)", floor);
  constexpr double kFont = 12.0;
  const double x = axes.area().x + 10.0;
  const double y = axes.pixel_y(floor) + 7.0;
  // A translucent white backing keeps the label readable where noisy losses dip below the floor.
  cairo_t* cr = canvas.context();
  cairo_rectangle(cr, x - 4.0, y - 3.0, canvas.text_width(label, kFont, false) + 8.0,
                  kFontCapHeight * kFont + 7.0);
  cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.85);
  cairo_fill(cr);
  canvas.draw_text(x, y, label, {kFont, false, kFloorColour, Align::start, Align::start});
}

// One colour-mapped square panel of the animation.
void draw_density_panel(Canvas& canvas, const Rect& area, const Grid& grid,
                        const std::string& title) {
  Axes axes(canvas, area, x_range(grid), y_range(grid));
  axes.draw_density(grid.values, grid.nx, grid.ny, x_range(grid), y_range(grid));
  axes.draw_frame();
  axes.draw_x_ticks(10.0);
  axes.draw_y_ticks(10.0);
  axes.draw_title(title, 13.0);
}

}  // namespace

void write_loss_png(const std::string& path, const std::vector<double>& iterations,
                    const std::vector<double>& loss, const std::vector<double>& running_average,
                    double floor, const std::string& title) {
  if (loss.size() != iterations.size() ||
      (!running_average.empty() && running_average.size() != iterations.size())) {
    throw Error(ErrorKind::invalid_argument,
                "write_loss_png: " + std::to_string(iterations.size()) + " iterations but " +
                    std::to_string(loss.size()) + " losses and " +
                    std::to_string(running_average.size()) + " running averages");
  }
  Canvas canvas(kLossWidth, kLossHeight);
  const Rect area{84.0, 52.0, kLossWidth - 84.0 - 26.0, kLossHeight - 52.0 - 66.0};
  Axes axes(canvas, area, iteration_range(iterations), loss_range(loss, floor, area.height, 30.0));
  axes.draw_line(iterations, loss, {1.0, kLossColour});
  if (std::isfinite(floor)) draw_floor(canvas, axes, floor);
  if (!running_average.empty()) {
    axes.draw_line(iterations, running_average, {2.4, kRunningAverageColour});
  }
  draw_loss_legend(canvas, axes, !running_average.empty());
  axes.draw_frame();
  axes.draw_x_ticks(12.0);
  axes.draw_y_ticks(12.0);
  axes.draw_x_label("iteration", 13.0);
  axes.draw_y_label("loss (nats)", 13.0);
  axes.draw_title(title, 16.0, 14.0);
  canvas.write_png(path);
}

void write_density_png(const std::string& path, const Grid& target, const Grid& learned,
                       const std::string& subtitle) {
  check_grid(target, "write_density_png: target grid");
  check_grid(learned, "write_density_png: learned grid");
  Canvas canvas(kDensityWidth, kDensityHeight);
  constexpr double kPanel = 460.0, kTop = 78.0, kLeftInHalf = 60.0;
  const Grid* grids[] = {&target, &learned};
  const char* titles[] = {"target density", "learned density"};
  for (int i = 0; i < 2; ++i) {
    const Grid& grid = *grids[i];
    const Rect area{kDensityWidth / 2.0 * i + kLeftInHalf, kTop, kPanel, kPanel};
    Axes axes(canvas, area, x_range(grid), y_range(grid));
    const double vmax =
        axes.draw_density(grid.values, grid.nx, grid.ny, x_range(grid), y_range(grid));
    axes.draw_frame();
    axes.draw_x_ticks(12.0);
    axes.draw_y_ticks(12.0);
    axes.draw_x_label("x", 13.0);
    axes.draw_y_label("y", 13.0);
    canvas.draw_text(area.x + 0.5 * kPanel, 34.0, titles[i],
                     {16.0, true, kTextColour, Align::centre, Align::end});
    draw_colour_bar(canvas, {area.x + kPanel + 14.0, kTop, 14.0, kPanel}, vmax, 11.0);
  }
  canvas.draw_text(kDensityWidth / 2.0, 58.0, subtitle,
                   {13.0, false, kSubtitleColour, Align::centre, Align::end});
  canvas.write_png(path);
}

void write_samples_gif(const std::string& path, const Grid& target,
                       const std::vector<Frame>& frames, int delay_cs) {
  constexpr int kExtraHoldCs = 100;  // the last frame stays one second longer
  if (frames.empty()) throw Error(ErrorKind::invalid_argument, "write_samples_gif: no frames");
  if (delay_cs < 0 || delay_cs > 0xffff - kExtraHoldCs) {
    throw Error(
        ErrorKind::invalid_argument,
        "write_samples_gif: delay_cs must be in [0, 65435], got " + std::to_string(delay_cs));
  }
  check_grid(target, "write_samples_gif: target grid");
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::string what = "write_samples_gif: frame " + std::to_string(i);
    check_grid(frames[i].density, what + " density grid");
    if (frames[i].points.size() % 2 != 0) {
      throw Error(ErrorKind::invalid_argument, what + ": " +
                                                   std::to_string(frames[i].points.size()) +
                                                   " point coordinates, not (x, y) pairs");
    }
  }

  // Three 256-pixel squares centred in thirds of the width, nudged right to make room for the
  // y tick labels; titles above, x tick labels below.
  constexpr double kPanel = 256.0, kTop = 58.0, kColumn = kSamplesWidth / 3.0;
  auto panel = [&](int column) {
    return Rect{std::round(kColumn * column + 0.5 * (kColumn - kPanel) + 10.0), kTop, kPanel,
                kPanel};
  };
  GifWriter gif(path, kSamplesWidth, kSamplesHeight);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Frame& frame = frames[i];
    Canvas canvas(kSamplesWidth, kSamplesHeight);
    canvas.draw_text(kSamplesWidth / 2.0, 24.0, format("t = %.2f", frame.t),
                     {16.0, true, kTextColour, Align::centre, Align::end});
    draw_density_panel(canvas, panel(0), target, "target");

    Axes samples(canvas, panel(1), x_range(frame.density), y_range(frame.density));
    samples.draw_points(frame.points, 1.3, kPointColour);
    samples.draw_frame();
    samples.draw_x_ticks(10.0);
    samples.draw_y_ticks(10.0);
    samples.draw_title("samples", 13.0);

    draw_density_panel(canvas, panel(2), frame.density, "density");
    const bool last = i + 1 == frames.size();
    gif.add_frame(canvas, last ? delay_cs + kExtraHoldCs : delay_cs);
  }
  gif.finish();
}

}  // namespace cucnf::cli::plot
