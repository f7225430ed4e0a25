"""Medians and ratios of the CPU comparison, from the files run_compare_cpu.sh wrote.

Usage: python3 compare_cpu.py DIR

A peer's "initial model" iteration is the median of its iterations 2-11 (the first one compiles
or warms up); its "trained model" iteration the median of its last 50 when it ran 1000; its
log p the median of its repeats, at the model it trained. Ratios are peer time / cucnf time.
"""
import json
import os
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def bench_row(results, prefix, points=None):
    for r in results:
        if r["name"].startswith(prefix) and (points is None or r["points"] == points):
            return r
    return None


def main(out):
    fehl = load(os.path.join(out, "cucnf_bench_fehlberg2.json"))["results"]
    dopri = load(os.path.join(out, "cucnf_bench_dopri5.json"))["results"]
    logp = load(os.path.join(out, "cucnf_bench_logp.json"))["results"]
    rings = load(os.path.join(out, "cucnf_rings", "metrics.json"))
    rings_dopri = load(os.path.join(out, "cucnf_rings_dopri5", "metrics.json"))
    wall_path = os.path.join(out, "cucnf_rings.wall")
    demo_wall = float(open(wall_path).read().split()[-1]) if os.path.exists(wall_path) else None
    torch = load(os.path.join(out, "torchdiffeq_fehlberg2.json"))
    jax = load(os.path.join(out, "diffrax_dopri5_backsolve.json"))

    def early(log):
        return statistics.median([r["sec"] for r in log if 2 <= r["itr"] <= 11]) * 1e3

    def late(log):
        if not log or log[-1]["itr"] < 1000:
            return None
        return statistics.median([r["sec"] for r in log[-50:]]) * 1e3

    def evals(summary, n):
        secs = [e["sec"] for e in summary.get("evals", []) if e["n"] == n]
        return statistics.median(secs) * 1e3 if secs else None

    rows = []

    def add(work, ours, peer, theirs):
        ratio = "%7.1fx" % (theirs / ours) if ours and theirs else "      -"
        rows.append("%-46s %11s %-26s %11s %s" % (
            work, "%.2f" % ours if ours else "-", peer, "%.1f" % theirs if theirs else "-", ratio))

    for label, res, peer, log in (("fehlberg2", fehl, "torchdiffeq fehlberg2", torch["log"]),
                                  ("dopri5", dopri, "diffrax dopri5", jax["log"])):
        i0 = bench_row(res, "train iteration, initial")
        it = bench_row(res, "train iteration, trained")
        add("train iteration, initial model, %s" % label, i0 and i0["median_ms"], peer, early(log))
        add("train iteration, trained model, %s" % label, it and it["median_ms"], peer, late(log))
    for n in (10000, 100000):
        ours = bench_row(logp, "log p", n)
        for peer, summary in (("torchdiffeq dopri5", torch["summary"]),
                              ("diffrax dopri5", jax["summary"])):
            add("log p of %d points, dopri5 1e-5" % n, ours and ours["median_ms"], peer,
                evals(summary, n))
    ts, js = torch["summary"], jax["summary"]
    add("1000 training iterations, fehlberg2", rings["training_seconds"] * 1e3,
        "torchdiffeq (%d iters)" % ts["iters"], ts["train_seconds"] * 1e3)
    add("1000 training iterations, dopri5", rings_dopri["training_seconds"] * 1e3,
        "diffrax (%d iters)" % js["iters"], js["train_seconds"] * 1e3)

    print("\n%-46s %11s %-26s %11s %s" % ("work (ms unless noted)", "cucnf", "peer", "peer",
                                           "ratio"))
    for r in rows:
        print(r)
    print("\ncucnf: %s; demo training %.1f s (fehlberg2), %.1f s (dopri5); held-out NLL %.3f "
          "(fehlberg2), %.3f (dopri5) on %d points; the whole demo (training, evaluation, "
          "pictures, animation) %s s" %
          (rings["device"], rings["training_seconds"], rings_dopri["training_seconds"],
           rings["heldout_nll"], rings_dopri["heldout_nll"], rings["heldout_points"],
           "%.1f" % demo_wall if demo_wall else "-"))
    print("torchdiffeq: %d iterations in %.0f s, last-10 batch loss %.3f; diffrax: %d iterations "
          "in %.0f s + %.0f s compile, last-10 batch loss %.3f; data entropy 2.521" %
          (ts["iters"], ts["train_seconds"], ts["mean_loss_last10"], js["iters"],
           js["train_seconds"], js["compile_sec"], js["mean_loss_last10"]))
    for name, summary in (("torchdiffeq", ts), ("diffrax", js)):
        for e in summary.get("evals", []):
            if e.get("rep") == 0:
                print("  %s log p of %d: %.3f s, %s evaluations/steps" %
                      (name, e["n"], e["sec"], e.get("nfe", e.get("steps"))))
    for name, res in (("fehlberg2", fehl), ("dopri5", dopri), ("log p", logp)):
        for r in res:
            print("  cucnf %-60s %9.2f ms  nfe %d/%d" % (r["name"], r["median_ms"],
                                                        r["nfe_forward"], r["nfe_backward"]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/compare_cpu")
