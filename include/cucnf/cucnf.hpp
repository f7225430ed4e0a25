// cucnf: continuous normalising flows with a tanh-planar field, on the GPU and the CPU.
// This umbrella header includes the whole public API.
#pragma once

#include "cucnf/device.hpp"
#include "cucnf/device_arrays.hpp"
#include "cucnf/error.hpp"
#include "cucnf/flow.hpp"
#include "cucnf/gradient.hpp"
#include "cucnf/model.hpp"
#include "cucnf/rings.hpp"
#include "cucnf/solver.hpp"
#include "cucnf/train.hpp"
#include "cucnf/version.hpp"
