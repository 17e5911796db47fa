"""rustytorch.utils.data against torch.utils.data semantics."""

from __future__ import annotations

import numpy as np
import pytest

import rustytorch as rt
from rustytorch.utils.data import DataLoader, TensorDataset, default_collate


def test_dataloader_batches_in_order_with_and_without_drop_last() -> None:
    x = rt.arange(10)
    ds = TensorDataset(x, x * 2)
    batches = [(a.tolist(), b.tolist()) for a, b in DataLoader(ds, batch_size=4)]
    assert batches == [([0, 1, 2, 3], [0, 2, 4, 6]), ([4, 5, 6, 7], [8, 10, 12, 14]), ([8, 9], [16, 18])]
    assert len(DataLoader(ds, batch_size=4)) == 3
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [a.tolist() for a, _ in DataLoader(ds, batch_size=4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_is_a_permutation_and_reproducible_with_a_generator() -> None:
    ds = TensorDataset(rt.arange(20))
    g1 = rt.Generator().manual_seed(3)
    g2 = rt.Generator().manual_seed(3)
    e1 = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=g1)]
    e2 = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=g2)]
    assert e1 == e2
    flat = sorted(v for b in e1 for v in b)
    assert flat == list(range(20))
    assert [v for b in e1 for v in b] != list(range(20))


def test_default_collate_tuples_dicts_numbers_and_arrays() -> None:
    batch = [
        {"x": rt.tensor([1.0, 2.0]), "y": 1, "z": np.array([1, 2]), "w": 0.5},
        {"x": rt.tensor([3.0, 4.0]), "y": 0, "z": np.array([3, 4]), "w": 1.5},
    ]
    out = default_collate(batch)
    assert out["x"].tolist() == [[1.0, 2.0], [3.0, 4.0]] and out["x"].dtype == rt.float32
    assert out["y"].tolist() == [1, 0] and out["y"].dtype == rt.int64
    assert out["z"].tolist() == [[1, 2], [3, 4]]
    assert out["w"].dtype == rt.float64
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([rt.zeros(2), rt.zeros(3)])


def test_default_collate_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as tcollate

    samples = [(np.float32(i), i, (np.arange(3) + i).astype(np.float32)) for i in range(4)]
    ours = default_collate(samples)
    theirs = tcollate(samples)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype.name == str(b.dtype).replace("torch.", "")
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert isinstance(theirs, list) and isinstance(ours, list)
    assert torch is not None


def test_random_split_and_subset_cover_the_dataset() -> None:
    ds = TensorDataset(rt.arange(10))
    a, b = rt.utils.data.random_split(ds, [7, 3], generator=rt.Generator().manual_seed(0))
    idx = sorted([a[i][0].item() for i in range(len(a))] + [b[i][0].item() for i in range(len(b))])
    assert idx == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        rt.utils.data.random_split(ds, [5, 4])


def test_errors() -> None:
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(rt.zeros(3), rt.zeros(4))
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(TensorDataset(rt.zeros(3)), num_workers=2)
    with pytest.raises(ValueError, match="batch_size"):
        rt.utils.data.BatchSampler(range(3), 0, False)
