"""The README's GPU results table (markdown) from cucnf-bench's JSON and a rings run's metrics.

Usage: python3 bench/gpu_table.py BENCH_JSON [--metrics results/metrics.json] [--command TEXT]

BENCH_JSON is `cucnf-bench --json` output (with `--model` it holds the trained-model rows too);
--metrics adds the full demo training from `cucnf rings`. The peers are design §6's H100 figures
(bench/report.cpp), the targets issue 11's. Standard library only.
"""
import argparse
import json

# Issue 11's targets on an H100: (prefix of the work's name, points or None, test, words).
TARGETS = [
    ("train iteration, initial", None, lambda m: m["median_ms"] <= 0.4, "<= 0.4 ms"),
    ("log p", 1000000, lambda m: m["median_ms"] <= 12.0, "<= 12 ms"),
    ("fused stage kernel", None,
     lambda m: m["floor_ms"] > 0 and m["median_ms"] <= 1.2 * m["floor_ms"], "<= 1.2x floor"),
]


def target_cell(m):
    for prefix, points, test, words in TARGETS:
        if m["name"].startswith(prefix) and (points is None or m["points"] == points):
            return "%s: %s" % (words, "met" if test(m) else "**not met**")
    return ""


def ms(value):
    return "%.3f" % value if value < 10 else "%.1f" % value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_json")
    parser.add_argument("--metrics", help="metrics.json of a `cucnf rings` run")
    parser.add_argument("--command", default="tests/gpu_check.sh",
                        help="the command that produced the files, for the caption")
    args = parser.parse_args()
    with open(args.bench_json) as f:
        bench = json.load(f)

    print("%s, cucnf %s, %s; `%s` (%s, medians after warm-up)\n" %
          (bench["device"], bench["version"], bench["date"][:10], args.command, bench["timing"]))
    print("| work | cucnf (median ms) | steps | NFE fwd/bwd | peak MB | x floor "
          "| peers on an H100 (design §6): their ms (ratio) | target (issue 11) |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for m in bench["results"]:
        floor = "%.1f" % (m["median_ms"] / m["floor_ms"]) if m["floor_ms"] > 0 else "-"
        peers = ", ".join("%s %g (%.1fx)" % (p["name"], p["ms"], p["ratio"]) for p in m["peers"])
        print("| %s | %s | %.0f | %.0f/%.0f | %.1f | %s | %s | %s |" %
              (m["name"], ms(m["median_ms"]), m["steps"], m["nfe_forward"], m["nfe_backward"],
               m["peak_device_mb"], floor, peers or "-", target_cell(m)))
    if args.metrics:
        with open(args.metrics) as f:
            run = json.load(f)
        print("| %d training iterations (`cucnf rings`), held-out NLL %.3f | %.1f s | | "
              "%.0f/%.0f (median) | | | torchdiffeq ~20-25 min, diffrax 32 s + 10 s compile | |" %
              (run["iterations"], run["heldout_nll"], run["training_seconds"],
               run["nfe_forward"]["median"], run["nfe_backward"]["median"]))
    print("\nx floor: median over the hardware floor for the same work (bench/README.md); "
          "ratio: the peer's time over cucnf's.")


if __name__ == "__main__":
    main()
