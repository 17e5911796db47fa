"""The Tensor: a NumPy view into a shared Storage, plus its autograd fields.

Elementwise maths lives in ``rustytorch.ops``; every op function is attached to
``Tensor`` as a method by ``ops._registry.register``. This module only holds what is
intrinsic to a tensor: layout queries, the Python protocol and autograd state.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype
from ._dtype import dtype as _DType
from ._location import user_location
from ._storage import UntypedStorage, data_ptr, flat_buffer

if TYPE_CHECKING:
    from ._tensor_methods import TensorMethods as _MethodsBase
    from .autograd.node import Node
else:
    _MethodsBase = object

__all__ = ["Tensor", "Size", "device", "is_tensor"]


class Size(tuple):  # type: ignore[type-arg]
    """The shape of a tensor: a tuple of ints, as ``torch.Size``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3).shape
    rustytorch.Size([2, 3])
    >>> rt.zeros(2, 3).shape.numel()
    6
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape has."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"rustytorch.Size({list(self)})"

    def __getitem__(self, key: Any) -> Any:
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other: Any) -> Size:
        return Size(tuple(self) + tuple(other))


class device:
    """A device; rustytorch runs on the CPU only, as ``torch.device('cpu')``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.device("cpu")
    device(type='cpu')
    """

    __slots__ = ("index", "type")
    type: str
    index: int | None

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            index = type.index
            type = type.type
        name, _, idx = str(type).partition(":")
        if name != "cpu":
            raise RuntimeError(f"rustytorch supports only the 'cpu' device, got {type!r}")
        self.type = "cpu"
        self.index = int(idx) if idx else index

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other in ("cpu", "cpu:0")
        return isinstance(other, device)

    def __hash__(self) -> int:
        return hash("cpu")


_CPU = device("cpu")
_new = object.__new__


class Tensor(_MethodsBase):
    """A multi-dimensional array with autograd support, as ``torch.Tensor``.

    A tensor is a strided view (``shape``, ``stride()``, ``storage_offset()``) into an
    ``UntypedStorage`` that its views share. Create tensors with ``rt.tensor``,
    ``rt.zeros``, ``rt.randn`` and friends rather than this constructor.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.T.stride(), x.T.is_contiguous()
    ((1, 2), False)
    """

    # Hot fields are slots, set by every constructor (``_make`` and the inlined copies on the hottest paths).
    # Rarely set fields are class-level defaults, stored in the instance ``__dict__`` only when set (torch
    # tensors have a ``__dict__`` too): a fresh tensor costs six attribute writes.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_base",  # Tensor | None: the tensor whose storage this view looks at
        "_data",  # np.ndarray: this tensor's elements, a view into the storage's buffer
        "_grad_fn",  # Node | None
        "_output_nr",  # which output of _grad_fn this tensor is
        "_requires_grad",
        "_storage",  # UntypedStorage | None (made on first need; views get their base's)
    )
    _grad: Tensor | None = None
    _grad_owned: bool = False  # True when .grad is a buffer the engine made and may update in place
    _acc_ref: Any = None  # weakref to this leaf's AccumulateGrad node
    _hooks: Any = None  # list of gradient hooks on a leaf
    _post_acc_hooks: Any = None
    _retains_grad: bool = False
    _name: str | None = None
    if TYPE_CHECKING:  # the slots' types, for type checkers (the slots are set outside methods, in _make & co.)
        _data: np.ndarray
        _storage: UntypedStorage
        _base: Any  # Tensor | None
        _requires_grad: bool
        _grad_fn: Node | None
        _output_nr: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        if args or kwargs:
            from .ops.creation import _tensor_ctor

            return _tensor_ctor(cls, *args, **kwargs)
        return _make(np.empty((0,), dtype=_dtype.get_default_dtype().np), cls=cls)

    # ------------------------------------------------------------------ layout
    @property
    def dtype(self) -> _DType:
        """The element type."""
        return _dtype._FROM_NP[self._data.dtype]

    @property
    def shape(self) -> Size:
        """The size of each dimension."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension ``dim``.

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.zeros(2, 3).size(-1)
        3
        """
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes taken by the elements this tensor views (not the whole storage)."""
        return self._data.size * self._data.itemsize

    def stride(self, dim: int | None = None) -> Any:
        """Strides in elements, as ``torch.Tensor.stride``.

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.zeros(2, 3).stride()
        (3, 1)
        """
        item = self._data.itemsize
        st = tuple(s // item for s in self._data.strides)
        if dim is None:
            return st
        return st[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        """Offset of the first element from the start of the storage, in elements."""
        buf = self._get_storage()._buf
        return (data_ptr(self._data) - data_ptr(buf)) // self._data.itemsize

    def data_ptr(self) -> int:
        """Address of the first element."""
        return data_ptr(self._data)

    def untyped_storage(self) -> UntypedStorage:
        """The storage shared by this tensor and its views."""
        return self._get_storage()

    def is_contiguous(self, memory_format: object = None) -> bool:
        """Whether the elements are laid out in row-major order without gaps.

        Sizes of 1 are ignored, as torch does.
        """
        a = self._data
        if a.flags.c_contiguous:
            return True
        expected = 1
        for n, s in zip(reversed(a.shape), reversed(a.strides), strict=True):
            if n == 0:
                return True
            if n != 1 and s != expected * a.itemsize:
                return False
            expected *= n
        return True

    @property
    def device(self) -> device:
        """Always the CPU."""
        return _CPU

    @property
    def is_cuda(self) -> bool:
        """Always False."""
        return False

    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "strided"

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating type."""
        return self._data.dtype.kind == "f" or self.dtype.is_floating_point

    def is_complex(self) -> bool:
        """Always False: complex dtypes are not supported."""
        return False

    def is_signed(self) -> bool:
        """Whether the dtype is signed."""
        return self.dtype.is_signed

    def get_device(self) -> int:
        """-1, the CPU, as torch."""
        return -1

    # ----------------------------------------------------------------- storage
    def _get_storage(self) -> UntypedStorage:
        s = self._storage
        if s is None:
            s = self._storage = UntypedStorage(flat_buffer(self._data))
        return s

    @property
    def _version(self) -> int:
        s = self._storage
        return 0 if s is None else s.version

    def _bump_version(self, op: str) -> None:
        """Record an in-place write: the version counter of the shared storage goes up."""
        s = self._get_storage()
        s.version += 1
        s.last_write = (op, user_location())

    def _is_view(self) -> bool:
        return self._base is not None

    # ---------------------------------------------------------------- autograd
    @property
    def requires_grad(self) -> bool:
        """Whether gradients are computed for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf, as ``torch.Tensor.requires_grad_``.

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.ones(2).requires_grad_().requires_grad
        True
        """
        requires_grad = bool(requires_grad)
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach()."
                )
            return self
        if requires_grad and not (self._data.dtype.kind == "f" or self.dtype.is_floating_point):
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self.dtype!r}")
        self._requires_grad = requires_grad
        return self

    @property
    def grad_fn(self) -> Node | None:
        """The node that created this tensor, or None for leaves and constants."""
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors not created by a recorded op (user-created or ``requires_grad=False``)."""
        return self._grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient of a leaf (or of a non-leaf after ``retain_grad()``)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {value.dtype!r} vs {self.dtype!r}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {list(value.shape)} vs {list(self.shape)}"
                )
        self._grad = value
        self._grad_owned = False

    @grad.deleter
    def grad(self) -> None:
        self._grad = None
        self._grad_owned = False

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf."""
        return self._retains_grad

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's elements but outside the graph (prefer ``detach()``)."""
        t = _make(self._data)
        t._storage = self._get_storage()
        t._base = self._base
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data
        self._storage = value._get_storage()
        self._base = value._base

    @property
    def name(self) -> str | None:
        return self._name

    def _grad_accumulator(self) -> Any:
        from .autograd.node import AccumulateGrad

        ref = self._acc_ref
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._acc_ref = weakref.ref(acc)
        return acc

    # ----------------------------------------------------------- Python protocol
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        n = self._data.size
        if n != 1:
            what = "no values" if n == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous (shape {list(self._data.shape)})")
        return bool(self._data.reshape(()))

    def _scalar(self, op: str) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"{op}: only one element tensors can be converted to Python scalars (got {self._data.size} elements)"
            )
        return self.item()

    def __float__(self) -> float:
        if self._requires_grad:  # torch warns here (not in item() or int())
            import warnings

            warnings.warn(
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                "Consider using tensor.detach() first.",
                UserWarning,
                stacklevel=2,
            )
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index (got {self.dtype!r} with "
                f"{self._data.size} elements)"
            )
        return int(self._data.reshape(()))

    def __complex__(self) -> complex:
        return complex(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to {type(self).__name__}.__format__")
        return str(self)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number.

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.tensor([2.5]).item()
        2.5
        """
        a = self._data
        if a.size != 1:
            raise RuntimeError(f"item: a Tensor with {a.size} elements cannot be converted to Scalar")
        if a.dtype.name == "bfloat16":
            return float(a.reshape(()).astype(np.float32))
        return a.reshape(()).item()

    def tolist(self) -> Any:
        """The elements as (nested) Python lists, as ``torch.Tensor.tolist``.

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.tensor([[1, 2], [3, 4]]).tolist()
        [[1, 2], [3, 4]]
        """
        a = self._data
        if a.dtype.kind == "V" or a.dtype.name == "bfloat16":
            a = a.astype(np.float32)
        return a.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A NumPy array sharing this tensor's memory, as ``torch.Tensor.numpy``.

        Refuses a tensor that requires grad (use ``detach().numpy()``) unless ``force=True``.

        Examples
        --------
        >>> import rustytorch as rt
        >>> x = rt.zeros(3)
        >>> a = x.numpy(); a[0] = 5; x[0].item()
        5.0
        """
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The elements as an ndarray (shared unless ``dtype`` differs or ``copy=True``), NumPy's protocol."""
        a = self.numpy()
        if dtype is not None and a.dtype != np.dtype(dtype):
            if copy is False:
                raise ValueError(f"Unable to avoid copy while creating an array as requested ({a.dtype} -> {dtype})")
            return a.astype(dtype)
        if copy:
            return a.copy()
        return a

    __array_ufunc__ = None  # NumPy defers to Tensor's reflected operators: ndarray + Tensor -> Tensor

    def _layout(self) -> tuple[UntypedStorage, int, tuple[int, ...], tuple[int, ...]] | None:
        """(storage, byte offset, shape, byte strides) of this view of its storage; None if it lies outside."""
        st = self._get_storage()
        a = self._data
        off = data_ptr(a) - st.data_ptr()
        lo = hi = off
        for n, s in zip(a.shape, a.strides, strict=True):
            if n == 0:
                return st, 0, a.shape, a.strides
            lo, hi = (lo + (n - 1) * s, hi) if s < 0 else (lo, hi + (n - 1) * s)
        if lo < 0 or hi + a.itemsize > st._buf.nbytes:
            return None
        return st, off, a.shape, a.strides

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # as torch: the storage is pickled once per pickle (views stay views of one memory block, with their
        # strides); dtype, shape and requires_grad round-trip; .grad and the graph do not
        lay = self._layout()
        if lay is None:
            return (_rebuild, (np.ascontiguousarray(self._data).copy(), self._requires_grad))
        st, off, shape, strides = lay
        return (_rebuild_view, (st, self.dtype, off, shape, strides, self._requires_grad, type(self)))

    def __copy__(self) -> Tensor:
        # as torch's copy.copy (through __reduce_ex__): a new leaf sharing the storage, requires_grad kept, no .grad
        t = _make(self._data, cls=type(self))
        t._storage = self._get_storage()
        t._base = self._base
        t._requires_grad = self._requires_grad
        return t

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
                "moment. If you were attempting to deepcopy a module, this may be because of a "
                "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]  # type: ignore[no-any-return]
        lay = self._layout()
        if lay is None:
            t = _make(self._data.copy(), cls=type(self))
        else:  # one copy of each storage per deepcopy call: views deep-copied together stay views of one block
            st, off, shape, strides = lay
            new_st = memo.get(id(st))
            if new_st is None:
                new_st = memo[id(st)] = UntypedStorage(st._buf.copy())
                memo.setdefault(id(memo), []).append(st)  # keep st alive while its id is a memo key
            t = _make(np.ndarray(shape, self._data.dtype, buffer=new_st._buf, offset=off, strides=strides),
                      cls=type(self))  # fmt: skip
            t._storage = new_st
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Register ``hook(grad)`` to run when this tensor's gradient is computed; it may return a replacement.

        Examples
        --------
        >>> import rustytorch as rt
        >>> x = rt.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 3).sum().backward(); x.grad
        tensor([30., 30.])
        """
        from .autograd.node import register_tensor_hook

        return register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """Register ``hook(tensor)`` to run after a leaf's ``.grad`` has been accumulated.

        Examples
        --------
        >>> import rustytorch as rt
        >>> x = rt.ones(2, requires_grad=True); seen = []
        >>> h = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.sum().item()))
        >>> (x * 3).sum().backward(); seen
        [6.0]
        """
        from .autograd.node import register_post_accumulate_hook

        return register_post_accumulate_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward.

        Examples
        --------
        >>> import rustytorch as rt
        >>> x = rt.ones(2, requires_grad=True); y = x * 2; y.retain_grad()
        >>> y.sum().backward(); y.grad
        tensor([1., 1.])
        """
        from .autograd.node import retain_grad

        retain_grad(self)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of graph leaves.

        Examples
        --------
        >>> import rustytorch as rt
        >>> x = rt.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward(); x.grad
        tensor([2., 4.])
        """
        from .autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's storage, outside the graph.

        Examples
        --------
        >>> import rustytorch as rt
        >>> x = rt.ones(2, requires_grad=True)
        >>> (x * 2).detach().requires_grad
        False
        """
        t = _new(Tensor)
        t._data = self._data
        t._storage = self._get_storage()
        t._base = self._base
        t._requires_grad = False
        t._grad_fn = None
        t._output_nr = 0
        return t

    def detach_(self) -> Tensor:
        """Make this tensor a leaf outside the graph, in place."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def cpu(self) -> Tensor:
        """This tensor: everything lives on the CPU."""
        return self

    def pin_memory(self) -> Tensor:
        """This tensor: pinning has no meaning on the CPU."""
        return self


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(data)
    if requires_grad:
        t.requires_grad_()
    return t


def _rebuild_view(
    storage: UntypedStorage, dt: _DType, offset: int, shape: tuple[int, ...], strides: tuple[int, ...],
    requires_grad: bool, cls: type = Tensor,
) -> Tensor:  # fmt: skip
    """Unpickle a tensor: a view (offset, shape, byte strides) of an unpickled storage shared by its views."""
    buf = storage._buf
    if not buf.flags.writeable:  # NumPy unpickles a read-only (e.g. expanded) block as read-only: own a copy
        buf = storage._buf = buf.copy()
    t = _make(np.ndarray(shape, dt.np, buffer=buf, offset=offset, strides=strides), cls=cls)
    t._storage = storage
    if requires_grad:
        t.requires_grad_()
    return t


def _make(data: np.ndarray, cls: type = Tensor) -> Tensor:
    """Wrap an ndarray that owns fresh memory as a new leaf tensor (the hot constructor)."""
    t: Any = _new(cls)
    t._data = data
    t._storage = None
    t._base = None
    t._requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    return t


def _make_view(base: Tensor, data: np.ndarray) -> Tensor:
    """Wrap ``data``, an ndarray viewing ``base``'s memory, as a view sharing base's storage."""
    t = _make(data)
    t._storage = base._get_storage()
    t._base = base._base if base._base is not None else base
    return t


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    """Normalise a possibly negative dimension; IndexError naming the valid range."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is a rustytorch Tensor.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.is_tensor(rt.zeros(1)), rt.is_tensor([1])
    (True, False)
    """
    return isinstance(obj, Tensor)
