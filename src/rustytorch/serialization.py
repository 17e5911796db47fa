"""``rt.save`` / ``rt.load``: tensors and nested containers of tensors in the safetensors format.

Loading never executes code: a safetensors file is an 8-byte little-endian header length, a JSON
header (``{name: {"dtype", "shape", "data_offsets"}}`` plus an optional ``"__metadata__"`` map of
strings) and the raw little-endian tensor bytes. ``rt.load`` parses and validates that layout
itself, so a truncated, corrupted or hostile file raises a ``RuntimeError`` naming the file and
the problem before any tensor is built; writing goes through the ``safetensors`` package (the
optional ``serialization`` extra).

What is saved beyond a flat ``{name: tensor}`` dict (nesting, lists, tuples, plain Python values,
``requires_grad``, ``Parameter``, the same tensor object saved twice) is described by a JSON
document in the header metadata under ``"rustytorch.structure"``; other safetensors readers
(``safetensors.torch.load_file`` included) ignore it and see every tensor under its dotted path
(``"layer.0.weight"``). A plain ``dict`` of tensors is written as an ordinary safetensors file.

Shared memory: the same tensor object saved twice is stored once and restored as one object;
tensors that are the *same view* of one memory block (same address, shape, strides and dtype,
such as two ``.detach()`` of one parameter in the ``state_dict`` of a model with tied weights)
are stored once and restored as distinct tensors sharing memory, as ``torch.load`` does. Any
other overlap (a tensor and a slice of it) is refused, naming both entries. Non-contiguous tensors
are written contiguously.

``.npy`` (one tensor) and ``.npz`` (a flat dict of tensors) paths use NumPy's formats, always
with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from . import _dtype
from ._storage import root_array
from ._tensor import Size, Tensor, _make, device

__all__ = ["save", "load"]

_FORMAT_KEY = "rustytorch.format"
_STRUCT_KEY = "rustytorch.structure"
_FORMAT = "rustytorch-1"
_MAX_HEADER = 100_000_000  # the limit safetensors itself enforces
_MAX_DIM = np.iinfo(np.int64).max

# safetensors dtype code -> rustytorch dtype (the other codes, U16..U64, F8_*, C64, are refused)
_ST_TO_DTYPE: dict[str, _dtype.dtype] = {
    "BOOL": _dtype.bool,
    "U8": _dtype.uint8,
    "I8": _dtype.int8,
    "I16": _dtype.int16,
    "I32": _dtype.int32,
    "I64": _dtype.int64,
    "F16": _dtype.float16,
    "BF16": _dtype.bfloat16,
    "F32": _dtype.float32,
    "F64": _dtype.float64,
}


class _Bad(Exception):
    """A problem with the file's content; ``load`` re-raises it as RuntimeError naming the file."""


# ------------------------------------------------------------------------------------------ save
def _safetensors() -> Any:
    try:
        import safetensors.numpy as sn
    except ImportError:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "rt.save writes the safetensors format and needs the optional 'safetensors' package: "
            "pip install 'rustytorch[serialization]'"
        ) from None
    return sn


def _where(path: str) -> str:
    return repr(path) if path else "the top level"


class _Writer:
    """Flattens a nested object into ``{name: ndarray}`` and a JSON-able structure."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {"__metadata__": np.empty(0)}  # reserved name
        self.objects: dict[int, int] = {}  # id(tensor) -> object number
        self.keep: list[Tensor] = []  # keeps saved tensors alive so their ids stay unique
        self.views: dict[tuple[Any, ...], str] = {}  # (address, shape, strides, dtype) -> stored name
        self.by_root: dict[int, list[tuple[str, str, np.ndarray]]] = {}  # id(root) -> (name, entry, array)
        self.plain = True  # a flat dict of plain tensors stored under their own keys
        self.object_names: list[str] = []  # object number -> stored name

    def name_for(self, path: str) -> str:
        name = path or "tensor"
        if name in self.arrays:
            n = 1
            while f"{name}~{n}" in self.arrays:
                n += 1
            name = f"{name}~{n}"
        return name

    def tensor(self, t: Tensor, path: str) -> dict[str, Any]:
        from .nn.parameter import Parameter

        if type(t) is not Tensor and not isinstance(t, Parameter):
            raise TypeError(f"rt.save: can't save a tensor of subclass {type(t).__name__} at {_where(path)}")
        leaf: dict[str, Any] = {}
        num = self.objects.get(id(t))
        if num is not None:  # the same object again: restored as the same object
            self.plain = False
            return {"__tensor__": self.object_names[num], "obj": num}
        num = len(self.objects)
        self.objects[id(t)] = num
        self.keep.append(t)
        a = t._data
        view = (int(a.__array_interface__["data"][0]), a.shape, a.strides, a.dtype.str)
        name = self.views.get(view) if a.size else None
        if name is None:
            name = self.name_for(path)
            self._check_overlap(a, path, name)
            self.arrays[name] = a if a.flags.c_contiguous else np.ascontiguousarray(a)  # 0-d is C-contiguous
            if a.size:
                self.views[view] = name
        else:
            self.plain = False  # an alias of a tensor already stored
        if name != path:
            self.plain = False
        self.object_names.append(name)
        leaf["__tensor__"] = name
        leaf["obj"] = num
        if t._requires_grad:
            leaf["requires_grad"] = True
            self.plain = False
        if isinstance(t, Parameter):
            leaf["parameter"] = True
            self.plain = False
        return leaf

    def _check_overlap(self, a: np.ndarray, path: str, name: str) -> None:
        if a.size == 0:
            return
        group = self.by_root.setdefault(id(root_array(a)), [])
        for other_path, _, other in group:
            try:
                overlap = np.shares_memory(a, other, max_work=100_000)  # type: ignore[arg-type]
            except np.exceptions.TooHardError:
                overlap = True
            if overlap:
                raise RuntimeError(
                    f"rt.save: the tensors at {_where(other_path)} and {_where(path)} share memory (one is a "
                    f"view of the other) but are not the same view. The safetensors format stores each tensor "
                    f"separately; save a .clone() of one of them, or save the same tensor object twice (that is "
                    f"stored once and restored as one object)."
                )
        group.append((path, name, a))

    def node(self, obj: Any, path: str, depth: int = 0) -> Any:
        if depth > 200:
            raise ValueError(f"rt.save: the object is nested more than 200 levels deep at {_where(path)}")
        if isinstance(obj, Tensor):
            return self.tensor(obj, path)
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                out: dict[str, Any] = {"__dict__": {k: self.node(v, _join(path, k), depth + 1) for k, v in obj.items()}}
            else:
                items = []
                for k, v in obj.items():
                    items.append([self.key(k, path), self.node(v, _join(path, str(k)), depth + 1)])
                out = {"__items__": items}
            if type(obj) is not dict:
                if not isinstance(obj, OrderedDict):
                    raise TypeError(f"rt.save: can't save a dict subclass {type(obj).__name__} at {_where(path)}")
                out["ordered"] = True
            return out
        if type(obj) is Size:
            return {"__size__": [int(s) for s in obj]}
        if type(obj) in (list, tuple):
            items = [self.node(v, _join(path, str(i)), depth + 1) for i, v in enumerate(obj)]
            return {"__list__": items} if type(obj) is list else {"__tuple__": items}
        if obj is None or type(obj) in (bool, int, float, str):
            return {"__value__": obj}
        if isinstance(obj, _dtype.dtype):
            return {"__dtype__": obj.name}
        hint = " (convert it with rt.from_numpy)" if isinstance(obj, np.ndarray | np.generic) else ""
        raise TypeError(
            f"rt.save: can't save an object of type {type(obj).__name__} at {_where(path)}{hint}: only tensors, "
            f"None, bool, int, float, str, dtypes, Size and dicts/lists/tuples of them are saved "
            f"(a safetensors file never stores code)"
        )

    def key(self, k: Any, path: str) -> Any:
        if k is None or type(k) in (bool, int, float, str):
            return {"__value__": k}
        if type(k) is tuple:
            return {"__tuple__": [self.key(v, path) for v in k]}
        raise TypeError(f"rt.save: can't save a dict key of type {type(k).__name__} at {_where(path)}")


def _join(path: str, k: str) -> str:
    return f"{path}.{k}" if path else k


def save(
    obj: Any,
    f: str | os.PathLike[str] | IO[bytes],
    pickle_module: Any = None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
    _disable_byteorder_record: bool = False,
) -> None:
    """Save a tensor, a state dict or nested dicts/lists/tuples of tensors in the safetensors format.

    Same signature as ``torch.save``; the pickle arguments are accepted and ignored (nothing is
    pickled). ``f`` is a path or a binary file object. Paths ending in ``.npy`` (one tensor) or
    ``.npz`` (a flat dict of tensors) are written with NumPy's formats instead.

    Parameters
    ----------
    obj : Tensor, dict, list, tuple, or a plain value
        What to save: tensors (``Parameter`` and ``requires_grad`` are kept), ``None``, ``bool``,
        ``int``, ``float``, ``str``, dtypes, ``Size`` and dicts (string, number or tuple keys),
        lists and tuples of them.
    f : str, os.PathLike or binary file object
        Where to write.

    Raises
    ------
    TypeError
        For an object that can't be saved, naming where it is.
    RuntimeError
        For tensors that partly overlap in memory, naming both; for a missing parent directory.

    Examples
    --------
    >>> import os, tempfile, rustytorch as rt
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> rt.save({"w": rt.ones(2), "step": 3}, path)
    >>> rt.load(path)
    {'w': tensor([1., 1.]), 'step': 3}
    """
    path = os.fspath(f) if isinstance(f, str | os.PathLike) else None
    if path is not None:
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise RuntimeError(f"rt.save: parent directory {parent} does not exist.")
        if path.lower().endswith((".npy", ".npz")):
            _save_numpy(obj, path)
            return
    elif not hasattr(f, "write"):
        raise TypeError(f"rt.save: expected a path or a binary file object, got {type(f).__name__}")
    w = _Writer()
    structure = w.node(obj, "")
    del w.arrays["__metadata__"]
    metadata = {_FORMAT_KEY: _FORMAT}
    if not (type(obj) is dict and w.plain and all(isinstance(v, Tensor) for v in obj.values())):
        metadata[_STRUCT_KEY] = json.dumps(structure, allow_nan=True, separators=(",", ":"))
    sn = _safetensors()
    if path is not None:
        sn.save_file(w.arrays, path, metadata=metadata)
    else:
        f.write(sn.save(w.arrays, metadata=metadata))  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ load
def load(
    f: str | os.PathLike[str] | IO[bytes],
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Load what ``rt.save`` wrote, or any safetensors file (as a ``{name: tensor}`` dict); never runs code.

    Same signature as ``torch.load``. ``map_location`` may be ``None``, ``'cpu'``, a CPU device, a
    dict or a function (everything lives on the CPU, so it changes nothing); ``weights_only``,
    ``mmap`` and the pickle arguments are accepted and ignored, since nothing is unpickled.
    Paths ending in ``.npy``/``.npz`` are read with NumPy (``allow_pickle=False``).

    Parameters
    ----------
    f : str, os.PathLike or binary file object
        The file to read (a file object is read from its current position to its end).

    Returns
    -------
    object
        What was saved: tensors, containers and plain values, with shared tensors shared again.

    Raises
    ------
    RuntimeError
        For a truncated, corrupted or hostile file, naming the file and what is wrong.
    FileNotFoundError
        For a path that does not exist.

    Examples
    --------
    >>> import io, rustytorch as rt
    >>> buf = io.BytesIO()
    >>> rt.save([rt.tensor([1, 2]), {"b": rt.zeros(1)}], buf)
    >>> _ = buf.seek(0)
    >>> rt.load(buf)
    [tensor([1, 2]), {'b': tensor([0.])}]
    """
    _check_map_location(map_location)
    path = os.fspath(f) if isinstance(f, str | os.PathLike) else None
    if path is not None:
        if path.lower().endswith((".npy", ".npz")):
            return _load_numpy(path)
        with open(path, "rb") as fh:
            raw = fh.read()
        name = path
    else:
        if not hasattr(f, "read"):
            raise TypeError(f"rt.load: expected a path or a binary file object, got {type(f).__name__}")
        raw = f.read()  # type: ignore[union-attr]
        name = str(getattr(f, "name", "<file object>"))
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise TypeError(
                f"rt.load: {name}: the file object must be opened in binary mode (read() gave {type(raw).__name__})"
            )
        raw = bytes(raw)
    try:
        tensors, metadata = _parse(raw)
        fmt = metadata.get(_FORMAT_KEY)
        struct = metadata.get(_STRUCT_KEY)
        if fmt is None or struct is None:
            if fmt is not None and fmt != _FORMAT:
                raise _Bad(f"written by an unknown rustytorch format {fmt!r} (this version reads {_FORMAT!r})")
            return tensors
        if fmt != _FORMAT:
            raise _Bad(f"written by an unknown rustytorch format {fmt!r} (this version reads {_FORMAT!r})")
        return _Reader(tensors).load(struct)
    except _Bad as e:
        raise RuntimeError(f"rt.load: {name}: {e}") from None


def _check_map_location(map_location: Any) -> None:
    if map_location is None or callable(map_location):
        return
    if isinstance(map_location, dict):
        for v in map_location.values():
            device(v)
        return
    if isinstance(map_location, str | device):
        device(map_location)
        return
    raise TypeError(
        f"rt.load: map_location must be None, a device, a str, a dict or a function, got {type(map_location).__name__}"
    )


def _parse(raw: bytes) -> tuple[dict[str, Tensor], dict[str, str]]:
    """Validate a safetensors byte string and build its tensors; ``_Bad`` says what is wrong."""
    if len(raw) < 8:
        raise _Bad(f"not a safetensors file: {len(raw)} bytes is too short to hold the 8-byte header length")
    n = int.from_bytes(raw[:8], "little")
    if n > len(raw) - 8:
        raise _Bad(
            f"not a safetensors file (or truncated): the header length {n} is larger than the "
            f"{len(raw) - 8} bytes that follow it"
        )
    if n > _MAX_HEADER:
        raise _Bad(f"the header length {n} exceeds the {_MAX_HEADER}-byte limit")
    try:
        text = raw[8 : 8 + n].decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Bad(f"the header is not valid UTF-8 ({e})") from None
    if not text.startswith("{"):
        raise _Bad("not a safetensors file: the header does not start with '{'")
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as e:
        raise _Bad(f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _Bad("the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _Bad("the header's __metadata__ must map strings to strings")
    data = memoryview(raw)[8 + n :]
    spans = []
    for key, info in header.items():
        if not isinstance(info, dict):
            raise _Bad(f"the header entry of tensor {key!r} is not a JSON object")
        for field in ("dtype", "shape", "data_offsets"):
            if field not in info:
                raise _Bad(f"the header entry of tensor {key!r} has no {field!r}")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(code, str):
            raise _Bad(f"tensor {key!r} has a dtype that is not a string: {code!r}")
        if code not in _ST_TO_DTYPE:
            raise _Bad(
                f"tensor {key!r} has dtype {code!r}, which rustytorch can't load (supported: {', '.join(_ST_TO_DTYPE)})"
            )
        if not isinstance(shape, list) or not all(type(s) is int for s in shape):
            raise _Bad(f"tensor {key!r} has a shape that is not a list of integers: {shape!r}")
        if len(shape) > 64 or any(s < 0 or s > _MAX_DIM for s in shape):
            raise _Bad(f"tensor {key!r} has an invalid shape {shape} (at most 64 dims, each in [0, 2**63))")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
            raise _Bad(f"tensor {key!r} has data_offsets that are not a pair of integers: {offsets!r}")
        begin, end = offsets
        if not 0 <= begin <= end:
            raise _Bad(f"tensor {key!r} has invalid data_offsets {offsets} (need 0 <= begin <= end)")
        if end > len(data):
            raise _Bad(
                f"tensor {key!r} has data_offsets {offsets} beyond the end of the data section "
                f"({len(data)} bytes): the file is truncated or corrupted"
            )
        dt = _ST_TO_DTYPE[code]
        numel, extent = 1, dt.itemsize
        for s in shape:
            numel *= s
            extent *= max(s, 1)
        if extent > _MAX_DIM:  # NumPy can't even describe an empty array of this shape
            raise _Bad(f"tensor {key!r} has a shape {shape} too large to represent")
        if numel * dt.itemsize != end - begin:
            raise _Bad(
                f"tensor {key!r} of dtype {code} and shape {shape} needs {numel * dt.itemsize} bytes, "
                f"but its data_offsets {offsets} span {end - begin}"
            )
        spans.append((begin, end, key))
    spans.sort()
    pos, prev = 0, None
    for begin, end, key in spans:
        if begin < pos:
            raise _Bad(f"the data of tensors {prev!r} and {key!r} overlap")
        if begin > pos:
            raise _Bad(f"there are {begin - pos} unused bytes before the data of tensor {key!r}")
        pos, prev = end, key
    if pos != len(data):
        raise _Bad(f"the data section holds {len(data) - pos} bytes after the last tensor (corrupted file)")
    tensors: dict[str, Tensor] = {}
    for key, info in header.items():
        dt = _ST_TO_DTYPE[info["dtype"]]
        begin, end = info["data_offsets"]
        npdt = dt.np
        arr = np.frombuffer(data[begin:end], dtype=npdt.newbyteorder("<"))
        if dt is _dtype.bool and arr.size and arr.view(np.uint8).max() > 1:
            raise _Bad(f"bool tensor {key!r} holds bytes other than 0 and 1")
        arr = arr.astype(npdt, copy=True).reshape(info["shape"])  # a fresh, writable, native-order copy
        tensors[key] = _make(arr)
    return tensors, metadata


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


_NODE_TAGS = ("__tensor__", "__dict__", "__items__", "__list__", "__tuple__", "__value__", "__dtype__", "__size__")


class _Reader:
    """Rebuilds the saved object from the structure metadata, validating every node."""

    def __init__(self, tensors: dict[str, Tensor]) -> None:
        self.tensors = tensors
        self.objects: dict[int, tuple[str, Tensor]] = {}
        self.used: set[str] = set()

    def load(self, struct: str) -> Any:
        try:
            tree = json.loads(struct)
        except RecursionError:
            raise _Bad("the structure metadata is nested too deeply") from None
        except ValueError as e:
            raise _Bad(f"the structure metadata is not valid JSON ({e})") from None
        try:
            out = self.node(tree, 0)
        except RecursionError:
            raise _Bad("the structure metadata is nested too deeply") from None
        unused = sorted(set(self.tensors) - self.used)
        if unused:
            raise _Bad(f"the file holds tensors that the structure metadata does not reference: {unused[:5]}")
        return out

    def node(self, node: Any, depth: int) -> Any:
        if depth > 250:
            raise _Bad("the structure metadata is nested too deeply")
        tags = [t for t in _NODE_TAGS if isinstance(node, dict) and t in node]
        if len(tags) != 1:
            raise _Bad(f"the structure metadata has a malformed node {_short(node)}")
        tag = tags[0]
        body = node[tag]
        if tag == "__tensor__":
            return self.tensor(node)
        if tag == "__value__":
            if body is not None and type(body) not in (bool, int, float, str):
                raise _Bad(f"the structure metadata has a malformed value {_short(body)}")
            return body
        if tag == "__dtype__":
            d = _dtype._BY_NAME.get(body) if isinstance(body, str) else None
            if d is None:
                raise _Bad(f"the structure metadata names an unknown dtype {_short(body)}")
            return d
        if tag == "__size__":
            if not isinstance(body, list) or not all(type(s) is int for s in body):
                raise _Bad(f"the structure metadata has a malformed Size {_short(body)}")
            return Size(body)
        if tag == "__dict__":
            if not isinstance(body, dict):
                raise _Bad(f"the structure metadata has a malformed dict {_short(body)}")
            out: dict[Any, Any] = {k: self.node(v, depth + 1) for k, v in body.items()}
        elif tag == "__items__":
            if not isinstance(body, list) or not all(isinstance(p, list) and len(p) == 2 for p in body):
                raise _Bad(f"the structure metadata has a malformed dict {_short(body)}")
            out = {}
            for k, v in body:
                out[self.key(k, depth + 1)] = self.node(v, depth + 1)
        else:  # __list__ / __tuple__
            if not isinstance(body, list):
                raise _Bad(f"the structure metadata has a malformed {tag.strip('_')} {_short(body)}")
            items = [self.node(v, depth + 1) for v in body]
            return items if tag == "__list__" else tuple(items)
        ordered = node.get("ordered", False)
        if type(ordered) is not bool:
            raise _Bad(f"the structure metadata has a malformed 'ordered' flag {_short(ordered)}")
        return OrderedDict(out) if ordered else out

    def key(self, node: Any, depth: int) -> Any:
        if depth > 250:
            raise _Bad("the structure metadata is nested too deeply")
        if isinstance(node, dict) and len(node) == 1 and "__value__" in node:
            return self.node(node, depth)
        if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("__tuple__"), list):
            return tuple(self.key(k, depth + 1) for k in node["__tuple__"])
        raise _Bad(f"the structure metadata has a malformed dict key {_short(node)}")

    def tensor(self, node: dict[str, Any]) -> Tensor:
        from .nn.parameter import Parameter

        name, num = node["__tensor__"], node.get("obj")
        flags = {k: node.get(k, False) for k in ("requires_grad", "parameter")}
        if not isinstance(name, str) or type(num) is not int or any(type(v) is not bool for v in flags.values()):
            raise _Bad(f"the structure metadata has a malformed tensor node {_short(node)}")
        if name not in self.tensors:
            raise _Bad(f"the structure metadata references a tensor {name!r} that the file does not hold")
        if num in self.objects:
            seen_name, t = self.objects[num]
            if seen_name != name:
                raise _Bad(f"the structure metadata gives object {num} two tensors, {seen_name!r} and {name!r}")
            return t
        t = self.tensors[name]
        if name in self.used:  # another object viewing the same memory
            t = t.detach()
        self.used.add(name)
        try:
            if flags["parameter"]:
                t = Parameter(t, requires_grad=flags["requires_grad"])
            elif flags["requires_grad"]:
                t.requires_grad_(True)
        except RuntimeError as e:
            raise _Bad(f"tensor {name!r}: {e}") from None
        self.objects[num] = (name, t)
        return t


def _short(obj: Any) -> str:
    r = repr(obj)
    return r if len(r) <= 80 else r[:77] + "..."


# ----------------------------------------------------------------------------------- .npy / .npz
def _to_numpy_array(t: Any, what: str) -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(f"rt.save: {what} must be a tensor, got {type(t).__name__}")
    if t.dtype is _dtype.bfloat16:
        raise TypeError(
            f"rt.save: {what} is bfloat16, which the NumPy formats can't store; convert it or use safetensors"
        )
    return np.ascontiguousarray(t._data) if t._data.ndim else t._data.copy()


def _save_numpy(obj: Any, path: str) -> None:
    if path.lower().endswith(".npy"):
        arr = _to_numpy_array(obj, "a .npy file's content")
        with open(path, "wb") as fh:
            np.lib.format.write_array(fh, arr, allow_pickle=False)
        return
    if not isinstance(obj, dict):
        raise TypeError(f"rt.save: a .npz file holds a flat dict of tensors, got {type(obj).__name__}")
    arrays = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            raise TypeError(f"rt.save: .npz keys must be strings, got {type(k).__name__} {k!r}")
        arrays[k] = _to_numpy_array(v, f"entry {k!r} of a .npz file")
    # written like np.savez, without its keyword arguments that would clash with keys such as 'file'
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for k, arr in arrays.items():
            with zf.open(k + ".npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, arr, allow_pickle=False)


def _from_numpy_array(arr: np.ndarray, path: str, what: str) -> Tensor:
    native = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in "|=" else arr.dtype
    if native not in _dtype._FROM_NP or native.kind == "V":
        raise RuntimeError(
            f"rt.load: {path}: {what} has NumPy dtype {arr.dtype}, which rustytorch can't load "
            f"(supported: {', '.join(d.name for d in _dtype.ALL_DTYPES if d is not _dtype.bfloat16)})"
        )
    return _make(np.array(arr, dtype=native, order="C", copy=True))


def _load_numpy(path: str) -> Any:
    try:
        data = np.load(path, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as e:
        raise RuntimeError(f"rt.load: {path}: not a valid NumPy file ({e})") from None
    if isinstance(data, np.ndarray):
        return _from_numpy_array(data, path, "the array")
    with data:
        out = {}
        for k in data.files:
            try:
                arr = data[k]
            except Exception as e:
                raise RuntimeError(f"rt.load: {path}: entry {k!r} is not a valid NumPy array ({e})") from None
            out[k] = _from_numpy_array(arr, path, f"entry {k!r}")
        return out
