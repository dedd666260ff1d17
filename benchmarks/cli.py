"""What every benchmark's `main()` shares: its `--size` option and the machine line it prints first."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable


def size_parser(doc: str, sizes: Iterable[str], default: str = "quick") -> argparse.ArgumentParser:
    """A parser described by the module docstring's first line, with `--size` among `sizes`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--size", choices=sorted(sizes), default=default)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None, module: str) -> argparse.Namespace:
    """`argv`, or the command line when the module runs as a script (`make benchmarks` calls main() with none)."""
    args = parser.parse_args([] if argv is None and module != "__main__" else argv)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    return args
