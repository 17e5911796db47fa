"""Grad mode: whether ops record the graph. Thread- and task-local (contextvars)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# The hot path reads GRAD_ENABLED.get() once per op.
GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("rustytorch_grad_enabled", default=True)
INFERENCE_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar("rustytorch_inference_mode", default=False)


def is_grad_enabled() -> bool:
    """Whether operations currently record the autograd graph.

    Examples
    --------
    >>> import rustytorch as rt
    >>> with rt.no_grad():
    ...     rt.is_grad_enabled()
    False
    """
    return GRAD_ENABLED.get()


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.is_inference_mode_enabled()
    False
    """
    return INFERENCE_MODE.get()


class _GradModeContext:
    """Base of the grad-mode context managers; each is also a function decorator."""

    _value = True

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens.append(GRAD_ENABLED.set(self._value))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        GRAD_ENABLED.reset(self._tokens.pop())

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__.__new__(self.__class__).__clone__(self):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def __clone__(self, other: _GradModeContext) -> _GradModeContext:
        self.__dict__.update(other.__dict__)
        self._tokens = []
        return self


class _BareDecorator(_GradModeContext):
    """Also usable as a decorator without parentheses (``@no_grad``), as torch allows."""

    def __new__(cls, orig_func: Any = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {type(orig_func).__name__})")
        return cls()(orig_func)

    def __init__(self, orig_func: Any = None) -> None:
        super().__init__()


class no_grad(_BareDecorator):
    """Context manager and decorator that disables graph recording, as ``torch.no_grad``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.ones(2, requires_grad=True)
    >>> with rt.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _value = False


class enable_grad(_BareDecorator):
    """Context manager and decorator that enables graph recording inside ``no_grad``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.ones(2, requires_grad=True)
    >>> with rt.no_grad():
    ...     with rt.enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    _value = True


class set_grad_enabled(_GradModeContext):
    """Enable or disable grad mode: as a function call, a context manager or a decorator.

    Examples
    --------
    >>> import rustytorch as rt
    >>> with rt.set_grad_enabled(False):
    ...     rt.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._value = bool(mode)
        self._prev_token = GRAD_ENABLED.set(self._value)

    def __enter__(self) -> None:
        # the constructor already switched the mode; entering just takes ownership of restoring it
        self._tokens.append(self._prev_token)

    def __call__(self, func: _F) -> _F:
        # used as a decorator: undo the switch the constructor made
        GRAD_ENABLED.reset(self._prev_token)
        return super().__call__(func)

    def __clone__(self, other: _GradModeContext) -> _GradModeContext:
        super().__clone__(other)
        self._prev_token = GRAD_ENABLED.set(self._value)
        return self


class inference_mode(_GradModeContext):
    """Like ``no_grad`` and marks the block as inference, as ``torch.inference_mode``.

    Tensors made inside are ordinary tensors that never record history.

    Examples
    --------
    >>> import rustytorch as rt
    >>> with rt.inference_mode():
    ...     y = rt.ones(2, requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        if not callable(mode):
            raise TypeError(f"inference_mode(): mode must be a bool, got {type(mode).__name__}")
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = bool(mode)
        self._value = not self._mode
        self._inf_tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> None:
        super().__enter__()  # inference_mode(False) turns grad mode on, as torch's
        self._inf_tokens.append(INFERENCE_MODE.set(self._mode))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        INFERENCE_MODE.reset(self._inf_tokens.pop())
        super().__exit__(exc_type, exc, tb)

    def __clone__(self, other: _GradModeContext) -> _GradModeContext:
        super().__clone__(other)
        self._inf_tokens = []
        return self
