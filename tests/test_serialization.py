"""rt.save / rt.load: safetensors round trips, interop with safetensors.torch, hostile files, .npy/.npz."""

from __future__ import annotations

import doctest
import io
import json
import os
import pickle
import struct
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rustytorch as rt
from rustytorch import serialization

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

RNG = np.random.default_rng(20240611)

DTYPES = [rt.bool, rt.uint8, rt.int8, rt.int16, rt.int32, rt.int64, rt.float16, rt.bfloat16, rt.float32, rt.float64]
SHAPES = [(), (0,), (1,), (2, 3), (3, 0, 2), (2, 1, 3)]
TORCH_DTYPES = {d: getattr(torch, d.name) for d in DTYPES}


def _values(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Seeded values of a dtype, with the special floats (nan, +-inf, -0.0) when there is room."""
    n = int(np.prod(shape))
    if dtype is rt.bool:
        a = RNG.integers(0, 2, n).astype(bool)
    elif dtype.is_floating_point:
        a = RNG.standard_normal(n) * 100
        special = [np.nan, np.inf, -np.inf, -0.0]
        a[: min(n, 4)] = special[: min(n, 4)]
        a = a.astype(dtype.np)
    else:
        info = np.iinfo(dtype.np)
        a = RNG.integers(info.min, info.max, n, endpoint=True, dtype=dtype.np)
    return a.reshape(shape)


def _same(a: rt.Tensor, b: rt.Tensor) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a._data.tobytes() == np.ascontiguousarray(b._data).tobytes()  # bit-exact (nan, -0.0 included)


def _roundtrip(obj: Any, tmp_path: Path, via: str) -> Any:
    if via == "path":
        path = tmp_path / "obj.safetensors"
        rt.save(obj, path)
        return rt.load(path)
    if via == "str":
        path = str(tmp_path / "obj.safetensors")
        rt.save(obj, path)
        return rt.load(path)
    buf = io.BytesIO()
    rt.save(obj, buf)
    buf.seek(0)
    return rt.load(buf)


VIAS = pytest.mark.parametrize("via", ["path", "str", "bytesio"])


# ------------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_round_trip_keeps_dtype_shape_and_bits(dtype: Any, shape: tuple[int, ...], tmp_path: Path) -> None:
    x = rt.from_numpy(_values(shape, dtype))
    for via in ("path", "bytesio"):
        y = _roundtrip(x, tmp_path, via)
        _same(y, x)
        assert y.data_ptr() != x.data_ptr() and y.is_contiguous() and not y.requires_grad
        d = _roundtrip({"x": x}, tmp_path, via)
        assert type(d) is dict and list(d) == ["x"]
        _same(d["x"], x)


def test_loaded_tensors_are_writable_and_independent(tmp_path: Path) -> None:
    x = rt.tensor([1.0, 2.0])
    y = _roundtrip({"x": x, "z": rt.zeros(2)}, tmp_path, "path")
    y["x"].add_(1)
    y["z"][0] = 5.0
    assert y["x"].tolist() == [2.0, 3.0] and x.tolist() == [1.0, 2.0] and y["z"].tolist() == [5.0, 0.0]


@VIAS
def test_non_contiguous_tensors_are_written_contiguously(via: str, tmp_path: Path) -> None:
    base = rt.from_numpy(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    views = {
        "t": base[0].t(),
        "step": base[:, ::2, 1::2],
        "perm": base.permute(2, 0, 1),
        "expand": rt.tensor([1.0, 2.0]).expand(3, 2),
    }
    for name, v in views.items():
        y = _roundtrip(v, tmp_path, via)
        assert y.is_contiguous() and y.shape == v.shape, name
        np.testing.assert_array_equal(y.numpy(), v.numpy())


@VIAS
def test_nested_structures_round_trip_with_their_types(via: str, tmp_path: Path) -> None:
    w = rt.tensor([[1.0, 2.0], [3.0, 4.0]])
    obj = {
        "model": OrderedDict([("layer.weight", w), ("layer.bias", rt.zeros(2))]),
        "list": [rt.tensor(1), [rt.tensor([True, False])], (rt.arange(3), "text")],
        "empty": {"d": {}, "l": [], "t": ()},
        "values": {
            "none": None,
            "t": True,
            "f": False,
            "i": -(2**70),
            "x": 1.5,
            "nan": float("nan"),
            "inf": -float("inf"),
        },
        7: "int key",
        (1, "a"): "tuple key",
        2.5: [None],
        "dtype": rt.bfloat16,
        "size": rt.Size([2, 3]),
    }
    out = _roundtrip(obj, tmp_path, via)
    assert type(out) is dict and list(out) == list(obj)
    assert type(out["model"]) is OrderedDict and list(out["model"]) == ["layer.weight", "layer.bias"]
    _same(out["model"]["layer.weight"], w)
    assert type(out["list"]) is list and type(out["list"][2]) is tuple and out["list"][2][1] == "text"
    _same(out["list"][1][0], rt.tensor([True, False]))
    assert out["empty"] == {"d": {}, "l": [], "t": ()} and type(out["empty"]["t"]) is tuple
    vals = out["values"]
    assert vals["none"] is None and vals["t"] is True and vals["f"] is False and vals["i"] == -(2**70)
    assert vals["x"] == 1.5 and np.isnan(vals["nan"]) and vals["inf"] == -float("inf")
    assert out[7] == "int key" and out[(1, "a")] == "tuple key" and out[2.5] == [None]
    assert out["dtype"] is rt.bfloat16 and type(out["size"]) is rt.Size and out["size"] == (2, 3)


@VIAS
def test_plain_values_at_the_top_level(via: str, tmp_path: Path) -> None:
    for obj in (None, 3, "s", [1, 2], (), {}):
        out = _roundtrip(obj, tmp_path, via)
        assert out == obj and type(out) is type(obj)


@VIAS
def test_requires_grad_and_parameters_are_kept(via: str, tmp_path: Path) -> None:
    p = rt.nn.Parameter(rt.tensor([1.0, 2.0]))
    frozen = rt.nn.Parameter(rt.tensor([3.0]), requires_grad=False)
    g = rt.tensor([4.0], requires_grad=True)
    nonleaf = g * 2
    out = _roundtrip({"p": p, "frozen": frozen, "g": g, "nonleaf": nonleaf, "plain": rt.ones(1)}, tmp_path, via)
    assert type(out["p"]) is rt.nn.Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is rt.nn.Parameter and not out["frozen"].requires_grad
    assert type(out["g"]) is rt.Tensor and out["g"].requires_grad and out["g"].is_leaf
    assert out["nonleaf"].requires_grad and out["nonleaf"].is_leaf and out["nonleaf"].tolist() == [8.0]
    assert not out["plain"].requires_grad


def test_names_that_collide_or_are_reserved_still_round_trip(tmp_path: Path) -> None:
    a, b, c, d = rt.tensor([1]), rt.tensor([2]), rt.tensor([3]), rt.tensor([4])
    obj = {"a.b": a, "a": {"b": b}, "__metadata__": c, "": d}
    out = _roundtrip(obj, tmp_path, "path")
    assert list(out) == ["a.b", "a", "__metadata__", ""]
    assert [out["a.b"].item(), out["a"]["b"].item(), out["__metadata__"].item(), out[""].item()] == [1, 2, 3, 4]


# ---------------------------------------------------------------------------------------- shared memory
@VIAS
def test_the_same_tensor_object_twice_is_stored_once_and_restored_as_one_object(via: str, tmp_path: Path) -> None:
    t = rt.tensor([1.0, 2.0])
    p = rt.nn.Parameter(rt.tensor([3.0]))
    out = _roundtrip({"a": t, "b": [t, {"c": t}], "p": p, "q": p}, tmp_path, via)
    assert out["a"] is out["b"][0] is out["b"][1]["c"]
    assert out["p"] is out["q"] and type(out["p"]) is rt.nn.Parameter
    buf = io.BytesIO()
    rt.save({"a": t, "b": t}, buf)
    assert list(st_torch.load(buf.getvalue())) == ["a"]  # stored once


def test_state_dict_of_tied_weights_is_stored_once_and_shares_memory_after_loading(tmp_path: Path) -> None:
    shared = rt.nn.LayerNorm(3)
    net = rt.nn.Sequential(shared, rt.nn.ReLU(), shared)
    with rt.no_grad():
        shared.weight.copy_(rt.tensor([1.0, 2.0, 3.0]))
    sd = net.state_dict()
    assert sd["0.weight"] is not sd["2.weight"]  # two detached views of one parameter
    out = _roundtrip(sd, tmp_path, "path")
    assert type(out) is OrderedDict and list(out) == list(sd)
    assert out["0.weight"] is not out["2.weight"] and out["0.weight"].data_ptr() == out["2.weight"].data_ptr()
    out["0.weight"][0] = 9.0  # they share memory, as torch.load restores shared storage
    assert out["2.weight"][0].item() == 9.0
    fresh = rt.nn.Sequential(rt.nn.LayerNorm(3), rt.nn.ReLU(), rt.nn.LayerNorm(3))
    fresh.load_state_dict(out)
    assert fresh[2].weight.tolist() == [9.0, 2.0, 3.0]


def test_overlapping_views_are_refused_naming_both_entries(tmp_path: Path) -> None:
    x = rt.arange(6.0)
    cases = [
        ({"x": x, "v": x[1:]}, "'x' and 'v'"),
        ({"m": x.reshape(2, 3), "t": x.reshape(2, 3).t()}, "'m' and 't'"),
        ([x[:4], x[2:]], "'0' and '1'"),
        ({"outer": {"x": x}, "list": [x[::2]]}, "'outer.x' and 'list.0'"),
    ]
    for obj, names in cases:
        for target in (tmp_path / "v.safetensors", io.BytesIO()):
            with pytest.raises(RuntimeError, match=f"rt.save: the tensors at {names} share memory"):
                rt.save(obj, target)
    assert not (tmp_path / "v.safetensors").exists()  # nothing written


def test_disjoint_views_of_one_storage_are_saved_independently(tmp_path: Path) -> None:
    x = rt.arange(6.0)
    out = _roundtrip({"even": x[::2], "odd": x[1::2], "head": x[:0]}, tmp_path, "path")
    assert out["even"].tolist() == [0.0, 2.0, 4.0] and out["odd"].tolist() == [1.0, 3.0, 5.0]
    assert out["head"].shape == (0,)
    out["even"][0] = 7.0
    assert out["odd"].tolist() == [1.0, 3.0, 5.0]


# ------------------------------------------------------------------------------------ module and optim
def test_module_state_dict_round_trip_into_a_fresh_model(tmp_path: Path) -> None:
    net = rt.nn.Sequential(rt.nn.LayerNorm(4), rt.nn.BatchNorm1d(4))
    net.train()
    net(rt.from_numpy(RNG.standard_normal((5, 4)).astype(np.float32)))  # moves the running statistics
    path = tmp_path / "model.safetensors"
    rt.save(net.state_dict(), path)
    fresh = rt.nn.Sequential(rt.nn.LayerNorm(4), rt.nn.BatchNorm1d(4))
    assert repr(fresh.load_state_dict(rt.load(path))) == "<All keys matched successfully>"
    for (k, a), (k2, b) in zip(net.state_dict().items(), fresh.state_dict().items(), strict=True):
        assert k == k2
        _same(b, a)
    assert fresh[1].num_batches_tracked.item() == 1


def test_optimizer_state_dict_with_integer_keys_round_trips(tmp_path: Path) -> None:
    m = rt.nn.LayerNorm(3)
    opt = rt.optim.Adam(m.parameters(), lr=0.01, betas=(0.8, 0.9))
    m(rt.from_numpy(RNG.standard_normal((2, 3)).astype(np.float32))).sum().backward()
    opt.step()
    sd = opt.state_dict()
    out = _roundtrip(sd, tmp_path, "bytesio")
    assert list(out["state"]) == list(sd["state"]) == [0, 1]
    assert out["param_groups"][0]["betas"] == (0.8, 0.9) and out["param_groups"][0]["params"] == [0, 1]
    for i in sd["state"]:
        for k, v in sd["state"][i].items():
            if isinstance(v, rt.Tensor):
                _same(out["state"][i][k], v)
            else:
                assert out["state"][i][k] == v
    opt2 = rt.optim.Adam(m.parameters(), lr=0.5)
    opt2.load_state_dict(out)
    assert opt2.param_groups[0]["lr"] == 0.01


# ------------------------------------------------------------------------------------------------ interop
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_files_written_by_rt_are_read_by_safetensors_torch(dtype: Any, tmp_path: Path) -> None:
    arrays = {f"s{i}": _values(s, dtype) for i, s in enumerate(SHAPES)}
    path = tmp_path / "rt.safetensors"
    rt.save({k: rt.from_numpy(a) for k, a in arrays.items()}, path)
    loaded = st_torch.load_file(str(path))
    assert list(loaded) == list(arrays) or sorted(loaded) == sorted(arrays)
    for k, a in arrays.items():
        t = loaded[k]
        assert t.dtype == TORCH_DTYPES[dtype] and tuple(t.shape) == a.shape
        if dtype is rt.bfloat16:
            np.testing.assert_array_equal(t.float().numpy(), a.astype(np.float32))
        else:
            np.testing.assert_array_equal(t.numpy(), a)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_files_written_by_safetensors_torch_are_read_by_rt(dtype: Any, tmp_path: Path) -> None:
    arrays = {f"s{i}": _values(s, dtype) for i, s in enumerate(SHAPES)}
    tensors = {}
    for k, a in arrays.items():
        if dtype is rt.bfloat16:
            tensors[k] = torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
        else:
            tensors[k] = torch.from_numpy(a.copy())
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(tensors, str(path), metadata={"format": "pt"})
    for out in (rt.load(path), rt.load(io.BytesIO(st_torch.save(tensors)))):
        assert type(out) is dict and sorted(out) == sorted(arrays)
        for k, t in tensors.items():
            assert out[k].dtype == dtype and tuple(out[k].shape) == tuple(t.shape)
            raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
            assert out[k]._data.tobytes() == raw  # bit-exact


def test_nested_rt_files_show_dotted_names_to_other_readers(tmp_path: Path) -> None:
    path = tmp_path / "nested.safetensors"
    rt.save({"enc": {"layers": [rt.ones(2), rt.zeros(1)]}, "step": 4}, path)
    loaded = st_torch.load_file(str(path))
    assert sorted(loaded) == ["enc.layers.0", "enc.layers.1"]
    import safetensors.numpy as st_numpy

    assert sorted(st_numpy.load_file(str(path))) == ["enc.layers.0", "enc.layers.1"]


def test_torch_state_dict_saved_with_safetensors_loads_into_rt_model(tmp_path: Path) -> None:
    t = torch.nn.Sequential(torch.nn.LayerNorm(3), torch.nn.ReLU(), torch.nn.LayerNorm(3))
    with torch.no_grad():
        for i, p in enumerate(t.parameters()):
            p.copy_(torch.arange(3.0) * (i + 1))
    path = tmp_path / "t.safetensors"
    st_torch.save_file(t.state_dict(), str(path))
    r = rt.nn.Sequential(rt.nn.LayerNorm(3), rt.nn.ReLU(), rt.nn.LayerNorm(3))
    r.load_state_dict(rt.load(path))
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(r(rt.from_numpy(x)).detach().numpy(), t(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
    rt.save(r.state_dict(), path)
    t2 = torch.nn.Sequential(torch.nn.LayerNorm(3), torch.nn.ReLU(), torch.nn.LayerNorm(3))
    t2.load_state_dict(st_torch.load_file(str(path)))
    for a, b in zip(t.state_dict().values(), t2.state_dict().values(), strict=True):
        assert torch.equal(a, b)


# -------------------------------------------------------------------------------------- hostile files
def _file(header: Any, data: bytes = b"", length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


F32_2 = struct.pack("<2f", 1.0, 2.0)
GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}

HOSTILE: list[tuple[str, bytes, str]] = [
    ("empty", b"", "too short to hold the 8-byte header length"),
    ("short", b"\x01\x02\x03", "too short"),
    ("header longer than file", _file(GOOD, F32_2, length=10_000), "header length 10000 is larger than the"),
    ("huge header length", _file(GOOD, F32_2, length=2**63), "is larger than the"),
    ("bad utf8", _file(b'{"\xff": 1}'), "not valid UTF-8"),
    ("not an object", _file(b"[1, 2]"), "does not start with '{'"),
    ("invalid json", _file(b'{"a": {"dtype": "F32",'), "not valid JSON"),
    ("trailing garbage json", _file(b'{"a": 1} x'), "not valid JSON"),
    ("duplicate keys", _file(b'{"a": 1, "a": 2}'), "duplicate key 'a'"),
    ("deep json", _file(b"{" + b'"a":[' * 100_000 + b"]" * 100_000 + b"}"), "not valid JSON"),
    ("metadata not dict", _file({"__metadata__": [1]}), "__metadata__ must map strings to strings"),
    ("metadata values", _file({"__metadata__": {"k": 1}}), "__metadata__ must map strings to strings"),
    ("entry not dict", _file({"a": [1]}), "header entry of tensor 'a' is not a JSON object"),
    ("missing dtype", _file({"a": {"shape": [], "data_offsets": [0, 0]}}), "has no 'dtype'"),
    ("missing shape", _file({"a": {"dtype": "F32", "data_offsets": [0, 0]}}), "has no 'shape'"),
    ("missing offsets", _file({"a": {"dtype": "F32", "shape": []}}), "has no 'data_offsets'"),
    ("unknown dtype", _file({"a": {"dtype": "Q7", "shape": [0], "data_offsets": [0, 0]}}), "dtype 'Q7'"),
    ("unsupported dtype", _file({"a": {"dtype": "U16", "shape": [0], "data_offsets": [0, 0]}}), "dtype 'U16'"),
    ("dtype not str", _file({"a": {"dtype": 4, "shape": [0], "data_offsets": [0, 0]}}), "dtype that is not a string"),
    ("shape not list", _file({"a": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}}, F32_2), "shape that is not"),
    ("shape float", _file({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, F32_2), "shape that is not"),
    ("shape bool", _file({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}), "shape that is not"),
    ("shape negative", _file({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, F32_2), "invalid shape"),
    ("too many dims", _file({"a": {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}}), "invalid shape"),
    ("dim too large", _file({"a": {"dtype": "F32", "shape": [0, 2**64], "data_offsets": [0, 0]}}), "invalid shape"),
    ("huge empty", _file({"a": {"dtype": "F32", "shape": [0, 2**62], "data_offsets": [0, 0]}}), "too large to"),
    ("huge shape", _file({"a": {"dtype": "F64", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}, F32_2), "too large"),
    ("big shape", _file({"a": {"dtype": "F32", "shape": [2**30, 2**20], "data_offsets": [0, 8]}}, F32_2), "needs"),
    ("offsets not pair", _file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, F32_2), "not a pair"),
    ("offsets floats", _file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8.0]}}, F32_2), "not a pair"),
    ("offsets reversed", _file({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, F32_2), "begin <= end"),
    ("offsets negative", _file({"a": {"dtype": "F32", "shape": [0], "data_offsets": [-4, -4]}}), "begin <= end"),
    (
        "offsets beyond data",
        _file({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, F32_2),
        "beyond the end",
    ),
    ("byte count", _file({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, F32_2), "needs 12 bytes"),
    (
        "overlap",
        _file(
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
            },
            F32_2,
        ),
        "'a' and 'b' overlap",
    ),
    (
        "gap",
        _file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, F32_2),
        "4 unused bytes before the data of tensor 'a'",
    ),
    ("trailing bytes", _file(GOOD, F32_2 + b"junk"), "holds 4 bytes after the last tensor"),
    ("bool bytes", _file({"a": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x02"), "other than 0"),
]


def _meta_file(structure: Any, tensors: dict[str, Any] | None = None, fmt: str = "rustytorch-1") -> bytes:
    header: dict[str, Any] = {}
    data = b""
    for name, values in (tensors or {"a": [1.0, 2.0]}).items():
        raw = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": [len(values)], "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = structure if isinstance(structure, str) else json.dumps(structure)
    header["__metadata__"] = {"rustytorch.format": fmt, "rustytorch.structure": text}
    return _file(header, data)


LEAF = {"__tensor__": "a", "obj": 0}
HOSTILE += [
    ("structure not json", _meta_file("{not json"), "structure metadata is not valid JSON"),
    ("structure node list", _meta_file([1, 2]), "malformed node"),
    ("structure two tags", _meta_file({"__list__": [], "__dict__": {}, **LEAF}), "malformed node"),
    ("structure unknown tag", _meta_file({"__code__": "import os"}), "malformed node"),
    ("missing tensor", _meta_file({"__tensor__": "zz", "obj": 0}), "references a tensor 'zz' that the file does not"),
    ("tensor name not str", _meta_file({"__tensor__": 3, "obj": 0}), "malformed tensor node"),
    ("tensor obj not int", _meta_file({"__tensor__": "a", "obj": "0"}), "malformed tensor node"),
    ("flag not bool", _meta_file({**LEAF, "requires_grad": "yes"}), "malformed tensor node"),
    ("unreferenced tensor", _meta_file({"__value__": 1}), "does not reference: ['a']"),
    ("dict body", _meta_file({"__dict__": [LEAF]}), "malformed dict"),
    ("list body", _meta_file({"__list__": {"x": LEAF}}), "malformed list"),
    ("items body", _meta_file({"__items__": [[LEAF]]}), "malformed dict"),
    ("tensor as key", _meta_file({"__items__": [[LEAF, {"__value__": 1}]]}), "malformed dict key"),
    ("list as key", _meta_file({"__items__": [[{"__list__": []}, LEAF]]}), "malformed dict key"),
    ("value is list", _meta_file({"__list__": [LEAF, {"__value__": [1, 2]}]}), "malformed value"),
    ("unknown dtype name", _meta_file({"__list__": [LEAF, {"__dtype__": "complex64"}]}), "unknown dtype"),
    ("bad size", _meta_file({"__list__": [LEAF, {"__size__": [1.5]}]}), "malformed Size"),
    ("ordered flag", _meta_file({"__dict__": {"a": LEAF}, "ordered": 1}), "malformed 'ordered' flag"),
    ("object reused", _meta_file({"__list__": [LEAF, {"__tensor__": "b", "obj": 0}]}, {"a": [1.0], "b": [2.0]}), "two"),
    ("deep structure", _meta_file('{"__list__":[' * 5000 + "]}" * 5000), "nested too deeply"),
    ("unknown format", _meta_file(LEAF, fmt="rustytorch-99"), "unknown rustytorch format 'rustytorch-99'"),
]


@pytest.mark.parametrize(("case", "raw", "message"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_files_raise_a_clear_error_naming_the_file(case: str, raw: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(raw)
    with pytest.raises(RuntimeError, match=r"rt\.load: ") as info:
        rt.load(path)
    assert str(path) in str(info.value) and message in str(info.value)
    with pytest.raises(RuntimeError, match=r"rt\.load: <file object>: ") as info:
        rt.load(io.BytesIO(raw))
    assert message in str(info.value)
    with open(path, "rb") as fh, pytest.raises(RuntimeError) as info:
        rt.load(fh)
    assert str(path) in str(info.value) and message in str(info.value)


def test_hostile_cases_are_also_rejected_by_the_safetensors_reader() -> None:
    """The cases that break the file layout itself are refused by the reference reader too."""
    layout_cases = {"header longer than file", "bad utf8", "invalid json", "offsets beyond data", "byte count"}
    layout_cases |= {"overlap", "gap", "trailing bytes", "duplicate keys", "missing dtype"}
    for case, raw, _ in HOSTILE:
        if case in layout_cases:
            with pytest.raises(Exception):  # noqa: B017 - safetensors' own error class
                st_torch.load(raw)


def test_good_hand_built_file_loads(tmp_path: Path) -> None:
    out = rt.load(io.BytesIO(_file(GOOD, F32_2)))
    assert out["a"].tolist() == [1.0, 2.0] and out["a"].dtype == rt.float32
    raw = _file({**GOOD, "z": {"dtype": "I64", "shape": [0, 3], "data_offsets": [8, 8]}}, F32_2)
    out = rt.load(io.BytesIO(raw))
    assert out["z"].shape == (0, 3) and out["z"].dtype == rt.int64
    padded = json.dumps(GOOD).encode() + b"    "  # safetensors pads headers with spaces
    assert rt.load(io.BytesIO(_file(padded, F32_2)))["a"].tolist() == [1.0, 2.0]
    out = rt.load(io.BytesIO(_meta_file({"__list__": [LEAF, LEAF]})))
    assert out[0] is out[1]


def test_truncated_real_files_are_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    rt.save({"w": rt.ones(4, 4), "nested": [rt.zeros(3)]}, buf)
    raw = buf.getvalue()
    for cut in (1, 7, 9, len(raw) // 2, len(raw) - 1):
        with pytest.raises(RuntimeError, match=r"rt\.load: <file object>: "):
            rt.load(io.BytesIO(raw[:cut]))


def test_load_never_executes_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> Any:
            return (os.mkdir, (str(marker),))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(RuntimeError, match="not a safetensors file"):
        rt.load(path)
    torch_path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2), "evil": Evil()}, torch_path)
    with pytest.raises(RuntimeError, match=str(torch_path)):
        rt.load(torch_path)
    assert not marker.exists()


def test_module_is_untouched_when_the_file_is_bad_or_does_not_fit(tmp_path: Path) -> None:
    net = rt.nn.Sequential(rt.nn.LayerNorm(3), rt.nn.LayerNorm(3))
    before = [p.clone() for p in net.parameters()]
    path = tmp_path / "sd.safetensors"
    sd = {k: v + 1 for k, v in net.state_dict().items()}
    sd["1.bias"] = rt.zeros(4)
    rt.save(sd, path)
    with pytest.raises(RuntimeError, match=r"size mismatch for 1\.bias"):
        net.load_state_dict(rt.load(path))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(RuntimeError, match=r"rt\.load: "):
        net.load_state_dict(rt.load(path))
    for p, b in zip(net.parameters(), before, strict=True):
        _same(p.detach(), b)


# ------------------------------------------------------------------------------------- file objects, args
def test_file_objects_read_from_the_current_position_and_write_at_it(tmp_path: Path) -> None:
    buf = io.BytesIO()
    buf.write(b"prefix")
    rt.save(rt.tensor([1, 2]), buf)
    buf.seek(6)
    assert rt.load(buf).tolist() == [1, 2]
    path = tmp_path / "f.bin"
    with open(path, "wb") as fh:
        rt.save({"x": rt.ones(2)}, fh)
    with open(path, "rb") as fh:
        assert rt.load(fh)["x"].tolist() == [1.0, 1.0]
    with open(path, encoding="latin-1") as text, pytest.raises(TypeError, match="binary mode"):
        rt.load(text)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a path or a binary file object"):
        rt.load(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a path or a binary file object"):
        rt.save(rt.ones(1), 3)  # type: ignore[arg-type]


def test_map_location_and_torch_arguments_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    rt.save({"x": rt.ones(1)}, path, pickle_protocol=4)
    for loc in (None, "cpu", rt.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        assert rt.load(path, map_location=loc, weights_only=True)["x"].tolist() == [1.0]
    assert rt.load(path, weights_only=False, mmap=True)["x"].tolist() == [1.0]
    with pytest.raises(RuntimeError, match="only the 'cpu' device"):
        rt.load(path, map_location="cuda")
    with pytest.raises(TypeError, match="map_location"):
        rt.load(path, map_location=3)


def test_missing_files_and_directories(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        rt.load(tmp_path / "nope.safetensors")
    with pytest.raises(RuntimeError, match=r"parent directory .* does not exist"):
        rt.save(rt.ones(1), tmp_path / "no" / "dir.safetensors")


def test_unsavable_objects_raise_type_error_naming_where(tmp_path: Path) -> None:
    target = tmp_path / "x.safetensors"
    cases = [
        ({"a": {1, 2}}, "type set at 'a'"),
        ({"a": [np.ones(2)]}, "type ndarray at 'a.0' (convert it with rt.from_numpy)"),
        ({"a": object()}, "type object at 'a'"),
        ({"f": lambda: 0}, "type function at 'f'"),
        ({rt.ones(1): 1}, "dict key of type Tensor"),
        ({"d": __import__("collections").defaultdict(int)}, "dict subclass defaultdict at 'd'"),
        (np.float32(1.0), "type float32 at the top level"),
    ]
    for obj, message in cases:
        with pytest.raises(TypeError, match=r"rt\.save: ") as info:
            rt.save(obj, target)
        assert message in str(info.value)


# ----------------------------------------------------------------------------------------- .npy / .npz
NPY_DTYPES = [d for d in DTYPES if d is not rt.bfloat16]


@pytest.mark.parametrize("dtype", NPY_DTYPES, ids=lambda d: d.name)
def test_npy_and_npz_round_trip_and_are_numpy_files(dtype: Any, tmp_path: Path) -> None:
    for shape in SHAPES:
        a = _values(shape, dtype)
        x = rt.from_numpy(a)
        rt.save(x, tmp_path / "x.npy")
        _same(rt.load(tmp_path / "x.npy"), x)
        np.testing.assert_array_equal(np.load(tmp_path / "x.npy", allow_pickle=False), a)
    arrays = {f"k{i}": _values(s, dtype) for i, s in enumerate(SHAPES)}
    rt.save({k: rt.from_numpy(v) for k, v in arrays.items()}, tmp_path / "x.npz")
    out = rt.load(tmp_path / "x.npz")
    assert list(out) == list(arrays)
    for k, v in arrays.items():
        _same(out[k], rt.from_numpy(v))
    with np.load(tmp_path / "x.npz", allow_pickle=False) as z:
        for k, v in arrays.items():
            np.testing.assert_array_equal(z[k], v)


def test_numpy_formats_edge_cases(tmp_path: Path) -> None:
    base = rt.from_numpy(np.arange(12.0).reshape(3, 4))
    rt.save(base.t(), tmp_path / "t.npy")
    y = rt.load(tmp_path / "t.npy")
    assert y.is_contiguous()
    np.testing.assert_array_equal(y.numpy(), base.numpy().T)
    rt.save({"file": rt.ones(1), "allow_pickle": rt.zeros(1), "a/b": rt.tensor([3])}, tmp_path / "keys.npz")
    assert sorted(rt.load(tmp_path / "keys.npz")) == ["a/b", "allow_pickle", "file"]
    np.save(tmp_path / "big.npy", np.arange(4, dtype=">i4"))
    np.save(tmp_path / "fortran.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    np.savez(tmp_path / "np.npz", a=np.arange(3, dtype=np.int16), b=np.array(True))
    big = rt.load(tmp_path / "big.npy")
    assert big.dtype == rt.int32 and big.tolist() == [0, 1, 2, 3]
    assert rt.load(tmp_path / "fortran.npy").tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    out = rt.load(tmp_path / "np.npz")
    assert out["a"].dtype == rt.int16 and out["b"].item() is True and out["b"].shape == ()


def test_numpy_formats_refuse_what_they_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="bfloat16, which the NumPy formats can't store"):
        rt.save(rt.ones(2, dtype=rt.bfloat16), tmp_path / "b.npy")
    with pytest.raises(TypeError, match=r"a \.npy file's content must be a tensor, got dict"):
        rt.save({"a": rt.ones(1)}, tmp_path / "d.npy")
    with pytest.raises(TypeError, match=r"a \.npz file holds a flat dict of tensors, got list"):
        rt.save([rt.ones(1)], tmp_path / "l.npz")
    with pytest.raises(TypeError, match=r"entry 'a' of a \.npz file must be a tensor, got dict"):
        rt.save({"a": {"b": rt.ones(1)}}, tmp_path / "n.npz")
    with pytest.raises(TypeError, match=r"\.npz keys must be strings"):
        rt.save({1: rt.ones(1)}, tmp_path / "k.npz")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "c.npy", np.ones(2, dtype=np.complex64))
    np.save(tmp_path / "u16.npy", np.ones(2, dtype=np.uint16))
    np.savez(tmp_path / "obj.npz", a=np.array([None], dtype=object))
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    for name, message in [
        ("obj.npy", "not a valid NumPy file"),
        ("c.npy", "NumPy dtype complex64, which rustytorch can't load"),
        ("u16.npy", "NumPy dtype uint16"),
        ("obj.npz", "entry 'a' is not a valid NumPy array"),
        ("junk.npy", "not a valid NumPy file"),
    ]:
        with pytest.raises(RuntimeError, match=f"rt.load: {tmp_path / name}: ") as info:
            rt.load(tmp_path / name)
        assert message in str(info.value)
    with pytest.raises(FileNotFoundError):
        rt.load(tmp_path / "missing.npy")


# --------------------------------------------------------------------------------------------- docs
def test_docstring_examples_run() -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(serialization, globs={}) if t.examples]
    assert len(tests) == 2
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0
