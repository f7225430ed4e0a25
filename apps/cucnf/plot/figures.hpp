// The figures of the rings demo: the training loss curve, the target and learned densities, and
// an animation of samples flowing from the base distribution to the data.
#pragma once

#include <string>
#include <vector>

namespace cucnf::cli::plot {

/// Values on a regular grid over [x_min, x_max] x [y_min, y_max]: ny rows of nx values, row 0 at
/// y_max (the top of the picture), column 0 at x_min. Each value is drawn as a cell of the
/// picture, smoothed bilinearly.
struct Grid {
  double x_min = -4.5, x_max = 4.5, y_min = -4.5, y_max = 4.5;
  int nx = 0, ny = 0;
  std::vector<double> values;  // ny * nx, densities (>= 0)
};

/// loss.png, 900 x 560 pixels: the per-iteration loss (thin light line), its running average
/// (thick dark line), and a dashed horizontal line at `floor` labelled e.g.
/// "data entropy 2.521 nats (floor)". x axis "iteration", y axis "loss (nats)"; title `title`.
///
/// The y range shows the approach to the floor rather than the huge first losses: its top is
/// the larger of the 2nd percentile of the first 10% of the losses (about where the loss stands
/// once the initial plunge is over) and the 98th percentile of the remaining 90% (so a loss that
/// rises later stays in view), its bottom the smallest loss or the floor, whichever is lower,
/// with 5% margins and room under the floor for its label. Lines leaving the range are clipped.
/// Non-finite values are skipped. running_average may be empty; otherwise loss and
/// running_average must have as many values as iterations (else cucnf::Error invalid_argument).
/// Throws cucnf::Error(io) naming path when the file cannot be written; written atomically.
void write_loss_png(const std::string& path, const std::vector<double>& iterations,
                    const std::vector<double>& loss, const std::vector<double>& running_average,
                    double floor, const std::string& title);

/// density.png, 1200 x 600 pixels: two square panels side by side, "target density" (left) and
/// "learned density" (right), each the grid's values colour-mapped (each panel scaled to its own
/// max, values clipped at 0) with a colour bar, with x/y axes and tick labels, and `subtitle`
/// centred under the titles (e.g. "held-out NLL 2.69 nats after 1000 iterations").
/// Throws cucnf::Error(invalid_argument) for a malformed grid, cucnf::Error(io) naming path when
/// the file cannot be written; written atomically.
void write_density_png(const std::string& path, const Grid& target, const Grid& learned,
                       const std::string& subtitle);

/// One frame of the animation.
struct Frame {
  double t = 0.0;              // time shown in the frame title, e.g. "t = 3.50"
  std::vector<double> points;  // n x 2 row-major sample positions at time t
  Grid density;                // the model's density at time t on a grid
};

/// samples.gif, 960 x 340 pixels: for every frame three square panels as in torchdiffeq's CNF
/// example animation: "target" (the target grid, colour-mapped), "samples" (the frame's points as
/// small dots on a white background with the same axes limits as the grid), "density" (the
/// frame's grid, colour-mapped, scaled to its own max), with a title line "t = ..." on top.
/// `delay_cs` is the per-frame delay in hundredths of a second; the last frame is held 1 s
/// longer. The animation loops forever. Each frame has its own 256-colour palette.
/// Throws cucnf::Error(invalid_argument) for no frames, a negative or too long delay, a malformed
/// grid or an odd number of point coordinates; cucnf::Error(io) naming path when the file cannot
/// be written; written atomically.
void write_samples_gif(const std::string& path, const Grid& target,
                       const std::vector<Frame>& frames, int delay_cs);

}  // namespace cucnf::cli::plot
