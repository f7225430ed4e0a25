// Tests of the rings demo's figures: each file is read back with cairo or giflib and checked for
// its documented size, content and (for the GIF) frame count, delays and looping.
#include <cairo.h>
#include <gif_lib.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cucnf/error.hpp"
#include "plot/colormap.hpp"
#include "plot/figures.hpp"

namespace fs = std::filesystem;
namespace plot = cucnf::cli::plot;

namespace {

constexpr double kPi = 3.14159265358979323846;

// A density like the demo's target: two concentric rings of radius 1.5 and 3.
double rings_density(double x, double y, double width) {
  const double r = std::hypot(x, y);
  return std::exp(-0.5 * std::pow((r - 1.5) / width, 2)) +
         std::exp(-0.5 * std::pow((r - 3.0) / width, 2));
}

// An n x n grid of density(x, y) at the cell centres, row 0 at the top.
template <class Density>
plot::Grid grid_of(int n, Density density) {
  plot::Grid grid;
  grid.nx = grid.ny = n;
  for (int row = 0; row < n; ++row) {
    const double y = grid.y_max - (row + 0.5) * (grid.y_max - grid.y_min) / n;
    for (int col = 0; col < n; ++col) {
      const double x = grid.x_min + (col + 0.5) * (grid.x_max - grid.x_min) / n;
      grid.values.push_back(density(x, y));
    }
  }
  return grid;
}

plot::Grid rings_grid(int n, double width) {
  return grid_of(n, [width](double x, double y) { return rings_density(x, y, width); });
}

plot::Grid gaussian_grid(int n, double sigma) {
  return grid_of(n, [sigma](double x, double y) {
    return std::exp(-0.5 * (x * x + y * y) / (sigma * sigma));
  });
}

// Frames moving n Gaussian samples onto the rings as t goes from 0 to 1.
std::vector<plot::Frame> flow_frames(int count, int n) {
  std::mt19937 random(7);
  std::normal_distribution<double> normal;
  std::vector<double> start, end;
  for (int i = 0; i < n; ++i) {
    const double x = normal(random), y = normal(random);
    const double angle = std::atan2(y, x);
    const double radius = (i % 2 == 0 ? 1.5 : 3.0) + 0.15 * normal(random);
    start.insert(start.end(), {x, y});
    end.insert(end.end(), {radius * std::cos(angle), radius * std::sin(angle)});
  }
  std::vector<plot::Frame> frames(count);
  for (int f = 0; f < count; ++f) {
    const double s = count > 1 ? static_cast<double>(f) / (count - 1) : 1.0;
    frames[f].t = s;
    for (int i = 0; i < 2 * n; ++i) frames[f].points.push_back((1 - s) * start[i] + s * end[i]);
    const plot::Grid from = gaussian_grid(100, 1.0);
    const plot::Grid to = rings_grid(100, 0.2);
    frames[f].density = from;
    for (std::size_t k = 0; k < from.values.size(); ++k) {
      frames[f].density.values[k] = (1 - s) * from.values[k] / (2 * kPi) + s * to.values[k] / 10;
    }
  }
  return frames;
}

struct LossCurve {
  std::vector<double> iterations, loss, running_average;
};

// A loss falling from about 9 nats to the 2.52 nats floor, with minibatch noise.
LossCurve loss_curve(int n) {
  std::mt19937 random(3);
  std::normal_distribution<double> noise(0.0, 0.05);
  LossCurve curve;
  double average = 0.0;
  for (int i = 0; i < n; ++i) {
    const double loss =
        2.55 + 6.5 * std::exp(-i / 60.0) + 0.15 * std::exp(-i / 600.0) + noise(random);
    average = i == 0 ? loss : 0.95 * average + 0.05 * loss;
    curve.iterations.push_back(i);
    curve.loss.push_back(loss);
    curve.running_average.push_back(average);
  }
  return curve;
}

// A fresh empty directory per test, removed afterwards.
class FiguresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cucnf_plot_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  fs::path dir_;
};

struct PngInfo {
  int width = 0, height = 0;
  std::size_t distinct_colours = 0;
};

PngInfo read_png(const std::string& path) {
  cairo_surface_t* surface = cairo_image_surface_create_from_png(path.c_str());
  PngInfo info;
  EXPECT_EQ(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS) << path;
  if (cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS) {
    info.width = cairo_image_surface_get_width(surface);
    info.height = cairo_image_surface_get_height(surface);
    const unsigned char* data = cairo_image_surface_get_data(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    std::set<std::uint32_t> colours;
    for (int y = 0; y < info.height; ++y) {
      const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
      colours.insert(row, row + info.width);
    }
    info.distinct_colours = colours.size();
  }
  cairo_surface_destroy(surface);
  return info;
}

// Expects write() to throw cucnf::Error(io) naming the file, and to leave `dir` empty.
template <class Write>
void expect_io_error_and_no_file(const fs::path& dir, const std::string& path, Write write) {
  try {
    write();
    ADD_FAILURE() << "no exception writing " << path;
  } catch (const cucnf::Error& error) {
    EXPECT_EQ(error.kind(), cucnf::ErrorKind::io);
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

double luminance(const plot::Rgb& c) {
  auto linear = [](double v) {
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
}

TEST(Colormap, RunsFromDarkPurpleToYellow) {
  const plot::Rgb low = plot::viridis(0.0);
  EXPECT_LT(luminance(low), 0.05);
  EXPECT_GT(low.r, low.g);  // purple: red and blue, little green
  EXPECT_GT(low.b, low.g);
  EXPECT_GT(low.b, 0.25);

  const plot::Rgb high = plot::viridis(1.0);
  EXPECT_GT(luminance(high), 0.7);
  EXPECT_GT(high.r, 0.9);  // yellow: red and green, little blue
  EXPECT_GT(high.g, 0.85);
  EXPECT_LT(high.b, 0.25);
}

TEST(Colormap, LuminanceIncreasesMonotonically) {
  double previous = -1.0;
  for (int i = 0; i <= 1000; ++i) {
    const double current = luminance(plot::viridis(i / 1000.0));
    EXPECT_GT(current, previous) << "at t = " << i / 1000.0;
    previous = current;
  }
}

TEST(Colormap, ClampsOutOfRangeArguments) {
  EXPECT_EQ(plot::viridis(-3.0).g, plot::viridis(0.0).g);
  EXPECT_EQ(plot::viridis(7.0).g, plot::viridis(1.0).g);
  EXPECT_EQ(plot::viridis(std::nan("")).g, plot::viridis(0.0).g);
  EXPECT_EQ(plot::viridis_pixels()[0], 0xff440154u);
  EXPECT_EQ(plot::viridis_pixels()[255], 0xfffde725u);
}

TEST_F(FiguresTest, LossPngHasDocumentedSizeAndContent) {
  const LossCurve curve = loss_curve(1000);
  plot::write_loss_png(file("loss.png"), curve.iterations, curve.loss, curve.running_average, 2.521,
                       "rings: training loss");
  const PngInfo png = read_png(file("loss.png"));
  EXPECT_EQ(png.width, 900);
  EXPECT_EQ(png.height, 560);
  EXPECT_GT(png.distinct_colours, 20u);
  EXPECT_EQ(entries(), std::vector<std::string>{"loss.png"});  // no temporary left
}

TEST_F(FiguresTest, LossPngCopesWithEmptyAndNonFiniteInput) {
  plot::write_loss_png(file("empty.png"), {}, {}, {}, 2.5, "nothing yet");
  EXPECT_EQ(read_png(file("empty.png")).width, 900);
  const double nan = std::nan("");
  plot::write_loss_png(file("nan.png"), {0, 1, 2, 3}, {5.0, nan, 1e300, 3.0}, {}, nan, "odd");
  EXPECT_EQ(read_png(file("nan.png")).height, 560);
}

TEST_F(FiguresTest, LossPngRejectsMismatchedSeries) {
  EXPECT_THROW(plot::write_loss_png(file("loss.png"), {0, 1}, {1.0}, {}, 1.0, "t"), cucnf::Error);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(FiguresTest, DensityPngHasDocumentedSizeAndContent) {
  plot::write_density_png(file("density.png"), rings_grid(100, 0.15), rings_grid(80, 0.3),
                          "held-out NLL 2.69 nats after 1000 iterations");
  const PngInfo png = read_png(file("density.png"));
  EXPECT_EQ(png.width, 1200);
  EXPECT_EQ(png.height, 600);
  EXPECT_GT(png.distinct_colours, 100u);  // two colour-mapped gradients
  EXPECT_EQ(entries(), std::vector<std::string>{"density.png"});
}

TEST_F(FiguresTest, DensityPngReplacesAnExistingFile) {
  const plot::Grid grid = rings_grid(50, 0.2);
  plot::write_density_png(file("density.png"), grid, grid, "first");
  plot::write_density_png(file("density.png"), grid, grid, "second");
  EXPECT_EQ(read_png(file("density.png")).width, 1200);
  EXPECT_EQ(entries(), std::vector<std::string>{"density.png"});
}

TEST_F(FiguresTest, DensityPngRejectsMalformedGrid) {
  plot::Grid bad = rings_grid(10, 0.2);
  bad.values.pop_back();
  try {
    plot::write_density_png(file("density.png"), rings_grid(10, 0.2), bad, "");
    ADD_FAILURE() << "no exception";
  } catch (const cucnf::Error& error) {
    EXPECT_EQ(error.kind(), cucnf::ErrorKind::invalid_argument);
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

TEST_F(FiguresTest, SamplesGifHasDocumentedSizeFramesDelaysAndLoops) {
  const std::vector<plot::Frame> frames = flow_frames(5, 2000);
  plot::write_samples_gif(file("samples.gif"), rings_grid(100, 0.15), frames, 12);
  EXPECT_EQ(entries(), std::vector<std::string>{"samples.gif"});

  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(
      DGifOpenFileName(file("samples.gif").c_str(), &error));
  ASSERT_NE(gif, nullptr) << GifErrorString(error);
  ASSERT_EQ(DGifSlurp(gif.get()), GIF_OK) << GifErrorString(gif->Error);
  EXPECT_EQ(gif->SWidth, 960);
  EXPECT_EQ(gif->SHeight, 340);
  ASSERT_EQ(gif->ImageCount, 5);

  // giflib attaches the extensions that precede an image to that image.
  bool loops_forever = false;
  const SavedImage& first = gif->SavedImages[0];
  for (int i = 0; i + 1 < first.ExtensionBlockCount; ++i) {
    const ExtensionBlock& block = first.ExtensionBlocks[i];
    const ExtensionBlock& next = first.ExtensionBlocks[i + 1];
    if (block.Function == APPLICATION_EXT_FUNC_CODE && block.ByteCount == 11 &&
        std::memcmp(block.Bytes, "NETSCAPE2.0", 11) == 0 && next.ByteCount == 3) {
      loops_forever = next.Bytes[0] == 1 && next.Bytes[1] == 0 && next.Bytes[2] == 0;
    }
  }
  EXPECT_TRUE(loops_forever);

  for (int i = 0; i < gif->ImageCount; ++i) {
    const SavedImage& image = gif->SavedImages[i];
    EXPECT_EQ(image.ImageDesc.Width, 960);
    EXPECT_EQ(image.ImageDesc.Height, 340);
    GraphicsControlBlock control{};
    ASSERT_EQ(DGifSavedExtensionToGCB(gif.get(), i, &control), GIF_OK);
    EXPECT_EQ(control.DelayTime, i + 1 == gif->ImageCount ? 112 : 12) << "frame " << i;
    // Not blank: many palette entries in use.
    std::set<int> used(image.RasterBits, image.RasterBits + 960 * 340);
    EXPECT_GT(used.size(), 50u) << "frame " << i;
  }
}

TEST_F(FiguresTest, SamplesGifRejectsBadArguments) {
  const plot::Grid target = rings_grid(20, 0.2);
  std::vector<plot::Frame> frames = flow_frames(2, 10);
  EXPECT_THROW(plot::write_samples_gif(file("a.gif"), target, {}, 10), cucnf::Error);
  EXPECT_THROW(plot::write_samples_gif(file("a.gif"), target, frames, -1), cucnf::Error);
  frames[1].points.pop_back();
  EXPECT_THROW(plot::write_samples_gif(file("a.gif"), target, frames, 10), cucnf::Error);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(FiguresTest, WritingIntoMissingDirectoryThrowsAndLeavesNothing) {
  const std::string missing = file("missing");
  const LossCurve curve = loss_curve(50);
  const plot::Grid grid = rings_grid(30, 0.2);
  const std::vector<plot::Frame> frames = flow_frames(2, 100);
  expect_io_error_and_no_file(dir_, missing + "/loss.png", [&] {
    plot::write_loss_png(missing + "/loss.png", curve.iterations, curve.loss, curve.running_average,
                         2.5, "t");
  });
  expect_io_error_and_no_file(dir_, missing + "/density.png", [&] {
    plot::write_density_png(missing + "/density.png", grid, grid, "s");
  });
  expect_io_error_and_no_file(dir_, missing + "/samples.gif", [&] {
    plot::write_samples_gif(missing + "/samples.gif", grid, frames, 10);
  });
}

}  // namespace
