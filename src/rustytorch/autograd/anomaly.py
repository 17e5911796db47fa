"""Anomaly detection: forward stacks recorded on every node, NaN gradients raise, as torch's anomaly mode.

While anomaly mode is on, every recorded op keeps the (user part of the) stack of its forward
call; an error raised in a node's backward, or a NaN gradient it returns, is reported with
that stack. The mode is process-wide, as in torch.
"""

from __future__ import annotations

from types import TracebackType

from .node import ANOMALY

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.autograd.is_anomaly_enabled()
    False
    """
    return ANOMALY[0]


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks gradients for NaN.

    Examples
    --------
    >>> import rustytorch as rt
    >>> with rt.autograd.detect_anomaly(check_nan=False):
    ...     rt.autograd.is_anomaly_check_nan_enabled()
    False
    """
    return ANOMALY[1]


class set_detect_anomaly:
    """Turn anomaly mode on or off: as a plain call, or as a context manager restoring the previous mode.

    Examples
    --------
    >>> import rustytorch as rt
    >>> with rt.autograd.set_detect_anomaly(True):
    ...     rt.autograd.is_anomaly_enabled()
    True
    >>> rt.autograd.is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (ANOMALY[0], ANOMALY[1])
        ANOMALY[0] = bool(mode)
        ANOMALY[1] = bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        ANOMALY[0], ANOMALY[1] = self.prev


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly mode on, as ``torch.autograd.detect_anomaly``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([0.0, 1.0], requires_grad=True)
    >>> with rt.autograd.detect_anomaly():
    ...     y = (x.sqrt() * 0).sum()
    ...     try:
    ...         y.backward()
    ...     except RuntimeError as e:
    ...         print(str(e).splitlines()[0])
    Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self.prev.append((ANOMALY[0], ANOMALY[1]))
        ANOMALY[0] = True
        ANOMALY[1] = self.check_nan

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        ANOMALY[0], ANOMALY[1] = self.prev.pop()

    def __call__(self, func):  # type: ignore[no-untyped-def]
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            with self.__class__(self.check_nan):
                return func(*args, **kwargs)

        return wrapper
