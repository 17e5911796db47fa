"""``DataLoader``: batches of samples from a dataset, collated into tensors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .dataset import Dataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tensors/arrays/numbers stacked along a new dim 0;
    tuples, lists and dicts collated field by field, as ``torch.utils.data.default_collate``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> default_collate = rt.utils.data.default_collate
    >>> default_collate([(rt.tensor([1, 2]), 0), (rt.tensor([3, 4]), 1)])
    [tensor([[1, 2],
            [3, 4]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.requires_grad for t in batch):
            from ... import ops

            return ops.stack(list(batch))  # type: ignore[attr-defined]
        shapes = {tuple(t.shape) for t in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got {sorted(shapes)}")
        return _make(np.stack([t._data for t in batch]))
    if isinstance(elem, np.ndarray):
        return _make(np.stack(batch))
    if isinstance(elem, np.generic):  # NumPy scalars keep their dtype, as torch's as_tensor
        return _make(np.array(batch))
    if isinstance(elem, bool):
        return _make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int | np.integer):
        return _make(np.array(batch, dtype=np.int64))
    if isinstance(elem, float | np.floating):
        return _make(np.array(batch, dtype=np.float64))
    if isinstance(elem, str | bytes):
        return list(batch)
    if isinstance(elem, Mapping):
        return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        n = len(elem)
        if any(len(s) != n for s in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch, strict=True)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {type(elem)}"
    )


class DataLoader:
    """Iterate over a dataset in (optionally shuffled) batches, as ``torch.utils.data.DataLoader``.

    Data loading runs in the calling process (``num_workers`` must be 0).

    Examples
    --------
    >>> import rustytorch as rt
    >>> ds = rt.utils.data.TensorDataset(rt.arange(5), rt.arange(5) * 10)
    >>> [b[1].tolist() for b in rt.utils.data.DataLoader(ds, batch_size=2)]
    [[0, 10], [20, 30], [40]]
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | None = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        if num_workers != 0:
            raise ValueError("DataLoader: rustytorch loads data in the main process; num_workers must be 0")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.generator = generator
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)  # type: ignore[arg-type]
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self.collate_fn = (
            collate_fn if collate_fn is not None else (default_collate if batch_size is not None else _identity)
        )

    def __iter__(self) -> Iterator[Any]:
        ds = self.dataset
        if self.batch_sampler is None:
            for i in self.sampler:
                yield self.collate_fn(ds[i])
            return
        for idx in self.batch_sampler:
            yield self.collate_fn([ds[i] for i in idx])

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)  # type: ignore[arg-type]


def _identity(x: Any) -> Any:
    return x
