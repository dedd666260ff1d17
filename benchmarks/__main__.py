"""`make bench`: every benchmark's figures in one JSON (data/08_reporting/benchmark.json) and tables.

    .venv/bin/python -m benchmarks [--size quick|full|tiny] [--output PATH] [--mains]

Calls `measure(size)` of each `benchmarks/bench_*.py` module (bench_scale's scale curve first, then
the comparisons side by side: each module reports its own ratios), writes them with the machine and
the time to `--output`, and prints the scale curve and every other module's numeric figures.
`--mains` runs each module's `main()` instead (their own printouts, as `make benchmarks` did).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "data" / "08_reporting" / "benchmark.json"


def module_names() -> list[str]:
    """The `bench_*` modules of this folder, bench_scale first."""
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    return sorted(names, key=lambda name: name != "bench_scale")


def run_all(size: str, names: list[str] | None = None) -> dict:
    """{module: its measure(size), or the error it raised} plus when, how long and the size."""
    results: dict[str, dict] = {}
    started = time.time()
    for name in names or module_names():
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== benchmarks.{name} ({size})", flush=True)
        if not hasattr(module, "measure"):
            results[name] = {"error": "no measure(size) in this module"}
            continue
        begin = time.perf_counter()
        try:
            results[name] = module.measure(size)
        except Exception as error:  # noqa: BLE001 (one broken benchmark must not hide the others' figures)
            traceback.print_exc()
            results[name] = {"error": f"{type(error).__name__}: {error}"}
        results[name]["bench_wall_s"] = round(time.perf_counter() - begin, 1)
    return {"size": size, "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "wall_s": round(time.time() - started, 1), "results": results}


def numeric_leaves(figures, prefix: str = "") -> Iterator[tuple[str, float]]:
    """(dotted key, number) for every int/float leaf of nested dicts."""
    if isinstance(figures, dict):
        for key, value in figures.items():
            yield from numeric_leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(figures, int | float) and not isinstance(figures, bool):
        yield prefix, figures


def report(run: dict) -> str:
    """The scale curve table, then each other module's figures (ratios among them), one per line."""
    from benchmarks.bench_scale import table

    lines = []
    for name, figures in run["results"].items():
        lines.append(f"\n== {name}")
        if "error" in figures:
            lines.append(f"   error: {figures['error']}")
        elif name == "bench_scale":
            lines.append(table(figures))
        else:
            lines += [f"   {key:60} {value:>14,.4g}" for key, value in numeric_leaves(figures)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="quick", choices=["tiny", "quick", "full"])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--mains", action="store_true", help="run each module's main() instead")
    args = parser.parse_args(argv)
    if args.mains:
        for name in module_names():
            print(f"== benchmarks.{name}", flush=True)
            importlib.import_module(f"benchmarks.{name}").main()
        return 0
    run = run_all(args.size)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(run, indent=2) + "\n")
    print(report(run))
    print(f"\nwritten: {args.output}")
    curve = run["results"].get("bench_scale", {}).get("curve", [])
    failed = any("error" in figures for figures in run["results"].values()) or any("error" in row for row in curve)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
