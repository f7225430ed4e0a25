#include "core/tableau.hpp"

#include "cucnf/error.hpp"

namespace cucnf::detail {
namespace {

// The seven-stage 5(4) pairs: b is a's last row, so y_new is the last stage's input (FSAL).
Tableau seven_stage_fsal(Tableau t, const double (&c)[7], const double (&a)[7][6],
                         const double (&e)[7]) {
  for (int i = 0; i < 7; ++i) {
    t.c[i] = c[i];
    t.e[i] = e[i];
    for (int j = 0; j < 6; ++j) t.a[i][j] = a[i][j];
  }
  for (int j = 0; j < 6; ++j) t.b[j] = a[6][j];
  return t;
}

Tableau make_euler() {
  Tableau t;
  t.stages = 1;
  t.order = 1;
  t.b[0] = 1.0;
  return t;
}

Tableau make_midpoint() {
  Tableau t;
  t.stages = 2;
  t.order = 2;
  t.c[1] = 0.5;
  t.a[1][0] = 0.5;
  t.b[1] = 1.0;
  return t;
}

Tableau make_rk4() {
  Tableau t;
  t.stages = 4;
  t.order = 4;
  t.c[1] = 0.5;
  t.c[2] = 0.5;
  t.c[3] = 1.0;
  t.a[1][0] = 0.5;
  t.a[2][1] = 0.5;
  t.a[3][2] = 1.0;
  t.b[0] = 1.0 / 6;
  t.b[1] = 1.0 / 3;
  t.b[2] = 1.0 / 3;
  t.b[3] = 1.0 / 6;
  return t;
}

// Kutta's 3/8 rule: torchdiffeq's "rk4" (rk4_alt_step_func).
Tableau make_rk4_38() {
  Tableau t;
  t.stages = 4;
  t.order = 4;
  t.c[1] = 1.0 / 3;
  t.c[2] = 2.0 / 3;
  t.c[3] = 1.0;
  t.a[1][0] = 1.0 / 3;
  t.a[2][0] = -1.0 / 3;
  t.a[2][1] = 1.0;
  t.a[3][0] = 1.0;
  t.a[3][1] = -1.0;
  t.a[3][2] = 1.0;
  t.b[0] = 0.125;
  t.b[1] = 0.375;
  t.b[2] = 0.375;
  t.b[3] = 0.125;
  return t;
}

Tableau make_heun_euler() {
  Tableau t;
  t.stages = 2;
  t.order = 2;
  t.adaptive = true;
  t.fsal = true;
  t.c[1] = 1.0;
  t.a[1][0] = 1.0;
  t.b[0] = 0.5;
  t.b[1] = 0.5;
  t.e[0] = 0.5;
  t.e[1] = -0.5;
  return t;
}

Tableau make_fehlberg2() {
  Tableau t;
  t.stages = 3;
  t.order = 2;
  t.adaptive = true;
  t.fsal = true;
  t.c[1] = 0.5;
  t.c[2] = 1.0;
  t.a[1][0] = 0.5;
  t.a[2][0] = 1.0 / 256;
  t.a[2][1] = 255.0 / 256;
  t.b[0] = 1.0 / 512;
  t.b[1] = 255.0 / 256;
  t.b[2] = 1.0 / 512;
  t.e[0] = -1.0 / 512;
  t.e[2] = 1.0 / 512;
  return t;
}

Tableau make_bosh3() {
  Tableau t;
  t.stages = 4;
  t.order = 3;
  t.adaptive = true;
  t.fsal = true;
  t.b_is_last_stage = true;
  t.c[1] = 0.5;
  t.c[2] = 0.75;
  t.c[3] = 1.0;
  t.a[1][0] = 0.5;
  t.a[2][1] = 0.75;
  t.a[3][0] = 2.0 / 9;
  t.a[3][1] = 1.0 / 3;
  t.a[3][2] = 4.0 / 9;
  t.b[0] = 2.0 / 9;
  t.b[1] = 1.0 / 3;
  t.b[2] = 4.0 / 9;
  t.e[0] = 2.0 / 9 - 7.0 / 24;
  t.e[1] = 1.0 / 3 - 1.0 / 4;
  t.e[2] = 4.0 / 9 - 1.0 / 3;
  t.e[3] = -1.0 / 8;
  return t;
}

// Dormand-Prince 5(4) with the error weights torchdiffeq uses (Shampine's variant).
Tableau make_dopri5() {
  Tableau t;
  t.stages = 7;
  t.order = 5;
  t.adaptive = true;
  t.fsal = true;
  t.b_is_last_stage = true;
  const double c[7] = {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
  const double a[7][6] = {
      {},
      {1.0 / 5},
      {3.0 / 40, 9.0 / 40},
      {44.0 / 45, -56.0 / 15, 32.0 / 9},
      {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
      {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
      {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
  };
  const double e[7] = {35.0 / 384 - 1951.0 / 21600,
                       0.0,
                       500.0 / 1113 - 22642.0 / 50085,
                       125.0 / 192 - 451.0 / 720,
                       -2187.0 / 6784 + 12231.0 / 42400,
                       11.0 / 84 - 649.0 / 6300,
                       -1.0 / 60};
  return seven_stage_fsal(t, c, a, e);
}

// Tsitouras 5(4), propagating the fifth-order solution as OrdinaryDiffEq and diffrax do
// (torchdiffeq 0.2.5 propagates the embedded fourth-order one); error weights b - b_hat.
Tableau make_tsit5() {
  Tableau t;
  t.stages = 7;
  t.order = 5;
  t.adaptive = true;
  t.fsal = true;
  t.b_is_last_stage = true;
  const double c[7] = {0.0, 0.161, 0.327, 0.9, 0.9800255409045096857298102862870245954942137979563,
                       1.0, 1.0};
  const double a[7][6] = {
      {},
      {0.161},
      {-0.008480655492356988544426874250230774675121177393430,
       0.3354806554923569885444268742502307746751211773934},
      {2.897153057105493432130432594192938764924887287701866,
       -6.359448489975074843148159912383825625952700647415627,
       4.362295432869581411017727318190886861027813359713760},
      {5.325864828439256604428877920840511317836476253097040,
       -11.74888356406282787774717033978577296188744178259863,
       7.495539342889836208304604784564358155658679161518187,
       -0.09249506636175524925650207933207191611349983406029535},
      {5.861455442946420028659251486982647890394337666164814,
       -12.92096931784710929170611868178335939541780751955743,
       8.159367898576158643180400794539253485181918321135053,
       -0.07158497328140099722453054252582973869127213147363545,
       -0.02826905039406838290900305721271224146717633626879770},
      {0.09646076681806522951816731316512876333711995238157997, 0.01,
       0.4798896504144995747752495322905965199130404621990332,
       1.379008574103741893192274821856872770756462643091361,
       -3.290069515436080679901047585711363850115683290894936,
       2.324710524099773982415355918398765796109060233222962},
  };
  const double e[7] = {-0.001780011052225771443378550607539534775944678804333660,
                       -0.0008164344596567469032236360633546862401862537590159048,
                       0.007880878010261996010314727672526304238628733777103129,
                       -0.1447110071732629075371651479726351167209227123431677,
                       0.5823571654525552250199376106520421794260781239567388,
                       -0.4580821059291869466616365188325542974428047279788398,
                       1.0 / 66};
  return seven_stage_fsal(t, c, a, e);
}

}  // namespace

const Tableau& tableau(Method method) {
  static const Tableau euler = make_euler();
  static const Tableau midpoint = make_midpoint();
  static const Tableau rk4 = make_rk4();
  static const Tableau rk4_38 = make_rk4_38();
  static const Tableau heun_euler = make_heun_euler();
  static const Tableau fehlberg2 = make_fehlberg2();
  static const Tableau bosh3 = make_bosh3();
  static const Tableau dopri5 = make_dopri5();
  static const Tableau tsit5 = make_tsit5();
  switch (method) {
    case Method::euler:
      return euler;
    case Method::midpoint:
      return midpoint;
    case Method::rk4:
      return rk4;
    case Method::rk4_38:
      return rk4_38;
    case Method::heun_euler:
      return heun_euler;
    case Method::fehlberg2:
      return fehlberg2;
    case Method::bosh3:
      return bosh3;
    case Method::dopri5:
      return dopri5;
    case Method::tsit5:
      return tsit5;
  }
  throw Error(ErrorKind::invalid_argument, "unknown Runge-Kutta method");
}

}  // namespace cucnf::detail
