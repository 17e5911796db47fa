"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from ..._tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses implement ``__getitem__`` and ``__len__``, as ``torch.utils.data.Dataset``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> class Squares(rt.utils.data.Dataset):
    ...     def __len__(self): return 3
    ...     def __getitem__(self, i): return i * i
    >>> [Squares()[i] for i in range(3)]
    [0, 1, 4]
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset[Any]) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the ``i``-th rows of the given tensors, as ``torch.utils.data.TensorDataset``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> ds = rt.utils.data.TensorDataset(rt.arange(3), rt.tensor([10, 20, 30]))
    >>> len(ds), ds[1]
    (3, (tensor(1), tensor(20)))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].size(0)
        if any(t.size(0) != n for t in tensors):
            raise ValueError(f"Size mismatch between tensors: first dimensions {[t.size(0) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].size(0))


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> s = rt.utils.data.Subset(rt.utils.data.TensorDataset(rt.arange(5)), [4, 0])
    >>> [s[i][0].item() for i in range(len(s))]
    [4, 0]
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, idx: int) -> T_co:
        if isinstance(idx, list):
            return [self.dataset[self.indices[i]] for i in idx]  # type: ignore[return-value]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """Several datasets one after another.

    Examples
    --------
    >>> import rustytorch as rt
    >>> a = rt.utils.data.TensorDataset(rt.arange(2)); b = rt.utils.data.TensorDataset(rt.arange(3))
    >>> len(rt.utils.data.ConcatDataset([a, b]))
    5
    """

    def __init__(self, datasets: Sequence[Dataset[Any]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = 0 if d == 0 else self.cumulative_sizes[d - 1]
        return self.datasets[d][idx - start]


def random_split(dataset: Dataset[Any], lengths: Sequence[float], generator: Any = None) -> list[Subset[Any]]:
    """Split a dataset into non-overlapping random subsets of the given lengths (or fractions).

    Examples
    --------
    >>> import rustytorch as rt
    >>> a, b = rt.utils.data.random_split(rt.utils.data.TensorDataset(rt.arange(10)), [0.8, 0.2])
    >>> len(a), len(b)
    (8, 2)
    """
    n = len(dataset)  # type: ignore[arg-type]
    if all(0 <= f <= 1 for f in lengths) and abs(sum(lengths) - 1) < 1e-6 and sum(lengths) != n:
        sizes = [int(f * n) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        sizes = [int(s) for s in lengths]
    if sum(sizes) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    from .sampler import _randperm

    perm = _randperm(n, generator)
    out = []
    offset = 0
    for s in sizes:
        out.append(Subset(dataset, perm[offset : offset + s]))
        offset += s
    return out
