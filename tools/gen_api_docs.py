"""Generate the API reference pages ``docs/api/*.md`` (mkdocstrings directives) from the package's modules.

Every public ops module (``rustytorch.ops.<name>`` with an ``__all__``) lands on the page of its family,
chosen from its name; the other pages list fixed modules. The pages hold only ``::: module`` directives:
mkdocstrings renders the signatures and NumPy-style docstrings (whose examples the test suite runs).

    PYTHONPATH=src python tools/gen_api_docs.py          # rewrite docs/api/
    PYTHONPATH=src python tools/gen_api_docs.py --check  # exit 1 if a page is stale
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = os.path.join(ROOT, "docs", "api")

# page file -> (title, introduction, fixed modules listed before the ops modules of that family)
PAGES: dict[str, tuple[str, str, list[str]]] = {
    "tensor.md": (
        "Tensor, dtypes and settings",
        "The tensor class, dtypes and type promotion, printing options and the thread count. The methods "
        "that ops attach to `Tensor` (`x.add`, `x.sum`, ...) are documented with their functions on the "
        "other pages.",
        ["rustytorch._tensor", "rustytorch._dtype", "rustytorch._printing", "rustytorch._parallel"],
    ),
    "creation.md": ("Creation and random sampling", "Tensor factories and random number generation.", []),
    "pointwise.md": (
        "Pointwise ops",
        "Elementwise arithmetic, maths, comparison and logic, with broadcasting and torch's promotion.",
        [],
    ),
    "reductions.md": ("Reductions and sorting", "Sums, statistics, extremes, scans, sorting and selection.", []),
    "shape.md": (
        "Shapes, joining and indexing",
        "Views and copies that change a tensor's shape, joining and splitting, gathering and scattering.",
        [],
    ),
    "linalg.md": (
        "Linear algebra",
        "Products, decompositions, norms and solvers (`rt.linalg`).",
        ["rustytorch.linalg"],
    ),
    "autograd.md": ("Autograd", "Gradients, grad modes and gradient checks.", ["rustytorch.autograd"]),
    "nn.md": (
        "Neural networks",
        "Modules, layers, losses and their functional forms.",
        ["rustytorch.nn", "rustytorch.nn.functional", "rustytorch.nn.init"],
    ),
    "optim.md": ("Optimisers", "Optimisers and learning-rate schedulers.", ["rustytorch.optim"]),
    "data.md": (
        "Data loading and serialization",
        "Datasets, samplers, data loaders, `save` and `load`.",
        ["rustytorch.utils.data", "rustytorch.serialization"],
    ),
}


def family(module: str) -> str:
    """The page of an ops module, from its name (``reduction_stats`` -> reductions)."""
    name = module.rpartition(".")[2]
    if name.startswith(("creation", "random")):
        return "creation.md"
    if name.startswith(("reduction", "sorting")):
        return "reductions.md"
    if name.startswith(("movement", "join", "indexing")):
        return "shape.md"
    if name.startswith("linalg"):
        return "linalg.md"
    return "pointwise.md"


def ops_modules() -> list[str]:
    """The public ops modules that export something (``__all__`` not empty)."""
    import rustytorch.ops as ops

    names = []
    for info in pkgutil.iter_modules(ops.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"rustytorch.ops.{info.name}")
        if getattr(mod, "__all__", None):
            names.append(mod.__name__)
    return sorted(names)


def _directive(module: str) -> str:
    mod = importlib.import_module(module)
    members = [n for n in getattr(mod, "__all__", ()) if not isinstance(getattr(mod, n, None), type(sys))]
    lines = [f"::: {module}", "    options:", "      show_root_heading: true"]
    if members:
        lines.append("      members:")
        lines += [f"        - {n}" for n in members]
    return "\n".join(lines)


def pages() -> dict[str, str]:
    """The text of every API page."""
    listed: dict[str, list[str]] = {page: list(mods) for page, (_, _, mods) in PAGES.items()}
    for module in ops_modules():
        listed[family(module)].append(module)
    out = {}
    for page, (title, intro, _) in PAGES.items():
        body = [f"# {title}", "", intro, ""]
        for module in listed[page]:
            body += [_directive(module), ""]
        out[page] = "\n".join(body)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if a page is stale instead of rewriting it")
    args = p.parse_args()
    os.makedirs(API, exist_ok=True)
    stale = []
    for page, text in pages().items():
        path = os.path.join(API, page)
        current = ""
        if os.path.exists(path):
            with open(path) as f:
                current = f.read()
        if current != text:
            stale.append(page)
            if not args.check:
                with open(path, "w") as f:
                    f.write(text)
    if args.check and stale:
        print(f"stale API pages {stale}: run tools/gen_api_docs.py", file=sys.stderr)
        return 1
    if stale and not args.check:
        print(f"wrote docs/api/{{{','.join(stale)}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
