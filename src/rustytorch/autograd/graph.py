"""Graph utilities: saved-tensor hooks, the saved-tensors report, ``Node``, as ``torch.autograd.graph``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from .._tensor import Tensor
from .node import SAVED_TENSOR_HOOKS, Node

__all__ = [
    "Node",
    "saved_tensors_hooks",
    "save_on_cpu",
    "disable_saved_tensors_hooks",
    "saved_tensors_report",
    "SavedTensorRecord",
    "SavedTensorsReport",
    "increment_version",
]


class saved_tensors_hooks:
    """Context manager installing ``pack_hook(tensor) -> object`` and ``unpack_hook(object) -> tensor`` for
    the tensors ops save for backward while it is active, as ``torch.autograd.graph.saved_tensors_hooks``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> packed = []
    >>> x = rt.tensor([1.0, 2.0], requires_grad=True)
    >>> with rt.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or len(packed) - 1,
    ...                                            lambda i: packed[i]):
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad, len(packed)
    (tensor([2., 4.]), 2)
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook
        self._tokens: list[Any] = []

    def __enter__(self) -> saved_tensors_hooks:
        if _DISABLED[0] is not None:
            raise RuntimeError(_DISABLED[0])
        self._tokens.append(SAVED_TENSOR_HOOKS.set((*SAVED_TENSOR_HOOKS.get(), (self.pack_hook, self.unpack_hook))))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        SAVED_TENSOR_HOOKS.reset(self._tokens.pop())


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors kept on the CPU (everything is): a copy is saved, as ``torch.autograd.graph.save_on_cpu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([3.0], requires_grad=True)
    >>> with rt.autograd.graph.save_on_cpu():
    ...     y = x * x
    >>> y.backward(); x.grad
    tensor([6.])
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cpu") -> None:
        def pack(t: Tensor) -> tuple[Tensor, Tensor]:
            return (t, t.detach().clone())

        def unpack(p: tuple[Tensor, Tensor]) -> Tensor:
            orig, copy = p
            out = copy.detach()
            if orig._requires_grad:
                out._requires_grad = True
                out._grad_fn = orig._grad_fn
                out._output_nr = orig._output_nr
                if orig._grad_fn is None:
                    return orig
            return out

        super().__init__(pack, unpack)


_DISABLED: list[str | None] = [None]


class disable_saved_tensors_hooks:
    """Context manager under which installing saved-tensor hooks raises ``RuntimeError(error_message)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> with rt.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
    ...     try:
    ...         rt.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t).__enter__()
    ...     except RuntimeError as e:
    ...         print(e)
    no hooks here
    """

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message
        self.prev: list[str | None] = []

    def __enter__(self) -> None:
        self.prev.append(_DISABLED[0])
        _DISABLED[0] = self.error_message

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _DISABLED[0] = self.prev.pop()


def increment_version(tensor: Tensor) -> None:
    """Bump ``tensor``'s version counter, as if it had been modified in place.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2); rt.autograd.graph.increment_version(x); x._version
    1
    """
    tensor._bump_version("increment_version")


# ------------------------------------------------------------------ the report
@dataclasses.dataclass
class SavedTensorRecord:
    """One tensor saved for backward: the node that saved it, its shape, dtype, size and source line."""

    node: str
    shape: tuple[int, ...]
    dtype: Any
    nbytes: int
    location: str
    is_output: bool

    def __str__(self) -> str:
        what = "output" if self.is_output else "input"
        shape = str(list(self.shape))
        return f"{self.node:<24} {what:<6} {shape:<16} {self.dtype.name:<9} {self.nbytes:>10} B  {self.location}"


class SavedTensorsReport(list[SavedTensorRecord]):
    """The list of saved-tensor records of a graph; ``str()`` gives a table with the total."""

    @property
    def total_bytes(self) -> int:
        """Bytes held by the saved tensors (a buffer shared by several records counts once)."""
        return self._unique_bytes

    _unique_bytes = 0

    def __str__(self) -> str:
        head = f"{'node':<24} {'kind':<6} {'shape':<16} {'dtype':<9} {'bytes':>12}  created at"
        lines = [head] + [str(r) for r in self]
        lines.append(f"{len(self)} saved tensors, {self._unique_bytes} bytes")
        return "\n".join(lines)


def _walk(t: Tensor) -> Iterator[Node]:
    root = t._grad_fn
    if root is None:
        return
    seen = {id(root)}
    stack = [root]
    while stack:
        n = stack.pop()
        yield n
        for c, _ in n.next_functions:
            if c is not None and id(c) not in seen:
                seen.add(id(c))
                stack.append(c)


def saved_tensors_report(t: Tensor) -> SavedTensorsReport:
    """The tensors that the graph behind ``t`` keeps for backward: one record per saved tensor with the node
    name, shape, dtype, bytes and the source line of the op that saved it (most recent node first).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.ones(3, requires_grad=True)
    >>> y = (x.exp() * x).sum()
    >>> r = rt.autograd.graph.saved_tensors_report(y)
    >>> [(rec.node, rec.shape, rec.nbytes) for rec in r]
    [('MulBackward0', (3,), 12), ('MulBackward0', (3,), 12), ('ExpBackward0', (3,), 12)]
    >>> r.total_bytes
    24
    """
    from .._dtype import _FROM_NP

    report = SavedTensorsReport()
    buffers: dict[int, int] = {}
    for node in sorted(_walk(t), key=lambda n: -n._seq):
        entries: list[tuple[Any, bool]] = []
        saved = node._saved
        if saved:
            entries.extend((s, False) for s in saved if s is not None)
        if node._saved_result is not None:
            entries.append((node._saved_result, True))
        loc = str(node._location) if node._location is not None else "<unknown>"
        for s, is_output in entries:
            if s.unpack_hook is not None:
                continue  # packed by a user hook: its storage is the hook's business
            data = s.tensor._data if s.tensor is not None else s.data
            report.append(SavedTensorRecord(node.name(), tuple(data.shape), _FROM_NP[data.dtype], int(data.nbytes),
                                            loc, is_output))  # fmt: skip
            base = data
            while isinstance(base.base, type(data)):
                base = base.base
            buffers[id(base)] = max(buffers.get(id(base), 0), int(data.nbytes))
    report._unique_bytes = sum(buffers.values())
    return report
