"""Peak memory of forward + backward of a 20-layer MLP, measured the same way for both libraries.

Allocator statistics are not comparable across the two libraries (``tracemalloc`` sees NumPy's
buffers, PyTorch's CPU allocator reports to no Python tool), so each library runs in a fresh
process and the measure is the growth of the process's peak resident set (``VmHWM`` in
``/proc/self/status``, reset through ``/proc/self/clear_refs``) during one forward + backward,
after a warm-up step. glibc's malloc is told to serve every block of 64 KiB or more with ``mmap``
(``MALLOC_MMAP_THRESHOLD_=65536``), so a freed buffer goes back to the kernel at once and the resident
set follows the live tensors in both libraries. For rustytorch the ``tracemalloc`` peak (NumPy buffers
plus Python objects) is reported too, as a cross-check.

Run: PYTHONPATH=src python benchmarks/memory.py rustytorch|torch   (prints one JSON line)
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tracemalloc
from typing import Any

import numpy as np

LAYERS, WIDTH, BATCH = 20, 512, 256
DESCRIPTION = f"{LAYERS} x Linear({WIDTH}, {WIDTH}) + ReLU, batch {BATCH}, float32, loss = mean(out^2)"


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(lib: str) -> dict[str, Any]:
    """Run in the child process: the peak growth of resident memory (and tracemalloc's, for rustytorch)."""
    if lib == "torch":
        import torch as m

        m.set_num_threads(2)
    else:
        import rustytorch as m  # type: ignore[no-redef]
    rng = np.random.default_rng(0)
    layers: list[Any] = []
    for _ in range(LAYERS):
        layers += [m.nn.Linear(WIDTH, WIDTH), m.nn.ReLU()]
    model = m.nn.Sequential(*layers)
    x = m.from_numpy(rng.standard_normal((BATCH, WIDTH)).astype(np.float32))

    def forward_backward() -> None:
        out = model(x)
        (out * out).mean().backward()

    def reset() -> None:
        for p in model.parameters():
            p.grad = None
        gc.collect()

    forward_backward()  # warm-up: lazy imports, caches, thread pools
    reset()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current resident set
    base = _status_kib("VmRSS")
    forward_backward()
    result: dict[str, Any] = {"lib": lib, "peak_rss_growth_bytes": (_status_kib("VmHWM") - base) * 1024}
    if lib == "rustytorch":
        reset()
        tracemalloc.start()
        forward_backward()
        result["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result


def run_child(lib: str) -> dict[str, Any]:
    """Measure ``lib`` in a fresh interpreter; {"error": ...} when that fails (e.g. no rt.nn yet)."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), lib], capture_output=True, text=True, env=env, timeout=600
    )
    if proc.returncode != 0:
        return {"lib": lib, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])))
