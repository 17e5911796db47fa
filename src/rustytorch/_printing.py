"""Printing tensors exactly as torch does (``torch/_tensor_str.py``), on the NumPy data.

The formatter looks at the (summarised) data once: integer and bool tensors pad every
element to the widest ``str(value)``; floating tensors pick *int mode* (every finite
non-zero value is an integer: ``1.``), *scientific mode* (the largest/smallest finite
non-zero magnitudes differ by more than 1000x, exceed 1e8 or fall below 1e-4) or fixed
notation with ``precision`` decimals. Non-finite values and zeros do not take part in
that choice, as in torch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype

if TYPE_CHECKING:
    from ._tensor import Tensor

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set options for printing tensors, as ``torch.set_printoptions``.

    Parameters
    ----------
    precision : int, optional
        Number of decimals of floating output (default 4).
    threshold : float, optional
        Number of elements above which the output is summarised with ``...`` (default 1000).
    edgeitems : int, optional
        Number of items shown at each end of a summarised dimension (default 3).
    linewidth : int, optional
        Number of characters per line before wrapping (default 80).
    profile : str, optional
        ``"default"``, ``"short"`` (precision 2, edgeitems 2) or ``"full"`` (no summarisation);
        the other arguments override it.
    sci_mode : bool, optional
        Force (True) or forbid (False) scientific notation; None (the default, and what every
        call that does not pass it restores, as in torch) lets the data decide.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.set_printoptions(precision=2)
    >>> rt.tensor([1.12345])
    tensor([1.12])
    >>> rt.set_printoptions(threshold=5)
    >>> rt.arange(10)
    tensor([0, 1, 2,  ..., 7, 8, 9])
    >>> rt.set_printoptions(profile="default")
    >>> rt.tensor([1.12345])
    tensor([1.1235])
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
        elif profile == "short":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
        elif profile == "full":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options as a dict that ``set_printoptions(**opts)`` accepts.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.get_printoptions()
    {'precision': 4, 'threshold': 1000, 'edgeitems': 3, 'linewidth': 80, 'sci_mode': None}
    """
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Context manager that sets print options (as ``set_printoptions``) and restores them on exit.

    Examples
    --------
    >>> import rustytorch as rt
    >>> with rt.printoptions(precision=1):
    ...     print(rt.tensor([0.25, 1.5]))
    tensor([0.2, 1.5])
    >>> rt.tensor([0.25])
    tensor([0.2500])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Width and notation of every element, chosen from the (summarised) data as torch does."""

    __slots__ = ("floating", "int_mode", "max_width", "sci_mode")

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            if flat.size:
                self.max_width = max(1, *(len(str(v)) for v in np.unique(flat).tolist()))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        p = PRINT_OPTS.precision
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        uniq = np.unique(vals).tolist()
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{p}e}") for v in uniq)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in uniq)
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in uniq)

    def format(self, value: Any) -> str:
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows (torch's ``get_summarized_data``)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    for axis, n in enumerate(a.shape):
        if n > 2 * e:
            a = np.take(a, np.r_[0:e, n - e : n], axis=axis)
    return a


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = PRINT_OPTS.edgeitems
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = (
            [_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt) for i in range(e)]
            + ["..."]
            + [_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
        )
    else:
        slices = [_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def array_str(a: np.ndarray, indent: int) -> str:
    """The bracketed body of a tensor's repr (torch's ``_tensor_str``) for the array ``a``."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    floating = a.dtype.kind == "f" or a.dtype.name == "bfloat16"
    if floating:
        a = a.astype(np.float64)  # exact for every floating dtype; Python formats the same doubles torch does
    fmt = _Formatter(_summarized(a) if summarize else a, floating)
    return _tensor_str_with_formatter(a, indent, summarize, fmt)


def _add_suffixes(body: str, suffixes: list[str], indent: int) -> str:
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        # lay out as torch does for its ``dtype=torch.x`` (so the output is torch's with the module renamed)
        n = len(suffix.replace("rustytorch.", "torch."))
        if last_line_len + n + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + n
        else:
            parts.append(", " + suffix)
            last_line_len += n + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t: Tensor) -> str:
    """``repr(t)`` as torch prints it, with ``rustytorch.`` where torch prints ``torch.``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1.0, 2.0], [3.0, 4.0]])
    tensor([[1., 2.],
            [3., 4.]])
    >>> rt.tensor([1.0, 2.5]), rt.tensor([1e-5, 1e5]), rt.tensor([], dtype=rt.int32)
    (tensor([1.0000, 2.5000]), tensor([1.0000e-05, 1.0000e+05]), tensor([], dtype=rustytorch.int32))
    >>> rt.zeros(0, 3)
    tensor([], size=(0, 3))
    >>> rt.tensor([1, 2], dtype=rt.int32)
    tensor([1, 2], dtype=rustytorch.int32)
    >>> rt.ones(2, requires_grad=True) * 2
    tensor([2., 2.], grad_fn=<MulBackward0>)
    """
    cls = type(t)
    plain = cls.__name__ in ("Tensor", "Parameter") and cls.__module__.startswith("rustytorch")
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    a = t._data
    d = _dtype._FROM_NP[a.dtype]
    default = _dtype.get_default_dtype()
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if d is not default:
            suffixes.append(f"dtype={d!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(a.shape)))
        if d is not default and d is not _dtype.int64 and d is not _dtype.bool:
            suffixes.append(f"dtype={d!r}")
        body = array_str(a, indent)
    fn = t._grad_fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
