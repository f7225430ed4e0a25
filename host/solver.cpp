// Method names and the validation of solver options.
#include "cucnf/solver.hpp"

#include <cmath>
#include <string>

#include "core/tableau.hpp"
#include "cucnf/error.hpp"

namespace cucnf {
namespace {

constexpr Method kMethods[] = {Method::euler,  Method::midpoint,   Method::rk4,
                               Method::rk4_38, Method::heun_euler, Method::fehlberg2,
                               Method::bosh3,  Method::dopri5,     Method::tsit5};

std::string valid_names() {
  std::string names;
  for (Method m : kMethods) names += std::string(names.empty() ? "" : ", ") + method_name(m);
  return names;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(ErrorKind::invalid_argument, message);
}

}  // namespace

const char* method_name(Method method) noexcept {
  switch (method) {
    case Method::euler:
      return "euler";
    case Method::midpoint:
      return "midpoint";
    case Method::rk4:
      return "rk4";
    case Method::rk4_38:
      return "rk4_38";
    case Method::heun_euler:
      return "heun_euler";
    case Method::fehlberg2:
      return "fehlberg2";
    case Method::bosh3:
      return "bosh3";
    case Method::dopri5:
      return "dopri5";
    case Method::tsit5:
      return "tsit5";
  }
  return "unknown";
}

Method parse_method(const std::string& name) {
  for (Method m : kMethods)
    if (name == method_name(m)) return m;
  if (name == "adaptive_heun") return Method::heun_euler;
  throw Error(ErrorKind::invalid_argument,
              "unknown method '" + name + "' (valid: " + valid_names() + ")");
}

bool is_adaptive(Method method) noexcept {
  return detail::tableau(method).adaptive;
}

int method_order(Method method) noexcept {
  return detail::tableau(method).order;
}

void validate(const SolverOptions& o) {
  bool known = false;
  for (Method m : kMethods) known = known || m == o.method;
  require(known, "unknown method (valid: " + valid_names() + ")");
  const std::string method = method_name(o.method);
  if (is_adaptive(o.method)) {
    require(std::isfinite(o.rtol) && o.rtol > 0,
            "rtol must be a finite number > 0 (got " + std::to_string(o.rtol) + ")");
    require(std::isfinite(o.atol) && o.atol > 0,
            "atol must be a finite number > 0 (got " + std::to_string(o.atol) + ")");
    require(std::isfinite(o.step_size) && o.step_size >= 0,
            "step_size (the first step of " + method + ") must be >= 0; 0 selects it");
  } else {
    require(std::isfinite(o.step_size) && o.step_size > 0,
            "fixed-step method " + method + " needs step_size > 0");
  }
  require(o.max_num_steps > 0, "max_num_steps must be > 0");
  require(std::isfinite(o.min_step) && o.min_step >= 0, "min_step must be >= 0");
  require(o.safety > 0 && o.safety <= 1, "safety must be in (0, 1]");
  require(o.ifactor >= 1 && std::isfinite(o.ifactor), "ifactor must be a finite number >= 1");
  require(o.dfactor > 0 && o.dfactor <= 1, "dfactor must be in (0, 1]");
}

}  // namespace cucnf
