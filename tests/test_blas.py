"""``rustytorch._blas.matmul``: NumPy's product, and OpenBLAS's thread count left as it was."""

from __future__ import annotations

import numpy as np
import pytest

from rustytorch import _blas

SHAPES = [
    ((32, 32), (32, 32)),  # OpenBLAS's own single-thread size
    ((512, 32), (32, 128)),  # medium: one thread for the call
    ((512, 32), (32,)),  # matrix times vector
    ((512,), (512, 128)),  # vector times matrix
    ((16, 4, 32, 8), (16, 4, 8, 32)),  # a stack of small products
    ((3, 200, 64), (64, 300)),  # a stack of medium products, broadcast
    ((7,), (7,)),
]


@pytest.mark.parametrize(("sa", "sb"), SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_matmul_equals_numpy(sa: tuple[int, ...], sb: tuple[int, ...], dtype: type) -> None:
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(sa) * 4).astype(dtype)
    b = (rng.standard_normal(sb) * 4).astype(dtype)
    before = _blas._get() if _blas._get is not None else None
    got, expected = _blas.matmul(a, b), np.matmul(a, b)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    # one thread instead of several may change how a product is blocked: the last bits, not more
    rtol = {np.float32: 1e-5, np.float64: 1e-12, np.int64: 0}[dtype]
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    if before is not None:
        assert _blas._get() == before  # type: ignore[misc]


def test_errors_as_numpy_and_thread_count_restored() -> None:
    before = _blas._get() if _blas._get is not None else None
    with pytest.raises(ValueError):
        _blas.matmul(np.ones((600, 40)), np.ones((30, 600)))
    with pytest.raises(ValueError):
        _blas.matmul(np.ones(()), np.ones((3, 3)))
    if before is not None:
        assert _blas._get() == before  # type: ignore[misc]
