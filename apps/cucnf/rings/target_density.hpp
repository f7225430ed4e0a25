// The exact density of the rings distribution, for the "target" pictures.
#pragma once

namespace cucnf::cli {

/// Density at (x, y) of the rings data (design §2): an equal mixture of four rings (radius 1 and
/// 0.5 with noise 0.06, radius 4 and 2 with noise 0.12), each with uniformly spread angles and
/// isotropic Gaussian noise. A ring of radius R and noise s has the density
///   exp(-(r^2 + R^2) / (2 s^2)) I0(r R / s^2) / (2 pi s^2)
/// (I0: modified Bessel function), evaluated in an overflow-free scaled form.
double rings_density(double x, double y);

}  // namespace cucnf::cli
