"""rustytorch vs PyTorch vs NumPy, side by side in one process.

Every case (``benchmarks/cases.py``) is timed for the three libraries in interleaved rounds (the
order rotates each round, so that load from other processes hits all of them alike); each round
times a batch of calls long enough to dwarf the timer. The table gives the median time per call,
the ratio rustytorch/torch (below 1: rustytorch is faster) and whether the case's target ratio is
met. PyTorch runs with ``torch.set_num_threads(2)``; rustytorch with its default thread count.
Peak memory (``benchmarks/memory.py``) is measured in a fresh process per library.

Run: PYTHONPATH=src python benchmarks/run.py [--quick] [--only GROUP ...] [--no-memory]
Writes benchmarks/results/latest.json (with the machine's description) and latest.md (the table).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cases import LIBS, Case, Fn, all_cases
from memory import DESCRIPTION as MEMORY_DESCRIPTION
from memory import run_child

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
SMALL_TARGET = 0.8  # geometric mean of the small-tensor ratios


def _timed(fn: Fn, number: int) -> float:
    t = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t) / number


def _calibrate(fn: Fn, min_time: float) -> int:
    """Calls per round so that a round lasts at least ``min_time`` seconds."""
    number = 1
    while True:
        t = _timed(fn, number) * number
        if t >= min_time:
            return number
        number = max(number * 2, int(number * min_time / max(t, 1e-9) * 1.2))


def time_case(case: Case, quick: bool, cooldown: float) -> dict[str, Any]:
    """Median seconds per call for each library (None and a reason when the library cannot run it).

    Before each library's round the process sleeps ``cooldown`` seconds: BLAS and OpenMP worker threads
    spin for a while after a call (OpenBLAS about 0.1 s), and would otherwise slow down the next library.
    """
    fns: dict[str, Fn] = {}
    errors: dict[str, str] = {}
    for lib in LIBS:
        try:
            fn = case.make(lib)
            if fn is None:
                continue
            fn()  # warm-up; an unimplemented op raises here
            fn()
            fns[lib] = fn
        except Exception as e:
            errors[lib] = f"{type(e).__name__}: {e}"[:200]
    min_time = (0.05 if case.slow else 0.004) if quick else (0.2 if case.slow else 0.02)
    rounds = (3 if case.slow else 5) if quick else (7 if case.slow else 21)
    numbers = {lib: _calibrate(fn, min_time) for lib, fn in fns.items()}
    samples: dict[str, list[float]] = {lib: [] for lib in fns}
    order = list(fns)
    for r in range(rounds):
        for lib in order[r % len(order) :] + order[: r % len(order)] if order else []:
            time.sleep(cooldown)
            samples[lib].append(_timed(fns[lib], numbers[lib]))
    medians = {lib: statistics.median(s) for lib, s in samples.items()}
    ratio = medians["rustytorch"] / medians["torch"] if "rustytorch" in medians and "torch" in medians else None
    return {
        "group": case.group,
        "case": case.name,
        "median_s": {lib: medians.get(lib) for lib in LIBS},
        "calls_per_round": numbers,
        "rounds": rounds,
        "ratio": ratio,
        "target": case.target,
        "met": None if ratio is None or case.target is None else ratio <= case.target,
        "errors": errors,
    }


def machine() -> dict[str, Any]:
    """The machine and software the numbers come from."""
    import torch

    import rustytorch as rt

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = "unknown"
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # type: ignore[func-returns-value]
        blas = f"{info.get('name')} {info.get('version')}"
    except Exception:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": blas,
        "torch": torch.__version__,
        "rustytorch": rt.__version__,
        "torch_threads": torch.get_num_threads(),
        "rustytorch_threads": rt.get_num_threads(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }


def _fmt_time(t: float | None) -> str:
    if t is None:
        return "n/a"
    if t < 1e-6:
        return f"{t * 1e9:.0f} ns"
    if t < 1e-3:
        return f"{t * 1e6:.1f} us"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def _status(met: bool | None, target: float | None) -> str:
    if target is None:
        return ""
    return "n/a" if met is None else ("met" if met else "missed")


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def markdown(rows: list[dict[str, Any]], memory: dict[str, Any] | None, info: dict[str, Any]) -> str:
    """The results as a markdown table (one row per case, plus the small-tensor geometric mean)."""
    lines = [
        "| group | case | rustytorch | torch | numpy | rustytorch/torch | target | status |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    last_small = max((i for i, r in enumerate(rows) if r["group"] == "small"), default=-1)
    for i, r in enumerate(rows):
        m = r["median_s"]
        ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}"
        target = "" if r["target"] is None else f"<= {r['target']}"
        lines.append(
            f"| {r['group']} | {r['case']} | {_fmt_time(m['rustytorch'])} | {_fmt_time(m['torch'])} | "
            f"{_fmt_time(m['numpy'])} | {ratio} | {target} | {_status(r['met'], r['target'])} |"
        )
        if i == last_small:
            g = geomean([x["ratio"] for x in rows if x["group"] == "small" and x["ratio"] is not None])
            met = None if g is None else g <= SMALL_TARGET
            lines.append(
                f"| small | **geometric mean** | | | | {'n/a' if g is None else f'{g:.2f}'} | <= {SMALL_TARGET} "
                f"| {_status(met, SMALL_TARGET)} |"
            )
    if memory is not None:
        rt_b = memory.get("rustytorch", {}).get("peak_rss_growth_bytes")
        t_b = memory.get("torch", {}).get("peak_rss_growth_bytes")
        ratio = f"{rt_b / t_b:.2f}" if rt_b and t_b else "n/a"
        mib = lambda b: "n/a" if b is None else f"{b / 2**20:.1f} MiB"  # noqa: E731
        lines.append(f"| memory | peak, fwd+bwd 20-layer MLP | {mib(rt_b)} | {mib(t_b)} | | {ratio} | | |")
    lines.append("")
    lines.append(
        f"Machine: {info['cpu']}, {info['usable_cores']} cores, {info['platform']}; Python {info['python']}, "
        f"NumPy {info['numpy']} ({info['numpy_blas']}), torch {info['torch']} ({info['torch_threads']} threads), "
        f"rustytorch {info['rustytorch']} ({info['rustytorch_threads']} threads); {info['date_utc']} UTC, "
        f"load average (1 min) at start {info['load_average'][0]:.2f}, at end {info['load_average_end'][0]:.2f} "
        "(other processes on the machine slow down the multi-threaded kernels of all three libraries)."
        if info.get("load_average") and info.get("load_average_end")
        else f"Machine: {info['cpu']}, {info['usable_cores']} cores."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description="rustytorch vs PyTorch vs NumPy benchmarks")
    p.add_argument("--quick", action="store_true", help="short timing rounds (about a minute)")
    p.add_argument("--only", nargs="*", help="groups to run: small large reduction matmul autograd training memory")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    p.add_argument("--cooldown", type=float, default=None, help="seconds of sleep between rounds (default 0.1)")
    p.add_argument("--readme", action="store_true", help="also copy the table into README.md")
    p.add_argument("--out", default=os.path.join(RESULTS, "latest.json"), help="where to write the JSON")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    info = machine()
    rows = []
    for case in all_cases(args.quick):
        if args.only and case.group not in args.only:
            continue
        r = time_case(case, args.quick, 0.1 if args.cooldown is None else args.cooldown)
        rows.append(r)
        times = " | ".join(f"{lib} {_fmt_time(r['median_s'][lib])}" for lib in LIBS)
        ratio = f" | ratio {r['ratio']:.2f}" if r["ratio"] is not None else ""
        print(f"{r['group']:>9} | {r['case']:<32} | {times}{ratio}", flush=True)
    info["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    memory = None
    if not args.no_memory and (not args.only or "memory" in args.only):
        memory = {lib: run_child(lib) for lib in ("rustytorch", "torch")}
    table = markdown(rows, memory, info)
    print()
    print(table)
    small = [r["ratio"] for r in rows if r["group"] == "small" and r["ratio"] is not None]
    result = {
        "machine": info,
        "quick": args.quick,
        "cooldown_s": 0.1 if args.cooldown is None else args.cooldown,
        "method": "median of interleaved rounds in one process; ratio = rustytorch / torch",
        "cases": rows,
        "small_geomean_ratio": geomean(small),
        "small_target": SMALL_TARGET,
        "memory": {"workload": MEMORY_DESCRIPTION, "method": "see benchmarks/memory.py", "results": memory},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.splitext(args.out)[0] + ".md", "w") as f:
        f.write(table + "\n")
    if args.readme:
        update_readme(table)
    return result


README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
_START, _END = "<!-- benchmark table: copied from benchmarks/results/latest.md -->", "<!-- end of benchmark table -->"


def update_readme(table: str, path: str = README) -> None:
    """Replace the table between the README's benchmark markers."""
    with open(path) as f:
        text = f.read()
    head, sep, rest = text.partition(_START)
    _, sep2, tail = rest.partition(_END)
    if not sep or not sep2:
        raise SystemExit(f"no benchmark markers in {path}")
    with open(path, "w") as f:
        f.write(f"{head}{_START}\n{table}\n{_END}{tail}")


if __name__ == "__main__":
    main()
