"""Generic tests driven by the op table (tests/op_db): forward vs NumPy and PyTorch, dtypes,
0-d / empty / broadcast / non-contiguous inputs, method forms, gradients and error inputs."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import rustytorch as rt
from rustytorch.ops._registry import OPS

from .compare import assert_close, to_numpy
from .op_db import OP_DB
from .op_db._base import OpInfo, Sample, noncontig, to_rt, to_torch

try:
    import torch
except ImportError:  # pragma: no cover - torch is installed in CI
    torch = None

_BY_NAME = {info.name: info for info in OP_DB}
_CASES = [pytest.param(info, dt, id=f"{info.name}-{dt.name}") for info in OP_DB for dt in info.dtypes]
_GRAD_CASES = [pytest.param(info, id=info.name) for info in OP_DB if info.grad]
_ERR_CASES = [pytest.param(info, id=info.name) for info in OP_DB if info.errors is not None]
_MAX_GRAD_NUMEL = 24


def _rng(info: OpInfo, dtype: Any) -> np.random.Generator:
    return np.random.default_rng(abs(hash((info.name, dtype.name))) % (2**32))


def _call(info: OpInfo, s: Sample, conv: Any = to_rt, requires_grad: bool = False) -> Any:
    args = [conv(a, requires_grad) if isinstance(a, np.ndarray) else conv(a) for a in s.args]
    kwargs = {k: conv(v) for k, v in s.kwargs.items()}
    return info.rt_op()(*args, **kwargs) if conv is to_rt else info.torch_fn()(*args, **kwargs)  # type: ignore[misc]


def test_every_public_op_has_a_table_row() -> None:
    missing = sorted(set(OPS) - set(_BY_NAME))
    assert not missing, f"public ops with no row in tests/op_db: {missing}"


def test_table_rows_name_public_ops() -> None:
    unknown = sorted(set(_BY_NAME) - set(OPS))
    assert not unknown, f"op table rows naming no registered op: {unknown}"


@pytest.mark.parametrize(("info", "dtype"), _CASES)
def test_forward_matches_references(info: OpInfo, dtype: Any) -> None:
    if info.nondeterministic:
        pytest.skip("random op: checked by its own tests")
    atol, rtol = info.tolerance(dtype)
    compared = 0
    for s in info.samples(dtype, _rng(info, dtype)):
        out = _call(info, s)
        if info.ref is not None:
            expected = info.ref(*s.args, **s.kwargs)
            assert_close(out, expected, atol, rtol, check_dtype=False, what=f"{info.name} vs NumPy {s}")
            compared += 1
        tfn = info.torch_fn()
        if tfn is not None:
            expected = _call(info, s, to_torch)
            assert_close(out, expected, atol, rtol, check_dtype=info.check_dtype, what=f"{info.name} vs torch {s}")
            compared += 1
    assert compared, f"{info.name}: no reference (NumPy or torch) to compare with"


@pytest.mark.parametrize(("info", "dtype"), _CASES)
def test_method_and_noncontiguous_variants(info: OpInfo, dtype: Any) -> None:
    atol, rtol = info.tolerance(dtype)
    for s in info.samples(dtype, _rng(info, dtype)):
        if info.nondeterministic:
            continue
        out = _call(info, s)
        if info.method and s.args and isinstance(s.args[0], np.ndarray):
            args = [to_rt(a) for a in s.args]
            via_method = getattr(args[0], info.name)(*args[1:], **{k: to_rt(v) for k, v in s.kwargs.items()})
            assert_close(via_method, out, atol, rtol, what=f"{info.name} method form {s}")
        if info.noncontig:
            nc = Sample(tuple(noncontig(a) if isinstance(a, np.ndarray) else a for a in s.args), s.kwargs, s.name)
            args = [rt.from_numpy(a) if isinstance(a, np.ndarray) else to_rt(a) for a in nc.args]
            out_nc = info.rt_op()(*args, **{k: to_rt(v) for k, v in s.kwargs.items()})
            assert_close(out_nc, out, atol, rtol, what=f"{info.name} non-contiguous {s}")


@pytest.mark.parametrize(("info", "dtype"), _CASES)
def test_outputs_own_their_memory_unless_views(info: OpInfo, dtype: Any) -> None:
    for s in info.samples(dtype, _rng(info, dtype)):
        args = [to_rt(a) for a in s.args]
        out = info.rt_op()(*args, **{k: to_rt(v) for k, v in s.kwargs.items()})
        outs = out if isinstance(out, tuple | list) else (out,)
        for o in outs:
            if not isinstance(o, rt.Tensor) or o._base is not None or o.numel() == 0:
                continue
            for a in args:
                if isinstance(a, rt.Tensor) and a is not o:
                    assert not np.shares_memory(o._data, a._data), (
                        f"{info.name}: output shares memory with an input but is not registered as a view ({s})"
                    )


def _grad_samples(info: OpInfo, dtype: Any) -> list[Sample]:
    out = []
    for s in info.samples(dtype, _rng(info, dtype)):
        arrays = [a for a in s.args if isinstance(a, np.ndarray)]
        if arrays and all(a.size <= _MAX_GRAD_NUMEL for a in arrays):
            out.append(s)
    return out


def _grad_positions(s: Sample) -> list[int]:
    if s.grad_args is not None:
        return list(s.grad_args)
    return [i for i, a in enumerate(s.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def _gradcheck_inputs(s: Sample, contiguous: bool) -> tuple[list[Any], list[int]]:
    pos = _grad_positions(s)
    args: list[Any] = []
    for i, a in enumerate(s.args):
        if isinstance(a, np.ndarray):
            arr = a.copy() if contiguous else noncontig(a.copy())
            t = rt.from_numpy(arr if arr.flags.writeable else arr.copy())
            if i in pos:
                t.requires_grad_()
            args.append(t)
        else:
            args.append(to_rt(a))
    return args, pos


@pytest.mark.parametrize("info", _GRAD_CASES)
@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "noncontiguous"])
def test_gradcheck(info: OpInfo, contiguous: bool) -> None:
    checked = 0
    for dtype in info.grad_dtypes:
        for s in _grad_samples(info, dtype):
            args, pos = _gradcheck_inputs(s, contiguous)
            if not pos:
                continue
            kwargs = {k: to_rt(v) for k, v in s.kwargs.items()}

            def fn(*xs: Any, _args: list[Any] = args, _kw: dict[str, Any] = kwargs, _pos: list[int] = pos) -> Any:
                full = list(_args)
                for p, x in zip(_pos, xs, strict=True):
                    full[p] = x
                return info.rt_op()(*full, **_kw)

            inputs = tuple(args[p] for p in pos)
            assert rt.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4), f"{info.name} {s}"
            if info.gradgrad and contiguous:
                assert rt.autograd.gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4), f"{info.name} {s}"
            checked += 1
    assert checked, f"{info.name}: marked differentiable but no sample could be gradchecked"


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("info", _GRAD_CASES)
def test_gradients_match_torch(info: OpInfo) -> None:
    if info.torch_fn() is None:
        pytest.skip("no torch reference for this op")
    rng = np.random.default_rng(7)
    for s in _grad_samples(info, rt.float64):
        pos = _grad_positions(s)
        if not pos:
            continue
        r_args = [to_rt(a, i in pos) if isinstance(a, np.ndarray) else to_rt(a) for i, a in enumerate(s.args)]
        t_args = [to_torch(a, i in pos) if isinstance(a, np.ndarray) else to_torch(a) for i, a in enumerate(s.args)]
        r_out = info.rt_op()(*r_args, **{k: to_rt(v) for k, v in s.kwargs.items()})
        t_out = info.torch_fn()(*t_args, **{k: to_torch(v) for k, v in s.kwargs.items()})  # type: ignore[misc]
        r_outs = [
            o
            for o in (r_out if isinstance(r_out, tuple | list) else (r_out,))
            if isinstance(o, rt.Tensor) and o.requires_grad
        ]
        t_outs = [
            o
            for o in (t_out if isinstance(t_out, tuple | list) else (t_out,))
            if hasattr(o, "grad_fn") and o.requires_grad
        ]
        assert len(r_outs) == len(t_outs), f"{info.name}: {len(r_outs)} differentiable outputs, torch has {len(t_outs)}"
        if not r_outs:
            continue
        gos = [rng.standard_normal(tuple(o.shape)) for o in r_outs]
        r_grads = rt.autograd.grad(r_outs, [r_args[p] for p in pos], [rt.tensor(g) for g in gos], allow_unused=True)
        t_grads = torch.autograd.grad(
            t_outs, [t_args[p] for p in pos], [torch.from_numpy(g) for g in gos], allow_unused=True
        )
        for p, rg, tg in zip(pos, r_grads, t_grads, strict=True):
            if tg is None:
                assert rg is None or not np.any(to_numpy(rg)), f"{info.name}: torch has no gradient for arg {p}"
                continue
            assert rg is not None, f"{info.name}: no gradient for arg {p}, torch has one ({s})"
            assert_close(rg, tg, 1e-7, 1e-6, what=f"{info.name} grad of arg {p} {s}")


@pytest.mark.parametrize("info", _ERR_CASES)
def test_error_inputs(info: OpInfo) -> None:
    assert info.errors is not None
    cases = info.errors()
    assert cases
    for e in cases:
        args = [to_rt(a) for a in e.sample.args]
        with pytest.raises(e.exc, match=e.match):
            info.rt_op()(*args, **{k: to_rt(v) for k, v in e.sample.kwargs.items()})


def test_error_messages_name_the_op() -> None:
    """Every table error pattern is a real regex (guards against typos that would match anything)."""
    for info in OP_DB:
        for e in info.errors() if info.errors else ():
            re.compile(e.match)
            assert e.match.strip(), f"{info.name}: empty error pattern matches anything"
