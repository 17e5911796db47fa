"""Op table rows: ``rustytorch.nn.functional`` (compared with ``torch.nn.functional``).

Samples whose arrays all have at most 24 elements are gradchecked (and gradgradchecked), so
each row has a few tiny samples next to its larger ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import rustytorch as rt

from ._base import ErrorSample, OpInfo, Sample, make

F = rt.nn.functional


def _tf(name: str) -> Any:
    """``torch.nn.functional.<name>``, resolved when called (torch is imported lazily by the tests)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        import torch

        return getattr(torch.nn.functional, name)(*args, **kwargs)

    call.__name__ = name
    return call


def _m(dtype: Any, rng: np.random.Generator, low: float = -2, high: float = 2) -> Any:
    return lambda *s: make(s, dtype, rng, low, high)


def _err(args: tuple[Any, ...], exc: type[BaseException], match: str, **kw: Any) -> ErrorSample:
    return ErrorSample(Sample(args, kw), exc, match)


f32 = np.float32
i64 = np.int64


def _row(name: str, samples: Any, **kw: Any) -> OpInfo:
    kw.setdefault("method", False)
    return OpInfo(f"nn.functional.{name}", samples, op=getattr(F, name), torch_op=_tf(name), **kw)


# ------------------------------------------------------------------------------------------ layers
def _linear(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(2, 3), m(4, 3), m(4)), name="2-D"),
        Sample((m(3), m(2, 3)), name="1-D input, no bias"),
        Sample((m(2, 2, 3), m(2, 3), m(2)), name="3-D input"),
        Sample((m(0, 3), m(4, 3), m(4)), name="empty batch"),
        Sample((m(5, 8), m(6, 8), m(6)), name="larger"),
    ]


def _conv2d(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(1, 2, 3, 3), m(2, 2, 2, 2), m(2)), name="basic"),
        Sample((m(1, 1, 4, 4), m(2, 1, 2, 2)), {"stride": 2, "padding": 1}, name="stride+pad, no bias"),
        Sample((m(2, 1, 3, 4), m(1, 1, 2, 2)), {"dilation": (1, 2)}, name="dilation"),
        Sample((m(1, 2, 3, 3), m(2, 1, 3, 3)), {"groups": 2, "padding": "same"}, name="groups, same"),
        Sample((m(3, 3, 2), m(2, 3, 2, 2), None), {"padding": "valid"}, name="unbatched"),
        Sample((m(2, 4, 7, 6), m(6, 2, 3, 2), m(6)), {"stride": (2, 1), "padding": (1, 2), "groups": 2}, name="big"),
    ]


def _conv1d(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(1, 2, 5), m(3, 2, 2), m(3)), name="basic"),
        Sample((m(2, 1, 6), m(2, 1, 3)), {"stride": 2, "padding": 1, "dilation": 2}, name="stride+pad+dilation"),
        Sample((m(2, 5), m(2, 2, 3)), {"padding": "same"}, name="unbatched same"),
        Sample((m(3, 4, 9), m(6, 2, 3), m(6)), {"groups": 2}, name="groups"),
    ]


def _unfold(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(1, 2, 3, 3), 2), name="basic"),
        Sample((m(1, 1, 4, 5), (2, 3)), {"padding": 1, "stride": (2, 1)}, name="pad+stride"),
        Sample((m(2, 4, 4), 2), {"dilation": 2}, name="unbatched dilation"),
    ]


def _fold(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(1, 4, 4), (3, 3), 2), name="basic"),
        Sample((m(1, 2, 6), (3, 4), (2, 1)), {"stride": (1, 2), "padding": (0, 1)}, name="pad+stride"),
        Sample((m(8, 4), (3, 3), 2), name="unbatched"),
    ]


def _pool(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(1, 2, 4, 4), 2), name="2x2"),
        Sample((m(1, 1, 5, 4), 3), {"stride": 2, "padding": 1}, name="overlapping, padded"),
        Sample((m(2, 3, 4), (2, 1)), {"stride": 1}, name="unbatched rectangular"),
        Sample((m(2, 3, 8, 7), 3, 2), name="big"),
    ]


def _max_pool(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        *_pool(dtype, rng),
        Sample((m(1, 1, 5, 5), 2), {"dilation": 2, "stride": 1}, name="dilation"),
        Sample((m(1, 2, 4, 4), 2), {"return_indices": True}, name="indices"),
    ]


def _avg_pool(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        *_pool(dtype, rng),
        Sample((m(1, 1, 5, 5), 3), {"padding": 1, "stride": 2, "count_include_pad": False}, name="no pad count"),
        Sample((m(1, 1, 4, 4), 2), {"divisor_override": 3}, name="divisor"),
    ]


def _adaptive(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(1, 2, 4, 4), 2), name="divisible"),
        Sample((m(1, 1, 5, 3), (3, 2)), name="uneven windows"),
        Sample((m(2, 5, 4), (None, 3)), name="unbatched, None"),
        Sample((m(2, 3, 7, 9), 1), name="global"),
    ]


def _batch_norm(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    var = lambda *s: make(s, dtype, rng, 0.5, 2)  # noqa: E731
    g = (0, 3, 4)
    return [
        Sample((m(4, 3), m(3), var(3), m(3), m(3), True), name="train 2-D", grad_args=g),
        Sample((m(3, 2, 3), None, None, None, None, True), name="train 3-D no stats", grad_args=(0,)),
        Sample((m(2, 3, 2, 2), m(3), var(3), m(3), m(3), False), name="eval 4-D", grad_args=g),
        Sample((m(2, 2, 2), m(2), var(2), None, None, True, 0.3, 1e-3), name="momentum eps", grad_args=(0,)),
    ]


def _layer_norm(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(3, 4), (4,), m(4), m(4)), name="affine"),
        Sample((m(2, 2, 3), (2, 3)), name="2 dims, no affine"),
        Sample(
            (
                m(
                    5,
                ),
                [5],
                m(5),
                None,
            ),
            {"eps": 1e-3},
            name="1-D weight only",
        ),
        Sample((m(0, 4), (4,), m(4), m(4)), name="empty"),
        Sample((m(6, 4, 16), (16,), m(16), m(16)), name="larger"),
    ]


def _embedding(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((np.array([[1, 3], [3, 0]]), m(5, 2)), name="2-D indices"),
        # padding_idx: torch's gradient skips that row on purpose (not the true derivative: no gradcheck)
        Sample((np.array([2, 2, 4]), m(5, 3)), {"padding_idx": 2}, name="padding_idx", grad_args=()),
        Sample((np.array(1), m(3, 4)), name="0-d index"),
        Sample(
            (np.array([0, 1], dtype=np.int32), m(2, 4)),
            {"padding_idx": -1},
            name="int32, negative padding",
            grad_args=(),
        ),
        Sample((rng.integers(0, 10, (4, 6)), m(10, 8)), name="larger"),
    ]


def _embedding_errors() -> list[ErrorSample]:
    w = np.zeros((3, 2), f32)
    return [
        _err((np.array([3]), w), IndexError, "index out of range"),
        _err((np.array([1.0]), w), RuntimeError, "embedding.*indices.*Long, Int"),
        _err((np.array([1]), w), AssertionError, "Padding_idx", padding_idx=5),
    ]


# ------------------------------------------------------------------------------------- activations
def _act(low: float = -3, high: float = 3, **kw: Any) -> Any:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        m = _m(dtype, rng, low, high)
        out = [
            Sample((m(),), dict(kw), name="0-d"),
            Sample((m(0),), dict(kw), name="empty"),
            Sample((m(3, 4),), dict(kw), name="2-D"),
            Sample((m(2, 70),), dict(kw), name="larger"),
            Sample((np.array([-30.0, -1e-3, 0.0, 1e-3, 30.0], dtype.np),), dict(kw), name="extremes", grad_args=()),
        ]
        if dtype.np.kind == "f":
            out.append(Sample((m(200, 600),), dict(kw), name="chunked (above 64 KiB)", grad_args=()))
        return out

    return f


def _gelu(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        *_act()(dtype, rng),
        *(Sample(s.args, {"approximate": "tanh"}, name=s.name + " tanh") for s in _act()(dtype, rng)),
    ]


def _float_act_errors(name: str, kernel: str) -> Any:
    return lambda: [_err((np.array([1, 2]),), NotImplementedError, f"{kernel}.*Long")]


def _softplus(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng, -30, 30)
    return [*_act()(dtype, rng), Sample((m(3, 4),), {"beta": 2.0, "threshold": 5.0}, name="beta, threshold")]


def _param_act(name: str, value: float) -> Any:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        base = _act()(dtype, rng)
        return [*base, *(Sample(s.args, {name: value}, name=f"{s.name} {name}") for s in base[:3])]

    return f


def _dropout(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(3, 4),), {"p": 0.5, "training": False}, name="eval"),
        Sample((m(5),), {"p": 0.0}, name="p=0"),
        Sample((m(2, 3),), {"p": 1.0}, name="p=1"),
        Sample((m(),), {"training": False}, name="0-d"),
    ]


# ------------------------------------------------------------------------------------------ losses
def _pair_loss(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    out = []
    for red in ("mean", "sum", "none"):
        out.append(Sample((m(3, 4), m(3, 4)), {"reduction": red}, name=red))
    out += [Sample((m(), m()), name="0-d"), Sample((m(0, 2), m(0, 2)), {"reduction": "sum"}, name="empty sum")]
    out.append(Sample((m(3, 4), m(3, 4), None, None, "mean", m(3, 4)), name="weight"))
    return out


def _ce(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng, -4, 4)
    w = make((4,), dtype, rng, 0.5, 2)
    t = lambda *s: rng.integers(0, 4, s)  # noqa: E731
    out = [Sample((m(3, 4), t(3)), {"reduction": red}, name=red) for red in ("mean", "sum", "none")]
    out += [
        Sample((m(3, 4), t(3), w), {"label_smoothing": 0.2}, name="weight + smoothing", grad_args=(0,)),
        Sample((m(4, 4), np.array([0, 2, 2, 1])), {"ignore_index": 2, "label_smoothing": 0.1}, name="ignore"),
        Sample((m(4), np.array(3)), name="unbatched"),
        Sample((m(2, 4, 3), t(2, 3), w), {"reduction": "none"}, name="spatial weight", grad_args=(0,)),
        Sample((m(2, 4, 3), t(2, 3)), {"label_smoothing": 0.3, "reduction": "sum"}, name="spatial smooth"),
        Sample((m(3, 4), make((3, 4), dtype, rng, 0, 1)), {"label_smoothing": 0.1}, name="probabilities"),
        Sample((np.array([[1e4, 0.0, -1e4, 1.0]], dtype.np), np.array([2])), name="large logits"),
        Sample((m(0, 4), t(0)), {"reduction": "sum"}, name="empty"),
        Sample((m(64, 10), t(64) % 10), name="larger"),
    ]
    return out


def _ce_errors() -> list[ErrorSample]:
    x = np.zeros((2, 3), f32)
    return [
        _err((x, np.array([0, 7])), IndexError, "Target 7 is out of bounds"),
        _err((x, np.array([0, 1, 2])), ValueError, r"input batch_size \(2\) to match target batch_size \(3\)"),
        _err((x, np.array([0, 1], dtype=np.int32)), RuntimeError, "target dtype to be Long or Byte, but got Int"),
        _err((x, np.array([[0, 1]])), RuntimeError, "multi-target not supported"),
        _err((x, np.array([0, 1]), np.ones(2, f32)), RuntimeError, "weight tensor should be defined.*3 classes"),
        _err((x, np.array([0, 1])), ValueError, "label_smoothing must be between", label_smoothing=1.5),
        _err((x, np.array([0, 1])), ValueError, "bad is not a valid value for reduction", reduction="bad"),
        _err((np.zeros((2, 3, 4), f32), np.zeros((2, 5), i64)), RuntimeError, r"Expected target size \[2, 4\]"),
    ]


def _nll(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng, -4, 0)
    w = make((4,), dtype, rng, 0.5, 2)
    t = lambda *s: rng.integers(0, 4, s)  # noqa: E731
    return [
        *(Sample((m(3, 4), t(3)), {"reduction": red}, name=red) for red in ("mean", "sum", "none")),
        Sample((m(3, 4), t(3), w), name="weight", grad_args=(0,)),
        Sample((m(4, 4), np.array([1, 3, 3, 0])), {"ignore_index": 3}, name="ignore"),
        Sample((m(2, 4, 3), t(2, 3)), name="spatial"),
        Sample((m(4), np.array(1)), name="unbatched"),
    ]


def _bce(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    p = lambda *s: make(s, dtype, rng, 0.05, 0.95)  # noqa: E731
    return [
        *(Sample((p(3, 4), p(3, 4)), {"reduction": red}, name=red) for red in ("mean", "sum", "none")),
        Sample((p(3, 4), p(3, 4), make((3, 4), dtype, rng, 0.5, 2)), name="weight", grad_args=(0, 1)),
        Sample(
            (np.array([0.0, 1.0, 0.5], dtype.np), np.array([0.0, 1.0, 1.0], dtype.np)), name="0 and 1", grad_args=()
        ),
        Sample((p(), p()), name="0-d"),
    ]


def _bce_logits(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng, -5, 5)
    p = lambda *s: make(s, dtype, rng, 0, 1)  # noqa: E731
    return [
        *(Sample((m(3, 4), p(3, 4)), {"reduction": red}, name=red) for red in ("mean", "sum", "none")),
        Sample(
            (m(3, 4), p(3, 4), p(3, 4)),
            {"pos_weight": make((4,), dtype, rng, 0.5, 3)},
            name="weights",
            grad_args=(0, 1),
        ),
        Sample((np.array([100.0, -100.0, 0.0], dtype.np), np.array([0.0, 1.0, 1.0], dtype.np)), name="large"),
    ]


def _loss_shape_errors(name: str, exc: type[BaseException], match: str) -> Any:
    return lambda: [_err((np.zeros((2, 3), f32), np.zeros((3, 2), f32)), exc, match)]


# ------------------------------------------------------------------------------------------- misc
def _one_hot(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((np.array([0, 3, 1]),), name="inferred classes"),
        Sample((np.array([[0, 1], [2, 0]]), 4), name="2-D"),
        Sample((np.array(2), 3), name="0-d"),
        Sample((np.zeros(0, dtype=i64), 3), name="empty"),
    ]


def _one_hot_errors() -> list[ErrorSample]:
    return [
        _err((np.array([1.0]),), RuntimeError, "one_hot is only applicable to index tensor"),
        _err((np.array([3]), 2), RuntimeError, "Class values must be smaller than num_classes"),
        _err((np.array([-1]), 2), RuntimeError, "Class values must be non-negative"),
        _err((np.zeros(0, dtype=i64),), RuntimeError, "Can not infer total number of classes from empty tensor"),
    ]


def _normalize(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    return [
        Sample((m(3, 4),), name="default"),
        Sample((m(2, 3, 2),), {"p": 1.0, "dim": -1}, name="p=1"),
        Sample((m(4),), {"dim": 0}, name="1-D"),
        Sample((np.zeros((2, 3), dtype.np),), name="zeros (eps)", grad_args=()),
    ]


def _sdpa(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = _m(dtype, rng)
    bool_mask = np.array([[True, False, True], [True, True, False]])
    return [
        Sample((m(2, 3), m(3, 3), m(3, 2)), name="2-D"),
        Sample((m(1, 3, 2), m(1, 3, 2), m(1, 3, 2)), {"is_causal": True}, name="causal"),
        Sample((m(2, 3), m(3, 3), m(3, 2)), {"attn_mask": bool_mask}, name="bool mask"),
        Sample((m(2, 3), m(3, 3), m(3, 2), m(2, 3)), {"scale": 0.7}, name="float mask (differentiable), scale"),
        Sample((m(2, 2, 5, 4), m(2, 2, 6, 4), m(2, 2, 6, 3)), name="4-D"),
        Sample((m(1, 4, 3, 2), m(1, 2, 3, 2), m(1, 2, 3, 2)), {"enable_gqa": True}, name="gqa", grad_args=()),
        Sample((m(4, 16, 32, 8), m(4, 16, 32, 8), m(4, 16, 32, 8)), {"is_causal": True}, name="large causal"),
        Sample((np.array([[50.0, -60.0]], dtype.np), np.ones((3, 2), dtype.np), m(3, 2)), name="wide logits"),
    ]


def _sdpa_errors() -> list[ErrorSample]:
    q = np.zeros((2, 3), f32)
    return [
        _err((q, np.zeros((2, 4), f32), np.zeros((2, 3), f32)), RuntimeError, "scaled_dot_product_attention.*query"),
        _err((q, q, q, np.ones((2, 2), bool)), RuntimeError, "attn_mask should not be set", is_causal=True),
        _err((q, q, np.zeros((2, 3), np.float64)), RuntimeError, "same dtype"),
    ]


# -------------------------------------------------------------------------------------------- rows
OPS: list[OpInfo] = [
    _row(
        "linear",
        _linear,
        errors=lambda: [
            _err((np.zeros((4, 5), f32), np.zeros((2, 3), f32)), RuntimeError, r"cannot be multiplied \(4x5 and 3x2\)"),
            _err((np.zeros((4, 3), f32), np.zeros((2, 3))), RuntimeError, "linear.*same dtype"),
        ],
    ),
    _row(
        "conv2d",
        _conv2d,
        errors=lambda: [
            _err(
                (np.zeros((1, 3, 5, 5), f32), np.zeros((2, 4, 3, 3), f32)),
                RuntimeError,
                "to have 4 channels, but got 3",
            ),
            _err(
                (np.zeros((1, 1, 2, 2), f32), np.zeros((1, 1, 3, 3), f32)), RuntimeError, "Kernel size can't be greater"
            ),
            _err((np.zeros((5, 5), f32), np.zeros((1, 1, 3, 3), f32)), RuntimeError, "conv2d.*3D.*4D"),
            _err(
                (np.zeros((1, 1, 5, 5), f32), np.zeros((1, 1, 3, 3), f32)),
                RuntimeError,
                "strided",
                padding="same",
                stride=2,
            ),
            _err(
                (np.zeros((1, 1, 5, 5), f32), np.zeros((1, 1, 3, 3), f32)),
                ValueError,
                "Invalid padding string",
                padding="full",
            ),
        ],
    ),
    _row(
        "conv1d",
        _conv1d,
        errors=lambda: [
            _err((np.zeros((1, 2, 5), f32), np.zeros((1, 3, 2), f32)), RuntimeError, "3 channels, but got 2")
        ],
    ),
    _row(
        "unfold",
        _unfold,
        errors=lambda: [_err((np.zeros((2, 2), f32), 2), RuntimeError, "unfold: expected a 3-D or 4-D")],
    ),
    _row(
        "fold",
        _fold,
        errors=lambda: [_err((np.zeros((1, 4, 3), f32), (3, 3), 2), RuntimeError, "number of sliding blocks")],
    ),
    _row(
        "max_pool2d",
        _max_pool,
        errors=lambda: [
            _err((np.zeros((1, 1, 4, 4), f32), 2), RuntimeError, "pad should be at most half", padding=2),
            _err((np.zeros((4, 4), f32), 2), RuntimeError, "max_pool2d.*3D or 4D"),
        ],
    ),
    _row(
        "avg_pool2d",
        _avg_pool,
        errors=lambda: [_err((np.zeros((1, 1, 4, 4), f32), 2), RuntimeError, "pad should be at most half", padding=2)],
    ),
    _row(
        "adaptive_avg_pool2d",
        _adaptive,
        errors=lambda: [_err((np.zeros((4,), f32), 2), RuntimeError, "adaptive_avg_pool2d.*3D or 4D")],
    ),
    _row(
        "batch_norm",
        _batch_norm,
        errors=lambda: [
            _err((np.zeros((1, 3), f32), None, None, None, None, True), ValueError, "more than 1 value per channel"),
            _err((np.zeros((2, 3), f32), None, None), RuntimeError, "running_mean and running_var must be defined"),
        ],
    ),
    _row(
        "layer_norm",
        _layer_norm,
        errors=lambda: [
            _err(
                (np.zeros((2, 3), f32), (2,)),
                RuntimeError,
                r"normalized_shape=\[2\], expected input with shape \[\*, 2\]",
            ),
            _err((np.zeros((2, 3), f32), (3,), np.zeros(2, f32)), RuntimeError, "Expected weight to be of same shape"),
            _err((np.zeros((2, 3), i64), (3,)), NotImplementedError, "layer_norm.*Long"),
        ],
    ),
    _row("embedding", _embedding, errors=_embedding_errors),
    _row(
        "gelu",
        _gelu,
        errors=lambda: [
            *_float_act_errors("gelu", "GeluKernelImpl")(),
            _err((np.zeros(2, f32),), RuntimeError, "approximate argument", approximate="x"),
        ],
    ),
    _row("silu", _act(), errors=_float_act_errors("silu", "silu_cpu")),
    _row("leaky_relu", _param_act("negative_slope", 0.2), errors=_float_act_errors("leaky_relu", "leaky_relu_cpu")),
    _row("elu", _param_act("alpha", 0.5), errors=_float_act_errors("elu", "elu_cpu")),
    _row("softplus", _softplus, errors=_float_act_errors("softplus", "softplus_cpu")),
    _row(
        "dropout",
        _dropout,
        errors=lambda: [_err((np.zeros(2, f32),), ValueError, "dropout probability has to be between 0 and 1", p=1.5)],
    ),
    _row(
        "mse_loss",
        _pair_loss,
        errors=lambda: [
            _err(
                (np.zeros(2, f32), np.zeros(2, f32)), ValueError, "x is not a valid value for reduction", reduction="x"
            )
        ],
    ),
    _row("l1_loss", _pair_loss),
    _row("cross_entropy", _ce, errors=_ce_errors, tol={rt.float32: (1e-5, 1e-5)}),
    _row(
        "nll_loss",
        _nll,
        errors=lambda: [
            _err((np.zeros((2, 3), f32), np.array([0, 3])), IndexError, "Target 3 is out of bounds"),
            _err((np.zeros((), f32), np.array(0)), ValueError, r"Expected 1 or more dimensions \(got 0\)"),
        ],
    ),
    _row(
        "binary_cross_entropy",
        _bce,
        errors=lambda: [
            _err(
                (np.array([1.5], f32), np.array([1.0], f32)),
                RuntimeError,
                "all elements of input should be between 0 and 1",
            ),
            *_loss_shape_errors("binary_cross_entropy", ValueError, "different to the input size")(),
        ],
    ),
    _row(
        "binary_cross_entropy_with_logits",
        _bce_logits,
        errors=_loss_shape_errors(
            "binary_cross_entropy_with_logits", ValueError, r"Target size \(\[3, 2\]\) must be the same"
        ),
    ),
    _row("one_hot", _one_hot, dtypes=(rt.int64,), grad=False, errors=_one_hot_errors),
    _row("normalize", _normalize),
    _row("scaled_dot_product_attention", _sdpa, errors=_sdpa_errors),
]
