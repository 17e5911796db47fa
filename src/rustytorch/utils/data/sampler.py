"""Samplers: which indices a ``DataLoader`` visits, in which order, in which batches."""

from __future__ import annotations

from collections.abc import Iterator, Sized
from typing import Any

import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "BatchSampler"]


def _randperm(n: int, generator: Any) -> list[int]:
    """A random permutation of range(n) from ``generator`` (an ``rt.Generator``) or the global RNG."""
    from ... import ops

    randperm = getattr(ops, "randperm", None)
    if randperm is not None:
        return randperm(n, generator=generator).tolist()  # type: ignore[no-any-return]
    seed = None if generator is None else generator.initial_seed()
    return np.random.default_rng(seed).permutation(n).tolist()  # type: ignore[no-any-return]  # pragma: no cover


class Sampler:
    """Base class: iterating yields dataset indices.

    Examples
    --------
    >>> import rustytorch as rt
    >>> list(rt.utils.data.SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0 .. len(data_source) - 1`` in order.

    Examples
    --------
    >>> import rustytorch as rt
    >>> len(rt.utils.data.SequentialSampler(range(4)))
    4
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation of the indices on each pass (drawn from ``generator``).

    Examples
    --------
    >>> import rustytorch as rt
    >>> sorted(rt.utils.data.RandomSampler(range(4)))
    [0, 1, 2, 3]
    """

    def __init__(
        self, data_source: Sized, replacement: bool = False, num_samples: int | None = None, generator: Any = None
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if num_samples is not None and num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.replacement:
            from ... import ops

            idx = ops.randint(0, n, (self.num_samples,), generator=self.generator)  # type: ignore[attr-defined]
            return iter(idx.tolist())
        out: list[int] = []
        while len(out) < self.num_samples:
            out.extend(_randperm(n, self.generator))
        return iter(out[: self.num_samples])

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> list(rt.utils.data.BatchSampler(range(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size
