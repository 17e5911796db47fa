"""Comparing rustytorch results with NumPy and PyTorch results (values, shapes, dtypes)."""

from __future__ import annotations

from typing import Any

import numpy as np

import rustytorch as rt


def to_numpy(x: Any) -> Any:
    """Results of any library as NumPy arrays / Python values, recursively."""
    if isinstance(x, rt.Tensor):
        return x.detach().numpy().copy()
    mod = type(x).__module__
    if mod.startswith("torch") and hasattr(x, "detach"):
        return x.detach().numpy().copy()
    if isinstance(x, tuple | list):
        return type(x)(to_numpy(v) for v in x) if not hasattr(x, "_fields") else tuple(to_numpy(v) for v in x)
    return x


def dtype_name(x: Any) -> str | None:
    if isinstance(x, rt.Tensor):
        return x.dtype.name
    if type(x).__module__.startswith("torch") and hasattr(x, "dtype"):
        return str(x.dtype).replace("torch.", "")
    return None


def assert_close(
    actual: Any, expected: Any, atol: float, rtol: float, check_dtype: bool = True, what: str = ""
) -> None:
    """Recursive comparison; NaNs compare equal; dtype compared when both sides carry one."""
    if isinstance(actual, tuple | list):
        assert isinstance(expected, tuple | list), f"{what}: got a sequence, expected {type(expected).__name__}"
        assert len(actual) == len(expected), f"{what}: {len(actual)} results, expected {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, atol, rtol, check_dtype, f"{what}[{i}]")
        return
    if check_dtype:
        da, de = dtype_name(actual), dtype_name(expected)
        if da is not None and de is not None:
            assert da == de, f"{what}: dtype {da}, expected {de}"
    a, e = to_numpy(actual), to_numpy(expected)
    if isinstance(a, np.ndarray) or isinstance(e, np.ndarray):
        a = np.asarray(a)
        e = np.asarray(e)
        assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
        if a.dtype.kind in "biu" and e.dtype.kind in "biu":
            np.testing.assert_array_equal(a, e, err_msg=what)
        else:
            np.testing.assert_allclose(
                a.astype(np.float64), e.astype(np.float64), atol=atol, rtol=rtol, equal_nan=True, err_msg=what
            )
    elif isinstance(a, float) or isinstance(e, float):
        assert np.isclose(a, e, atol=atol, rtol=rtol, equal_nan=True), f"{what}: {a} != {e}"
    else:
        assert a == e, f"{what}: {a!r} != {e!r}"
