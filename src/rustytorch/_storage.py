"""Storage: the flat buffer that a tensor and all its views share, with the version counter."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["UntypedStorage", "root_array", "flat_buffer"]


def root_array(a: np.ndarray) -> np.ndarray:
    """The ndarray that owns (or first wraps) the memory ``a`` looks at."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def flat_buffer(a: np.ndarray) -> np.ndarray:
    """A 1-D view of the whole memory block under ``a`` (its root array), never a copy."""
    r = root_array(a)
    if r.ndim == 1 and r.strides[0] == r.itemsize:
        return r
    if r.flags.c_contiguous or r.flags.f_contiguous:
        return r.ravel(order="K")
    # a strided root (e.g. from_numpy of a foreign view): span its memory from the lowest address
    lo = 0
    hi = 0
    for n, s in zip(r.shape, r.strides, strict=True):
        if n == 0:
            return r.reshape(-1)[:0]
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    span = (hi - lo) // r.itemsize + 1
    start = r.reshape(-1)[:1] if lo == 0 else r[tuple(-1 if s < 0 else 0 for s in r.strides)].reshape(1)
    return np.lib.stride_tricks.as_strided(start, shape=(span,), strides=(r.itemsize,))


def data_ptr(a: np.ndarray) -> int:
    """Address of the first element of ``a``."""
    return int(a.__array_interface__["data"][0])


class UntypedStorage:
    """The memory block shared by a tensor and its views, as ``torch.UntypedStorage``.

    ``version`` counts in-place writes to any tensor that looks at this block (the
    autograd engine compares it with the version a saved tensor had).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(4)
    >>> x.untyped_storage().data_ptr() == x[2:].untyped_storage().data_ptr()
    True
    """

    __slots__ = ("__weakref__", "_buf", "last_write", "version")

    def __init__(self, buf: np.ndarray) -> None:
        self._buf = buf
        self.version = 0
        # (op name, "file:line") of the latest in-place write, for error messages
        self.last_write: tuple[str, Any] | None = None  # (op name, Location of the write)

    def data_ptr(self) -> int:
        """Address of the block's first byte."""
        return data_ptr(self._buf)

    def nbytes(self) -> int:
        """Size of the block in bytes."""
        return int(self._buf.nbytes)

    def size(self) -> int:
        """Size of the block in bytes (an untyped storage counts bytes)."""
        return int(self._buf.nbytes)

    def __len__(self) -> int:
        return int(self._buf.nbytes)

    def element_size(self) -> int:
        """1: an untyped storage is addressed in bytes."""
        return 1

    def tolist(self) -> list[Any]:
        """The bytes of the block as a list of ints."""
        return self._buf.view(np.uint8).tolist()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"UntypedStorage(nbytes={self.nbytes()}, data_ptr=0x{self.data_ptr():x})"
