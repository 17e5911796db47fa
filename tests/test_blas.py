"""``rustytorch._blas.matmul``: NumPy's product, and OpenBLAS's thread count left as it was."""

from __future__ import annotations

import numpy as np
import pytest

from rustytorch import _blas

SHAPES = [
    ((32, 32), (32, 32)),  # OpenBLAS's own single-thread size
    ((256, 32), (32, 64)),  # medium (between OpenBLAS's serial size and MIN_THREADED): one thread for the call
    ((512, 32), (32, 128)),  # above MIN_THREADED: OpenBLAS's threads
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


@pytest.mark.skipif(_blas._set is None, reason="OpenBLAS's thread controls not found")
def test_row_sums_ignore_a_thread_count_changed_meanwhile() -> None:
    # row_sums goes through gemv_fixed: the import-time BLAS thread count, whatever the count is now
    from rustytorch.ops.reduction_common import row_sums

    rng = np.random.default_rng(3)
    m = rng.standard_normal((777, 768)).astype(np.float32)
    ref = row_sums(m)
    before = _blas._get()  # type: ignore[misc]
    for n in (1, 2, 3):
        _blas._set(n)  # type: ignore[misc]
        try:
            got = row_sums(m)
        finally:
            _blas._set(before)  # type: ignore[misc]
        np.testing.assert_array_equal(got, ref)
        assert _blas._get() == before  # type: ignore[misc]
    exact = m.astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(ref, exact, rtol=1e-5, atol=1e-4)


def test_gemv_fixed_equals_numpy() -> None:
    rng = np.random.default_rng(4)
    for shape in ((3, 5), (4096, 64)):
        m = rng.standard_normal(shape)
        np.testing.assert_allclose(_blas.gemv_fixed(m, np.ones(shape[1])), m.sum(axis=1), rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(_blas._set is None, reason="OpenBLAS's thread controls not found")
def test_row_sums_deterministic_while_other_threads_run_medium_products() -> None:
    import threading

    from rustytorch.ops.reduction_common import row_sums

    rng = np.random.default_rng(5)
    m = rng.standard_normal((777, 768)).astype(np.float32)
    ref = row_sums(m)
    a = rng.standard_normal((256, 32)).astype(np.float32)
    b = rng.standard_normal((32, 64)).astype(np.float32)
    assert _blas._GEMM_SERIAL <= a.size * b.shape[1] < _blas.MIN_THREADED  # a product that lowers the count
    expected = np.matmul(a, b)
    before = _blas._get()  # type: ignore[misc]
    stop = threading.Event()
    bad: list[str] = []

    def products() -> None:
        while not stop.is_set():
            if not np.allclose(_blas.matmul(a, b), expected, rtol=1e-5, atol=1e-4):
                bad.append("product")

    workers = [threading.Thread(target=products) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        for _ in range(200):
            if not np.array_equal(row_sums(m), ref):
                bad.append("row sums")
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert not bad
    assert _blas._get() == before  # type: ignore[misc]
