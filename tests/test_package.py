"""Packaging and documentation checks: version, py.typed, the generated Tensor method stubs, docstrings with
examples on every public callable, and the README's test command equal to the one CI runs."""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
import types
from importlib import metadata, resources
from typing import Any

import pytest

import rustytorch as rt
from rustytorch.ops._registry import OPS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_EXAMPLES = re.compile(r"^Examples\n-{3,}\n", re.M)
_SUBMODULES = ["nn", "nn.functional", "nn.init", "optim", "autograd", "linalg", "utils.data"]


def _read(*parts: str) -> str:
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def _load_tool(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "tools", f"{name}.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_version_matches_pyproject() -> None:
    m = re.search(r'^version = "([^"]+)"', _read("pyproject.toml"), re.M)
    assert m is not None
    assert rt.__version__ == m.group(1)
    try:
        installed = metadata.version("rustytorch")
    except metadata.PackageNotFoundError:  # running from the source tree (PYTHONPATH=src)
        return
    assert installed == rt.__version__


def test_py_typed_is_shipped() -> None:
    assert resources.files("rustytorch").joinpath("py.typed").is_file()
    package_data = re.search(r'^rustytorch = \[[^\]]*"py\.typed"', _read("pyproject.toml"), re.M)
    assert package_data, "py.typed is not in [tool.setuptools.package-data]"


def test_tensor_method_stubs_are_up_to_date() -> None:
    gen = _load_tool("gen_tensor_methods")
    assert gen.generate() == _read("src", "rustytorch", "_tensor_methods.py"), (
        "src/rustytorch/_tensor_methods.py is stale: run `PYTHONPATH=src python tools/gen_tensor_methods.py`"
    )


def test_api_reference_pages_are_up_to_date() -> None:
    gen = _load_tool("gen_api_docs")
    pages = gen.pages()
    assert "::: rustytorch.ops.elementwise" in pages["pointwise.md"]
    for page, text in pages.items():
        assert text == _read("docs", "api", page), f"docs/api/{page} is stale: run `python tools/gen_api_docs.py`"


def test_tensor_method_stubs_cover_every_attached_method() -> None:
    gen = _load_tool("gen_tensor_methods")
    from rustytorch._tensor_methods import TensorMethods

    attached = gen.attached(rt.Tensor)
    assert "add" in attached and "sum" in attached and "__add__" in attached  # attached by the ops modules
    assert "backward" not in attached  # defined by class Tensor itself
    missing = sorted(n for n in attached if n not in TensorMethods.__dict__)
    assert not missing, f"no stub for {missing}"
    sig = inspect.signature(TensorMethods.__dict__["add"])
    assert list(sig.parameters)[:2] == ["self", "other"]


def _without_examples(objs: dict[str, Any]) -> list[str]:
    bad = []
    for name, obj in objs.items():
        if isinstance(obj, types.ModuleType) or not callable(obj):
            continue
        if isinstance(obj, type) and issubclass(obj, BaseException):
            continue  # exception classes are documented where they are raised
        if not _EXAMPLES.search(inspect.getdoc(obj) or ""):
            bad.append(name)
    return sorted(bad)


def test_every_public_callable_has_examples() -> None:
    public = {n: getattr(rt, n) for n in dir(rt) if not n.startswith("_")}
    bad = _without_examples(public)
    assert not bad, f"rt.* callables whose docstring has no 'Examples' section: {bad}"


def test_every_registered_op_has_examples() -> None:
    bad = _without_examples(dict(OPS))
    assert not bad, f"ops._registry.OPS entries whose docstring has no 'Examples' section: {bad}"


@pytest.mark.parametrize("module", _SUBMODULES)
def test_public_submodule_callables_have_examples(module: str) -> None:
    mod = sys.modules[f"rustytorch.{module}"]
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    bad = _without_examples({n: getattr(mod, n) for n in names if hasattr(mod, n)})
    assert not bad, f"rustytorch.{module} callables whose docstring has no 'Examples' section: {bad}"


def test_readme_test_command_is_the_one_ci_runs() -> None:
    command = 'pip install -e ".[test]" && pytest -n 2 --cov=rustytorch --cov-fail-under=90'
    readme = [line.strip() for line in _read("README.md").splitlines()]
    assert command in readme
    assert command in [line.strip() for line in _read(".ci", "run").splitlines()]
    assert "pip install -e . && python examples/quickstart.py" in readme


def test_quickstart_runs_and_fits() -> None:
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "quickstart.py")],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dloss/dw = [45.0, 66.0, 87.0]" in proc.stdout  # d/dw sum((x @ w)^2) = 2 x^T (x @ w)
    assert "fit: weight 3.000 (3), bias 1.000 (1)" in proc.stdout
