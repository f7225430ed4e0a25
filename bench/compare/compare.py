"""Ratios of the peers' times to cucnf's on the same work, from the files run_compare.sh wrote.

Usage: python3 compare.py DIR
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def row(results, prefix, points=None):
    for r in results:
        if r["name"].startswith(prefix) and (points is None or r["points"] == points):
            return r
    return None


def main(out):
    bench = load(os.path.join(out, "cucnf_bench.json"))["results"]
    trained_path = os.path.join(out, "cucnf_bench_trained.json")
    trained = load(trained_path)["results"] if os.path.exists(trained_path) else []
    metrics = load(os.path.join(out, "cucnf_rings", "metrics.json"))
    torch = load(os.path.join(out, "torchdiffeq_fehlberg2.json"))["summary"]
    jax = load(os.path.join(out, "diffrax_dopri5_backsolve.json"))["summary"]

    lines = []

    def add(work, ours_ms, peer, peer_ms):
        if ours_ms and peer_ms:
            lines.append((work, ours_ms, peer, peer_ms, peer_ms / ours_ms))

    it0 = row(bench, "train iteration, initial")
    itn = row(trained, "train iteration, trained")
    ours_iter = metrics["median_iteration_seconds"] * 1e3
    add("median training iteration over a run", ours_iter, "torchdiffeq",
        torch["median_iter_sec"] * 1e3)
    add("median training iteration over a run", ours_iter, "diffrax",
        jax["median_iter_sec"] * 1e3)
    if it0:
        add("training iteration, initial model", it0["median_ms"], "diffrax (median)",
            jax["median_iter_sec"] * 1e3)
    if itn:
        add("training iteration, trained model", itn["median_ms"], "torchdiffeq (median)",
            torch["median_iter_sec"] * 1e3)
    for n in (100000, 1000000):
        ours = row(trained or bench, "log p", n)
        for name, summary in (("torchdiffeq", torch), ("diffrax", jax)):
            evals = [e["sec"] for e in summary.get("evals", []) if e["n"] == n]
            if ours and evals:
                add("log p of %d points" % n, ours["median_ms"], name, min(evals) * 1e3)
    print("\n%-42s %12s %-22s %12s %8s" % ("work", "cucnf ms", "peer", "peer ms", "ratio"))
    for work, ours, peer, peer_ms, ratio in lines:
        print("%-42s %12.3f %-22s %12.1f %7.1fx" % (work, ours, peer, peer_ms, ratio))
    print("\nheld-out NLL: cucnf %.3f (100k points); torchdiffeq last-10 batch mean %.3f; "
          "diffrax last-10 batch mean %.3f; data entropy 2.521" %
          (metrics["heldout_nll"], torch["mean_loss_last10"], jax["mean_loss_last10"]))
    print("full training: cucnf %.1f s for %d iterations; torchdiffeq %d iterations in %.0f s; "
          "diffrax %d iterations in %.0f s" %
          (metrics["training_seconds"], metrics["iterations"], torch["iters"],
           torch["train_seconds"], jax["iters"], jax["train_seconds"]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/compare")
