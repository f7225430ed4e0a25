// GifWriter: giflib's encoder (EGif*) with GifQuantizeBuffer's median-cut palettes.
#include "gif_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "cucnf/error.hpp"

namespace cucnf::cli::plot {
namespace {

constexpr int kPaletteSize = 256;

struct ColourMapDeleter {
  void operator()(ColorMapObject* map) const { GifFreeMapObject(map); }
};

// GifQuantizeBuffer cuts colours truncated to 5 bits per channel and reports each palette
// entry as the mean of those truncated colours, which darkens everything by up to 7 levels:
// white comes out as (248, 248, 248). Replace every entry by the mean of the true colours of the
// pixels mapped to it, so a white background stays white.
void refine_palette(const std::vector<GifByteType>& red, const std::vector<GifByteType>& green,
                    const std::vector<GifByteType>& blue, const std::vector<GifByteType>& indices,
                    GifColorType* palette) {
  std::array<std::array<std::uint64_t, 4>, kPaletteSize> sums{};  // red, green, blue, count
  for (std::size_t i = 0; i < indices.size(); ++i) {
    auto& sum = sums[indices[i]];
    sum[0] += red[i];
    sum[1] += green[i];
    sum[2] += blue[i];
    sum[3] += 1;
  }
  for (int k = 0; k < kPaletteSize; ++k) {
    const auto& sum = sums[k];
    if (sum[3] == 0) continue;
    const auto mean = [&](std::uint64_t total) {
      return static_cast<GifByteType>((total + sum[3] / 2) / sum[3]);
    };
    palette[k] = {mean(sum[0]), mean(sum[1]), mean(sum[2])};
  }
}

}  // namespace

GifWriter::GifWriter(const std::string& path, int width, int height)
    : file_(path), width_(width), height_(height) {
  // Opened here rather than by EGifOpenFileName, which creates files readable by their owner
  // only; this way the GIF gets the usual permissions (0666 less the umask), as the PNGs do.
  const int descriptor =
      ::open(file_.write_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (descriptor < 0) file_.fail(std::strerror(errno));
  int error = 0;
  gif_ = EGifOpenFileHandle(descriptor, &error);  // owns the descriptor from here on
  if (gif_ == nullptr) {
    ::close(descriptor);
    fail("cannot start the file", error);
  }
  // GIF89a: the frame delays and the loop extension need it.
  EGifSetGifVersion(gif_, true);
  // No global colour table: every frame carries its own palette.
  if (EGifPutScreenDesc(gif_, width, height, 8, 0, nullptr) == GIF_ERROR) {
    fail("cannot write the screen descriptor", gif_->Error);
  }
  // NETSCAPE2.0 application extension, sub-block 1 with loop count 0: repeat forever.
  static const GifByteType kApplication[] = {'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
  static const GifByteType kLoopForever[] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif_, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif_, sizeof kApplication, kApplication) == GIF_ERROR ||
      EGifPutExtensionBlock(gif_, sizeof kLoopForever, kLoopForever) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif_) == GIF_ERROR) {
    fail("cannot write the loop extension", gif_->Error);
  }
}

GifWriter::~GifWriter() {
  if (gif_ != nullptr) {
    int error = 0;
    EGifCloseFile(gif_, &error);  // an abandoned file: file_ removes it next
  }
}

void GifWriter::add_frame(const Canvas& canvas, int delay_cs) {
  if (canvas.width() != width_ || canvas.height() != height_) {
    throw Error(ErrorKind::invalid_argument, "frame size differs from the animation's");
  }
  cairo_surface_t* surface = canvas.surface();
  cairo_surface_flush(surface);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);

  // Split the opaque ARGB32 pixels into the three planes GifQuantizeBuffer reads.
  const std::size_t count = static_cast<std::size_t>(width_) * height_;
  std::vector<GifByteType> red(count), green(count), blue(count), indices(count);
  for (int y = 0; y < height_; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + std::ptrdiff_t{y} * stride);
    for (int x = 0; x < width_; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * width_ + x;
      red[i] = static_cast<GifByteType>(row[x] >> 16);
      green[i] = static_cast<GifByteType>(row[x] >> 8);
      blue[i] = static_cast<GifByteType>(row[x]);
    }
  }
  int palette_size = kPaletteSize;
  GifColorType palette[kPaletteSize] = {};
  if (GifQuantizeBuffer(width_, height_, &palette_size, red.data(), green.data(), blue.data(),
                        indices.data(), palette) == GIF_ERROR) {
    fail("cannot quantise a frame", E_GIF_ERR_NOT_ENOUGH_MEM);
  }
  refine_palette(red, green, blue, indices, palette);
  const std::unique_ptr<ColorMapObject, ColourMapDeleter> colour_map(
      GifMakeMapObject(kPaletteSize, palette));
  if (!colour_map) fail("cannot make a colour map", E_GIF_ERR_NOT_ENOUGH_MEM);

  GraphicsControlBlock control{};
  control.DisposalMode = DISPOSE_DO_NOT;  // every frame covers the whole screen anyway
  control.UserInputFlag = false;
  control.DelayTime = delay_cs;
  control.TransparentColor = NO_TRANSPARENT_COLOR;
  GifByteType extension[4];
  const std::size_t extension_length = EGifGCBToExtension(&control, extension);
  if (EGifPutExtension(gif_, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(extension_length),
                       extension) == GIF_ERROR) {
    fail("cannot write a frame delay", gif_->Error);
  }
  if (EGifPutImageDesc(gif_, 0, 0, width_, height_, false, colour_map.get()) == GIF_ERROR) {
    fail("cannot write a frame header", gif_->Error);
  }
  for (int y = 0; y < height_; ++y) {
    if (EGifPutLine(gif_, indices.data() + static_cast<std::size_t>(y) * width_, width_) ==
        GIF_ERROR) {
      fail("cannot write a frame", gif_->Error);
    }
  }
}

void GifWriter::finish() {
  int error = 0;
  const int status = EGifCloseFile(gif_, &error);
  gif_ = nullptr;  // EGifCloseFile frees the handle even when it fails
  if (status == GIF_ERROR) fail("cannot finish the file", error);
  file_.commit();
}

void GifWriter::fail(const std::string& what, int gif_error) {
  const char* reason = GifErrorString(gif_error);
  const std::string message =
      what + " (giflib: " + (reason != nullptr ? reason : "unknown error") + ")";
  if (gif_ != nullptr) {
    int ignored = 0;
    EGifCloseFile(gif_, &ignored);  // release the handle before the file goes
    gif_ = nullptr;
  }
  file_.fail(message);
}

}  // namespace cucnf::cli::plot
