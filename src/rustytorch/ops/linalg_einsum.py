"""``einsum`` and ``tensordot``.

The public function parses torch's equation (ellipsis, implicit output, size-1 broadcasting of
labelled dimensions, sublist format) into a *canonical* equation: explicit letters only, an
explicit output, and no size-1 broadcasting (a size-1 labelled dimension that broadcasts is
dropped from its operand with a differentiable reshape). ``Einsum`` then runs ``np.einsum`` and
its backward is one einsum per operand with the subscripts rearranged.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ._registry import Op, register

__all__ = ["einsum", "tensordot"]

_LETTERS = string.ascii_uppercase + string.ascii_lowercase
_LETTER_SET = frozenset(_LETTERS)
_OPT_FLOPS = 1 << 15  # above this many multiply-adds, let NumPy pick a contraction path (BLAS)


def _flops(terms: list[str], sizes: dict[str, int]) -> int:
    n = 1
    for c in set("".join(terms)):
        n *= sizes[c]
    return n


class Einsum(Op):
    """An einsum over a canonical equation (explicit letters and output, no broadcasting)."""

    @staticmethod
    def forward(ctx: Any, *ops: Any, terms: tuple[str, ...], out: str, sizes: dict[str, int]) -> np.ndarray:
        arrays = [t._data for t in ops]
        dt = arrays[0].dtype
        half = (dt.kind == "f" and dt.itemsize == 2) or dt.name == "bfloat16"
        if half:  # accumulate in float32, as torch
            arrays = [a.astype(np.float32) for a in arrays]
        eq = ",".join(terms) + "->" + out
        opt = len(arrays) > 2 or _flops(list(terms), sizes) > _OPT_FLOPS
        r = np.einsum(eq, *arrays, optimize=opt)
        r = r if r.__class__ is np.ndarray else np.asarray(r)
        if half:
            r = r.astype(dt)
        elif r.size and any(np.may_share_memory(r, a) for a in arrays):
            r = r.copy()  # einsum returns views for pure relabellings such as 'ij->ji' or 'ii->i'
        if ctx is not None:
            ctx.save_for_backward(*ops)
            ctx.eq = (terms, out, sizes)
        return r

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:  # g_i = einsum(g, other operands -> s_i)
        ops = ctx.saved_tensors
        terms, out, sizes = ctx.eq
        used = set("".join(terms)) | set(out)
        fresh = [c for c in _LETTERS if c not in used]
        grads: list[Any] = []
        for i, s in enumerate(terms):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            in_terms = [out] + [t for j, t in enumerate(terms) if j != i]
            operands: list[Tensor] = [grad] + [o for j, o in enumerate(ops) if j != i]
            avail = set("".join(in_terms))
            dt = grad._data.dtype
            missing = "".join(dict.fromkeys(c for c in s if c not in avail))
            if missing:  # summed over in operand i only: the gradient is constant along these letters
                in_terms.append(missing)
                operands.append(_make(np.ones(tuple(sizes[c] for c in missing), dtype=dt)))
            res: list[str] = []
            seen: set[str] = set()
            k = 0
            for c in s:
                if c in seen:  # repeated letter (a diagonal): place the gradient on the diagonal with an identity
                    f = fresh[k]
                    k += 1
                    in_terms.append(c + f)
                    operands.append(_make(np.eye(sizes[c], dtype=dt)))
                    res.append(f)
                else:
                    seen.add(c)
                    res.append(c)
            sz = dict(sizes)
            for f, c in zip(fresh[:k], (t[0] for t in in_terms[len(in_terms) - k :]), strict=True):
                sz[f] = sizes[c]
            grads.append(Einsum.apply(*operands, terms=tuple(in_terms), out="".join(res), sizes=sz))
        return tuple(grads)


def _parse_sublist(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """torch's sublist format ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` -> equation and operands."""

    def sub(lst: Any) -> str:
        out = []
        for n in lst:
            if n is Ellipsis:
                out.append("...")
            elif isinstance(n, int) and 0 <= n < 52:
                out.append(_LETTERS[n])
            else:
                raise ValueError(f"einsum(): expected subscript to be within the range [0, 52), but got {n}")
        return "".join(out)

    has_out = len(args) % 2 == 1
    body = args[:-1] if has_out else args
    operands = list(body[0::2])
    eq = ",".join(sub(s) for s in body[1::2])
    if has_out:
        eq += "->" + sub(args[-1])
    return eq, operands


def _split_term(term: str, k: int) -> tuple[list[str], bool]:
    letters: list[str] = []
    ell = False
    i = 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i : i + 3] != "..." or ell:
                where = f"operand {k}" if k >= 0 else "the output"
                raise RuntimeError(f"einsum(): found '.' for {where} that is not part of any ellipsis")
            ell = True
            letters.append("...")
            i += 3
            continue
        if c not in _LETTER_SET:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, subscripts must be in "
                f"[a-zA-Z] (got {c!r} in {term!r})"
            )
        letters.append(c)
        i += 1
    return letters, ell


@register(method=False)
def einsum(*args: Any) -> Tensor:
    """Sum of products over the indices of an equation, as ``torch.einsum``.

    Called as ``einsum(equation, *operands)``, ``einsum(equation, [operands])`` or in the sublist
    format ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``. Supports ``...``, the implicit output
    (letters appearing once, sorted), repeated letters (diagonals) and size-1 broadcasting.
    All operands must share one dtype.

    Examples
    --------
    >>> import rustytorch as rt
    >>> a = rt.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> rt.einsum("ij,j->i", a, rt.tensor([1.0, 1.0])), rt.einsum("ii", a)
    (tensor([3., 7.]), tensor(5.))
    >>> rt.einsum("...ij->...ji", rt.ones(2, 3, 4)).shape
    rustytorch.Size([2, 4, 3])
    """
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand")
    if isinstance(args[0], str):
        eq = args[0]
        operands = list(args[1][:]) if len(args) == 2 and isinstance(args[1], list | tuple) else list(args[1:])
    else:
        eq, operands = _parse_sublist(args)
    for k, o in enumerate(operands):
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): operand {k} must be a Tensor, not {type(o).__name__}")
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    raw = lhs.split(",")
    if len(raw) > len(operands):
        raise RuntimeError(f"einsum(): fewer operands were provided than specified in the equation {eq!r}")
    if len(raw) < len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation {eq!r}")
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    dt = operands[0]._data.dtype
    for k, o in enumerate(operands):
        if o._data.dtype != dt:
            raise RuntimeError(
                f"einsum(): operands must have the same dtype, but operand 0 is {operands[0].dtype.name} and operand "
                f"{k} is {o.dtype.name}"
            )
    parsed = [_split_term(t, k) for k, t in enumerate(raw)]
    # ellipsis dimensions: right-aligned, broadcast across operands
    ell_shapes = []
    for k, ((letters, has_ell), o) in enumerate(zip(parsed, operands, strict=True)):
        nl = len(letters) - has_ell
        nd = o._data.ndim
        if (nl != nd and not has_ell) or nl > nd:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nl}) does not match the number of dimensions "
                f"({nd}) for operand {k}{' and no ellipsis was given' if not has_ell else ''}"
            )
        if has_ell:
            i = letters.index("...")
            ell_shapes.append(o._data.shape[i : i + nd - nl])
    try:
        ell_shape = np.broadcast_shapes(*ell_shapes) if ell_shapes else ()
    except ValueError:
        raise RuntimeError(
            f"einsum(): the ellipsis dimensions {[list(s) for s in ell_shapes]} do not broadcast"
        ) from None
    used = set(lhs) | set(rhs)
    spare = [c for c in _LETTERS if c not in used]
    ell = "".join(spare[: len(ell_shape)])
    terms: list[str] = []
    sizes: dict[str, int] = {}
    for k, ((letters, has_ell), o) in enumerate(zip(parsed, operands, strict=True)):
        shape = o._data.shape
        nl = len(letters) - has_ell
        full: list[str] = []
        for c in letters:
            full.extend(ell[len(ell) - (len(shape) - nl) :] if c == "..." else c)
        term = "".join(full)
        own: dict[str, int] = {}
        for c, n in zip(term, shape, strict=True):
            if c in own and own[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, {n} != {own[c]}"
                )
            own[c] = n
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = n
            elif n not in (1, prev):
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast with previously "
                    f"seen size {prev}"
                )
        terms.append(term)
    if arrow:
        out_letters, _ = _split_term(rhs, -1)  # without '...' in the output the ellipsis dims are summed
        out = "".join(ell if c == "..." else c for c in out_letters)
        counts: dict[str, int] = {}
        for c in out:
            counts[c] = counts.get(c, 0) + 1
            if counts[c] > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if c not in sizes:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any input operand"
                )
    else:
        once = [c for c in set("".join(terms)) if c not in ell and "".join(raw).count(c) == 1]
        out = ell + "".join(sorted(once))
    # drop size-1 labelled dimensions that broadcast against a bigger size
    final_ops: list[Tensor] = []
    final_terms: list[str] = []
    for term, o in zip(terms, operands, strict=True):
        shape = o._data.shape
        keep = [i for i, (c, n) in enumerate(zip(term, shape, strict=True)) if not (n == 1 and sizes[c] != 1)]
        if len(keep) != len(term):
            o = o.reshape(tuple(shape[i] for i in keep))
            term = "".join(term[i] for i in keep)
        final_ops.append(o)
        final_terms.append(term)
    return Einsum.apply(*final_ops, terms=tuple(final_terms), out=out, sizes=sizes)  # type: ignore[no-any-return]


def _dims_list(x: Any) -> list[int]:
    if isinstance(x, Tensor):
        x = x.tolist()
    if isinstance(x, int | np.integer):
        return [int(x)]
    return [int(v) for v in x]


@register(method=False)
def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Tensor | None = None) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b``, or the listed pairs.

    ``dims`` is an int, a pair of int lists ``([dims_a], [dims_b])`` (or a pair of ints) or a
    tensor holding either, as ``torch.tensordot``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensordot(rt.ones(2, 3, 4), rt.ones(3, 4, 5)).shape
    rustytorch.Size([2, 5])
    >>> rt.tensordot(rt.tensor([[1.0, 2.0]]), rt.tensor([[3.0], [4.0]]), dims=([1], [0]))
    tensor([[11.]])
    """
    from .._tensor import _wrap_dim

    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"tensordot(): arguments must be Tensors, got {type(a).__name__} and {type(b).__name__}")
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor) and dims.ndim == 0:
        dims = int(dims.item())
    if isinstance(dims, int | np.integer) and not isinstance(dims, bool):
        d = int(dims)
        if d < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={d}")
        if d > na or d > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={d} (ndims {na} and {nb})")
        da, db = list(range(na - d, na)), list(range(d))
    else:
        try:
            pa, pb = dims
        except (TypeError, ValueError):
            raise TypeError(f"tensordot(): dims must be an int or a pair of lists of ints, got {dims!r}") from None
        if isinstance(pa, int | np.integer) or isinstance(pb, int | np.integer):  # as torch: lists, not ints
            raise TypeError(
                f"tensordot(): argument 'dims' must be a pair of lists of ints, not a pair of ints {dims!r}"
            )
        da = [_wrap_dim(v, na, "tensordot") for v in _dims_list(pa)]
        db = [_wrap_dim(v, nb, "tensordot") for v in _dims_list(pb)]
    if len(da) != len(db):
        raise RuntimeError(f"tensordot: both dimension lists should have same length, got {da} and {db}")
    for dl in (da, db):
        if len(set(dl)) != len(dl):
            raise RuntimeError(f"tensordot: dim {dl} appears multiple times in the list of dims")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"tensordot: both inputs should have same dtype, got {a.dtype.name} and {b.dtype.name}")
    sa, sb = a._data.shape, b._data.shape
    for i, j in zip(da, db, strict=True):
        if sa[i] != sb[j]:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has size {sa[i]} in dim {i} and second "
                f"has size {sb[j]} in dim {j} (shapes {list(sa)} and {list(sb)})"
            )
    ta = list(_LETTERS[:na])
    tb = list(_LETTERS[na : na + nb])
    for i, j in zip(da, db, strict=True):
        tb[j] = ta[i]
    sizes = dict(zip(ta, sa, strict=True))
    sizes.update(dict(zip(tb, sb, strict=True)))
    res = "".join(c for i, c in enumerate(ta) if i not in da) + "".join(c for j, c in enumerate(tb) if j not in db)
    r = Einsum.apply(a, b, terms=("".join(ta), "".join(tb)), out=res, sizes=sizes)
    if out is not None:
        from .linalg import write_out

        return write_out(out, r, "tensordot")
    return r  # type: ignore[no-any-return]
