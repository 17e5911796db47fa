"""The dtype-conversion and state-dict half of ``Module`` (``to``, ``float``, ``state_dict``, ``load_state_dict``).

Kept apart from ``module.py`` only for size; ``Module`` inherits it. Behaviour follows
``torch.nn.Module``, except that ``load_state_dict`` is all-or-nothing.
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .parameter import Parameter

if TYPE_CHECKING:
    from .module import Module

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"
_M = TypeVar("_M", bound="_StateMixin")


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _StateMixin:
    """Conversions and state dicts of ``Module`` (see ``rustytorch.nn.Module``)."""

    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]
    _non_persistent_buffers_set: set[str]
    _version: int = 1

    if TYPE_CHECKING:

        def children(self) -> Iterator[Module]: ...  # provided by Module

    def get_extra_state(self) -> Any:
        """Extra state for ``state_dict`` under ``'_extra_state'``; override it with ``set_extra_state``."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. Please file an issue "
            "at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug."
        )

    def set_extra_state(self, state: Any) -> None:
        """Restore what ``get_extra_state`` returned; override both to use extra state."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. Please file an issue "
            "at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug."
        )

    # -------------------------------------------------------------------- conversion
    def _apply(self: _M, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> _M:
        """Apply ``fn`` to every parameter, gradient and buffer, as torch's ``Module._apply``.

        Parameters keep their identity (their data is replaced, as torch's ``param.data = ...``), so
        optimizers and tied weights still see them; gradients are converted the same way.
        """
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                applied = fn(param)
            if applied is not param:
                param.data = applied
            grad = param.grad
            if grad is not None:
                with no_grad():
                    grad_applied = fn(grad)
                if grad_applied is not grad:
                    grad.data = grad_applied
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def to(self: _M, *args: Any, **kwargs: Any) -> _M:
        """Cast floating-point parameters and buffers to a dtype; ``device`` may only be the CPU.

        Called as ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` or with
        ``device=``/``dtype=``/``non_blocking=``/``memory_format=`` keywords, as torch. Integer
        and bool tensors keep their dtype; parameters stay the same ``Parameter`` objects.

        Examples
        --------
        >>> import rustytorch as rt
        >>> m = rt.nn.Module(); m.w = rt.nn.Parameter(rt.ones(1)); m.register_buffer("n", rt.tensor(1))
        >>> _ = m.to(rt.float64); m.w.dtype, m.n.dtype
        (rustytorch.float64, rustytorch.int64)
        """
        from ..ops.conversion import _parse_to

        dtype = _parse_to(args, dict(kwargs))
        if dtype is None:
            return self
        if not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype!r}"
            )
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def type(self: _M, dst_type: Any) -> _M:
        """Cast every parameter and buffer (integer ones too) to ``dst_type``."""
        return self._apply(lambda t: t.to(dst_type))

    def float(self: _M) -> _M:
        """Cast floating-point parameters and buffers to float32."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)  # type: ignore[attr-defined]

    def double(self: _M) -> _M:
        """Cast floating-point parameters and buffers to float64."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)  # type: ignore[attr-defined]

    def half(self: _M) -> _M:
        """Cast floating-point parameters and buffers to float16."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)  # type: ignore[attr-defined]

    def bfloat16(self: _M) -> _M:
        """Cast floating-point parameters and buffers to bfloat16."""
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)  # type: ignore[attr-defined]

    def cpu(self: _M) -> _M:
        """This module: everything lives on the CPU."""
        return self

    # -------------------------------------------------------------------- state dicts
    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if type(self).get_extra_state is not _StateMixin.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False) -> Any:
        """Parameters and persistent buffers by dotted name, detached unless ``keep_vars=True``.

        Tensors in the result share memory with the module's. ``prefix`` is prepended to every key;
        ``destination`` (a dict) is filled and returned instead of a new ``OrderedDict``.

        Examples
        --------
        >>> import rustytorch as rt
        >>> net = rt.nn.Sequential(rt.nn.Module()); net[0].w = rt.nn.Parameter(rt.zeros(1))
        >>> dict(net.state_dict(prefix="net."))
        {'net.0.w': tensor([0.])}
        """
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict for details.",
                FutureWarning,
                stacklevel=2,
            )
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Check this module's entries of ``state_dict``, as torch's method of the same name.

        The writes are not done here but queued in ``local_metadata["_rt_pending"]`` (when present)
        so that ``load_state_dict`` performs them only when no module reported an error.
        """
        pending: list[Callable[[], None]] = local_metadata.get("_rt_pending", [])
        immediate = "_rt_pending" not in local_metadata
        assign = local_metadata.get("assign_to_params_buffers", False)
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(), persistent.items()) if v is not None}
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected rustytorch.Tensor or Tensor-like object '
                    f"from checkpoint but received {type(input_param)}"
                )
                continue
            if param.ndim == 0 and input_param.shape == (1,):
                input_param = input_param.reshape(())  # type: ignore[attr-defined]
            if input_param.shape != param.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {input_param.shape} from checkpoint, "
                    f"the shape in current model is {param.shape}."
                )
                continue
            pending.append(self._loader(name, param, input_param, assign))
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if type(self).set_extra_state is not _StateMixin.set_extra_state:
            if extra_key in state_dict:
                value = state_dict[extra_key]
                pending.append(lambda: self.set_extra_state(value))
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    input_name = key[len(prefix) :].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)
        if immediate:
            for write in pending:
                write()

    def _loader(self, name: str, param: Tensor, input_param: Tensor, assign: bool) -> Callable[[], None]:
        def write() -> None:
            with no_grad():
                if not assign:
                    param.copy_(input_param)  # type: ignore[attr-defined]
                elif isinstance(param, Parameter):
                    if isinstance(input_param, Parameter):
                        setattr(self, name, input_param.requires_grad_(param.requires_grad))
                    else:
                        setattr(self, name, Parameter(input_param, requires_grad=param.requires_grad))
                else:
                    setattr(self, name, input_param)

        return write

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copy ``state_dict``'s tensors into the parameters and buffers with the same dotted names.

        All-or-nothing (unlike torch, which writes the matching entries before raising): when a key
        is missing or unexpected (with ``strict=True``), a value is not a tensor or a shape differs,
        nothing is written and a RuntimeError lists every problem, with torch's messages.
        With ``strict=False`` the missing and unexpected keys are returned instead. Values are
        copied (and cast to the parameter's dtype); ``assign=True`` puts the given tensors in place.

        Examples
        --------
        >>> import rustytorch as rt
        >>> m = rt.nn.Module(); m.w = rt.nn.Parameter(rt.zeros(2))
        >>> m.load_state_dict({"w": rt.tensor([1.0, 2.0])})
        <All keys matched successfully>
        >>> m.load_state_dict({"w": rt.ones(2), "v": rt.ones(1)}, strict=False)
        _IncompatibleKeys(missing_keys=[], unexpected_keys=['v'])
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        pending: list[Callable[[], None]] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module: _StateMixin, local_state_dict: dict[str, Any], prefix: str = "") -> None:
            local_metadata = dict({} if metadata is None else metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            local_metadata["_rt_pending"] = pending
            module._load_from_state_dict(
                local_state_dict, prefix, local_metadata, True, missing_keys, unexpected_keys, error_msgs
            )
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state_dict = {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)}
                    load(child, child_state_dict, child_prefix)

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(
                    0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected_keys))
                )
            if missing_keys:
                error_msgs.insert(
                    0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing_keys))
                )
        if error_msgs:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(self.__class__.__name__, "\n\t".join(error_msgs))
            )
        for write in pending:
            write()
        return _IncompatibleKeys(missing_keys, unexpected_keys)
