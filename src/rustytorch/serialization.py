"""``rt.save`` / ``rt.load``: tensors and nested containers of tensors in the safetensors format.

Loading never executes code: a file holds a JSON header and raw tensor bytes (safetensors),
plus, for nested containers, a JSON description of the structure in the header's metadata.
A flat ``{name: tensor}`` dict (a state dict) is written as a plain safetensors file, so
other safetensors readers (PyTorch's included) see the same names. ``.npy`` and ``.npz``
paths use NumPy's formats (loaded with ``allow_pickle=False``).
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import numpy as np

from ._tensor import Tensor, _make

__all__ = ["save", "load"]

_FORMAT_KEY = "rustytorch.format"
_STRUCT_KEY = "rustytorch.structure"
_FORMAT = "rustytorch-1"


def _safetensors() -> Any:
    try:
        import safetensors.numpy as sn
    except ImportError:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "rt.save/rt.load write the safetensors format and need the optional 'safetensors' package: "
            "pip install 'rustytorch[serialization]'"
        ) from None
    return sn


def _describe(obj: Any) -> str:
    return type(obj).__name__


def _flatten(obj: Any, path: str, tensors: dict[str, np.ndarray], seen: dict[int, str], owners: list[tuple[str, Tensor]]) -> Any:
    """The JSON structure of ``obj``; tensors go into ``tensors`` under their dotted path."""
    if isinstance(obj, Tensor):
        key = seen.get(id(obj))
        if key is None:
            key = path or "tensor"
            if key in tensors:
                raise RuntimeError(f"rt.save: two entries map to the same name {key!r}; rename one of them")
            for other_key, other in owners:
                if np.may_share_memory(obj._data, other._data) and np.shares_memory(obj._data, other._data):
                    raise RuntimeError(
                        f"rt.save: the tensors {other_key!r} and {key!r} share memory (one is a view of the other). "
                        f"The safetensors format stores each tensor separately; save a .clone() of one of them, "
                        f"or save the same tensor object twice (that is stored once and shared on load)."
                    )
            tensors[key] = np.ascontiguousarray(obj.detach()._data)
            seen[id(obj)] = key
            owners.append((key, obj))
        leaf: dict[str, Any] = {"__tensor__": key}
        if obj.requires_grad:
            leaf["requires_grad"] = True
        if type(obj).__name__ == "Parameter":
            leaf["parameter"] = True
        return leaf
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"rt.save: dict keys must be strings, got {_describe(k)} key {k!r}")
            out[k] = _flatten(v, f"{path}.{k}" if path else k, tensors, seen, owners)
        return {"__dict__": out}
    if isinstance(obj, list | tuple):
        items = [_flatten(v, f"{path}.{i}" if path else str(i), tensors, seen, owners) for i, v in enumerate(obj)]
        return {"__list__": items} if isinstance(obj, list) else {"__tuple__": items}
    if obj is None or isinstance(obj, bool | int | float | str):
        return {"__value__": obj}
    if isinstance(obj, np.ndarray):
        return _flatten(_make(np.array(obj)), path, tensors, seen, owners)
    raise TypeError(
        f"rt.save: can't save an object of type {_describe(obj)} at {path or 'the top level'}: only tensors, "
        f"numbers, strings, None and dicts/lists/tuples of them are saved (safetensors never stores code)"
    )


def _is_flat_state_dict(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


def save(obj: Any, f: str | os.PathLike[str] | io.BufferedIOBase, **kwargs: Any) -> None:
    """Save a tensor, a state dict or nested dicts/lists of tensors in the safetensors format.

    ``.npy`` (one tensor) and ``.npz`` (a flat dict of tensors) paths are written with NumPy.
    Tensors that share memory without being the same object are refused with a clear error.

    Examples
    --------
    >>> import os, tempfile, rustytorch as rt
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> rt.save({"w": rt.ones(2), "step": 3}, path)
    >>> rt.load(path)
    {'w': tensor([1., 1.]), 'step': 3}
    """
    path = os.fspath(f) if isinstance(f, str | os.PathLike) else None
    if path is not None and path.endswith((".npy", ".npz")):
        _save_numpy(obj, path)
        return
    tensors: dict[str, np.ndarray] = {}
    structure = _flatten(obj, "", tensors, {}, [])
    metadata = {_FORMAT_KEY: _FORMAT}
    if not _is_flat_state_dict(obj) or any(
        leaf.get("requires_grad") or leaf.get("parameter") for leaf in structure["__dict__"].values()
    ):
        metadata[_STRUCT_KEY] = json.dumps(structure, allow_nan=True)
    sn = _safetensors()
    if path is not None:
        sn.save_file(tensors, path, metadata=metadata)
    else:
        f.write(sn.save(tensors, metadata=metadata))  # type: ignore[union-attr]


def load(f: str | os.PathLike[str] | io.BufferedIOBase, map_location: Any = None, *, weights_only: bool = True,
         **kwargs: Any) -> Any:
    """Load what ``rt.save`` wrote (or any safetensors file, as a ``{name: tensor}`` dict); never runs code.

    A truncated, corrupted or hostile file raises RuntimeError naming the file and the problem.

    Examples
    --------
    >>> import os, tempfile, rustytorch as rt
    >>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
    >>> rt.save([rt.tensor([1, 2]), {"b": rt.zeros(1)}], path)
    >>> rt.load(path)
    [tensor([1, 2]), {'b': tensor([0.])}]
    """
    path = os.fspath(f) if isinstance(f, str | os.PathLike) else None
    name = path if path is not None else getattr(f, "name", "<file object>")
    if path is not None and path.endswith((".npy", ".npz")):
        return _load_numpy(path)
    sn = _safetensors()
    try:
        if path is not None:
            if not os.path.exists(path):
                raise FileNotFoundError(f"rt.load: no such file: {path!r}")
            with open(path, "rb") as fh:
                raw = fh.read()
        else:
            raw = f.read()  # type: ignore[union-attr]
        arrays = sn.load(raw)
        metadata = _read_metadata(raw)
    except FileNotFoundError:
        raise
    except Exception as e:  # safetensors raises its own error class for bad headers
        raise RuntimeError(f"rt.load: {name}: not a valid safetensors file ({e})") from None
    tensors = {k: _make(np.array(v)) for k, v in arrays.items()}
    struct = metadata.get(_STRUCT_KEY) if metadata else None
    if struct is None:
        return tensors
    try:
        tree = json.loads(struct)
        return _unflatten(tree, tensors, {})
    except (ValueError, KeyError, TypeError) as e:
        raise RuntimeError(f"rt.load: {name}: the structure metadata is corrupted ({e})") from None


def _read_metadata(raw: bytes) -> dict[str, str]:
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    meta = header.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}


def _unflatten(node: Any, tensors: dict[str, Tensor], made: dict[str, Tensor]) -> Any:
    if not isinstance(node, dict) or len(node) == 0:
        raise ValueError(f"unexpected node {node!r}")
    if "__tensor__" in node:
        key = node["__tensor__"]
        if key in made:
            return made[key]
        if key not in tensors:
            raise KeyError(f"the structure names a tensor {key!r} that the file does not hold")
        t = tensors[key]
        if node.get("parameter"):
            from .nn.parameter import Parameter

            t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
        elif node.get("requires_grad"):
            t.requires_grad_(True)
        made[key] = t
        return t
    if "__dict__" in node:
        return {k: _unflatten(v, tensors, made) for k, v in node["__dict__"].items()}
    if "__list__" in node:
        return [_unflatten(v, tensors, made) for v in node["__list__"]]
    if "__tuple__" in node:
        return tuple(_unflatten(v, tensors, made) for v in node["__tuple__"])
    if "__value__" in node:
        return node["__value__"]
    raise ValueError(f"unexpected node keys {sorted(node)}")


def _save_numpy(obj: Any, path: str) -> None:
    if path.endswith(".npy"):
        if not isinstance(obj, Tensor):
            raise TypeError(f"rt.save: a .npy file holds one tensor, got {_describe(obj)}")
        np.save(path, obj.detach()._data, allow_pickle=False)
        return
    if not isinstance(obj, dict) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise TypeError("rt.save: a .npz file holds a flat dict of tensors")
    np.savez(path, **{k: v.detach()._data for k, v in obj.items()})


def _load_numpy(path: str) -> Any:
    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as e:
        raise RuntimeError(f"rt.load: {path}: not a valid NumPy file ({e})") from None
    if isinstance(data, np.ndarray):
        return _make(data)
    with data:
        return {k: _make(data[k]) for k in data.files}
