"""SGD, Adam, AdamW, RMSprop and Adagrad with torch's update rules (single-tensor, non-foreach forms)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._location import user_location
from .optimizer import Optimizer, required

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


_FLAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check(name: str, value: float, low: float = 0.0) -> None:
    if not value >= low:
        raise ValueError(f"Invalid {name}: {value}")


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay, as ``torch.optim.SGD``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.Parameter(rt.tensor([1.0]))
    >>> opt = rt.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)
    0.46
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr is not required:
            _check("learning rate", lr)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * g


class Adam(Optimizer):
    """Adam (and AMSGrad), as ``torch.optim.Adam``; ``weight_decay`` is L2 added to the gradient.

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.Parameter(rt.tensor([1.0]))
    >>> opt = rt.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 4)
    0.9
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        _check("weight_decay value", weight_decay)
        self._flat: dict[int, tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]] = {}
        super().__init__(
            params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
        )

    def _step_group(self, group: dict[str, Any]) -> None:
        if not self._step_flat(group):
            super()._step_group(group)

    def _step_flat(self, group: dict[str, Any]) -> bool:
        """The group's update on flat arrays: the moments of all parameters live in two flat buffers (each
        parameter's state holds views of them), so that every elementwise step is one NumPy call for the
        whole group instead of one per parameter; the arithmetic is ``_update``'s, element by element.

        Only for the common case (False otherwise, and the caller updates parameter by parameter): every
        parameter has a gradient, one float dtype, no AMSGrad, and equal step counts."""
        params = group["params"]
        if group["amsgrad"] or len(params) < 2:
            return False
        dt = params[0]._data.dtype
        if dt not in _FLAT_DTYPES:
            return False
        for p in params:
            if p._grad is None or p._data.dtype != dt or p._grad._data.dtype != dt:
                return False
        flat = self._flat_state(params, dt)
        if flat is None:
            return False
        m, v = flat
        states = [self.state[p] for p in params]
        step = states[0]["step"] + 1
        if any(st["step"] + 1 != step for st in states):  # a parameter skipped a step (no gradient then)
            return False
        for st in states:
            st["step"] = step
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        g = np.concatenate([p._grad._data.reshape(-1) for p in params])
        if group["maximize"]:
            np.negative(g, out=g)
        if wd != 0:
            if self._decoupled:
                for p in params:
                    p._data *= 1 - lr * wd
            else:
                g = g + wd * np.concatenate([p._data.reshape(-1) for p in params])
        step_size, sqrt_bias2 = _adam_moments(m, v, g, beta1, beta2, step, lr)
        denom = np.sqrt(v) / sqrt_bias2 + eps
        upd = step_size * (m / denom)
        o = 0
        write = (type(self).__name__ + ".step", user_location())  # what _bump_version records, found once
        for p in params:
            a = p._data
            n = a.size
            a -= upd[o : o + n].reshape(a.shape)
            o += n
            storage = p._get_storage()
            storage.version += 1
            storage.last_write = write
        return True

    def _flat_state(self, params: list[Any], dt: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray] | None:
        """The flat moment buffers of ``params`` (made, or rebuilt from per-parameter state, when needed)."""
        states = [self.state[p] for p in params]
        cached = self._flat.get(id(params))
        if cached is not None:
            m, v, keys = cached
            pairs = zip(states, keys, strict=True)
            if all(st.get("exp_avg") is km and st.get("exp_avg_sq") is kv for st, (km, kv) in pairs):
                return m, v
        if any(states):  # state from a per-parameter step or a loaded state dict
            if not all(states) or len({st["step"] for st in states}) != 1:
                return None
            for st, p in zip(states, params, strict=True):
                for k in ("exp_avg", "exp_avg_sq"):
                    a = st.get(k)
                    if not isinstance(a, np.ndarray) or a.shape != p._data.shape or a.dtype != dt:
                        return None
            m = np.concatenate([st["exp_avg"].reshape(-1) for st in states])
            v = np.concatenate([st["exp_avg_sq"].reshape(-1) for st in states])
        else:
            n = sum(p._data.size for p in params)
            m, v = np.zeros(n, dtype=dt), np.zeros(n, dtype=dt)
            for st in states:
                st["step"] = 0
        keys = []
        o = 0
        for st, p in zip(states, params, strict=True):
            n = p._data.size
            st["exp_avg"] = m[o : o + n].reshape(p._data.shape)
            st["exp_avg_sq"] = v[o : o + n].reshape(p._data.shape)
            keys.append((st["exp_avg"], st["exp_avg_sq"]))
            o += n
        self._flat[id(params)] = (m, v, keys)
        return m, v

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = -grad if group["maximize"] else grad
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        if wd != 0:
            if self._decoupled:
                param *= 1 - lr * wd
            else:
                g = g + wd * param
        m, v = state["exp_avg"], state["exp_avg_sq"]
        step_size, sqrt_bias2 = _adam_moments(m, v, g, beta1, beta2, step, lr)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            denom = np.sqrt(vmax) / sqrt_bias2 + eps
        else:
            denom = np.sqrt(v) / sqrt_bias2 + eps
        param -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW`` (default ``weight_decay=0.01``).

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.Parameter(rt.tensor([1.0]))
    >>> opt = rt.optim.AdamW([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 4)
    0.899
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    """RMSprop with optional momentum and centering, as ``torch.optim.RMSprop``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.Parameter(rt.tensor([1.0]))
    >>> opt = rt.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 4)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        _check("alpha value", alpha)
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        alpha = group["alpha"]
        sq = state["square_avg"]
        sq *= alpha
        sq += (1 - alpha) * g * g
        if group["centered"]:
            ga = state["grad_avg"]
            ga += (1 - alpha) * (g - ga)
            avg = np.sqrt(sq - ga * ga) + group["eps"]
        else:
            avg = np.sqrt(sq) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (g / avg)


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay, as ``torch.optim.Adagrad``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.Parameter(rt.tensor([1.0]))
    >>> opt = rt.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 4)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        _check("learning rate", lr)
        _check("lr_decay value", lr_decay)
        _check("weight_decay value", weight_decay)
        _check("initial_accumulator_value value", initial_accumulator_value)
        _check("epsilon value", eps)
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        param -= clr * (g / (np.sqrt(s) + group["eps"]))


def _adam_moments(
    m: np.ndarray, v: np.ndarray, g: np.ndarray, beta1: float, beta2: float, step: int, lr: float
) -> tuple[float, Any]:
    """Update Adam's moments in place; returns the step size ``lr / (1 - beta1^t)`` and ``sqrt(1 - beta2^t)``."""
    m += (1 - beta1) * (g - m)  # torch: exp_avg.lerp_(grad, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    return lr / (1 - beta1**step), np.sqrt(1 - beta2**step)
