"""rustytorch.nn against torch.nn, continued: the fused attention paths, in-place activations, dropout,
half precision, reprs, initialisation, gradient clipping and loss options."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(4321)


def _pair(factory: Any) -> tuple[Any, Any]:
    """The same module in both libraries (float64), torch's initial weights copied into rustytorch's."""
    torch.manual_seed(0)
    t_mod = factory(torch.nn).double()
    rt_mod = factory(rt.nn).double()
    rt_mod.load_state_dict({k: rt.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()})
    return rt_mod, t_mod


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", ["none", "causal-bool", "float", "3d-float", "key-padding", "unbatched"])
def test_multihead_attention_fused_path_matches_torch(batch_first: bool, mask: str) -> None:
    """need_weights=False takes the fused attention op (one node): same outputs and gradients as torch."""
    rt_mod, t_mod = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=batch_first))
    L, N, E = 4, 3, 8
    shape = (L, E) if mask == "unbatched" else (N, L, E) if batch_first else (L, N, E)
    x = RNG.standard_normal(shape)
    kw: list[dict[str, Any]] = [{}, {}]
    if mask == "causal-bool":
        m: Any = np.triu(np.ones((L, L), dtype=bool), 1)
        kw = [{"attn_mask": rt.tensor(m)}, {"attn_mask": torch.tensor(m)}]
    elif mask in ("float", "3d-float"):
        m = RNG.standard_normal((L, L) if mask == "float" else (N * 2, L, L))
        kw = [{"attn_mask": rt.tensor(m)}, {"attn_mask": torch.tensor(m)}]
    elif mask == "key-padding":
        m = np.zeros((N, L), dtype=bool)
        m[1, :2] = True
        kw = [{"key_padding_mask": rt.tensor(m)}, {"key_padding_mask": torch.tensor(m)}]
    xr, xt = rt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_r, w_r = rt_mod(xr, xr, xr, need_weights=False, **kw[0])
    out_t, w_t = t_mod(xt, xt, xt, need_weights=False, **kw[1])
    assert w_r is None and w_t is None
    assert out_r.grad_fn.name() == "ViewBackward0" or out_r.grad_fn is not None
    np.testing.assert_allclose(out_r.detach().numpy(), out_t.detach().numpy(), atol=1e-10)
    g = RNG.standard_normal(tuple(out_t.shape))
    out_r.backward(rt.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(xr.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    tp = dict(t_mod.named_parameters())
    for n, p in rt_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[n].grad.numpy(), atol=1e-10, err_msg=n)


def test_multihead_attention_cross_attention_matches_torch() -> None:
    rt_mod, t_mod = _pair(lambda nn: nn.MultiheadAttention(8, 4, batch_first=True))
    q, kv = RNG.standard_normal((2, 3, 8)), RNG.standard_normal((2, 5, 8))
    qr, kr = rt.tensor(q, requires_grad=True), rt.tensor(kv, requires_grad=True)
    qt, kt = torch.tensor(q, requires_grad=True), torch.tensor(kv, requires_grad=True)
    for need in (True, False):
        out_r, _ = rt_mod(qr, kr, kr, need_weights=need)
        out_t, _ = t_mod(qt, kt, kt, need_weights=need)
        np.testing.assert_allclose(out_r.detach().numpy(), out_t.detach().numpy(), atol=1e-10)
        out_r.sum().backward()
        out_t.sum().backward()
        np.testing.assert_allclose(kr.grad.numpy(), kt.grad.numpy(), atol=1e-10)


def test_attention_softmax_fallback_for_far_apart_rows() -> None:
    """Rows whose scores sit far below the global maximum (and fully masked rows) match torch."""
    F, TF = rt.nn.functional, torch.nn.functional
    for dt in (np.float32, np.float64):
        q = np.array([[[30.0, 0.0], [-30.0, 0.0], [0.5, 0.1]]], dtype=dt)
        k = np.array([[[10.0, 1.0], [9.0, -1.0], [-10.0, 0.0]]], dtype=dt)
        v = RNG.standard_normal((1, 3, 2)).astype(dt)
        a = F.scaled_dot_product_attention(rt.tensor(q), rt.tensor(k), rt.tensor(v), scale=1.0)
        b = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v), scale=1.0)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5 if dt == np.float32 else 1e-12, atol=1e-6)
    # a fully masked row gives zeros (torch's "safe softmax"), with zero gradient
    m = np.array([[False, False], [True, True]])
    q = RNG.standard_normal((2, 2))
    for dropout in (0.0, 1e-300):  # the fused op, and the composed path taken for dropout
        qr, qt = rt.tensor(q, requires_grad=True), torch.tensor(q, requires_grad=True)
        a = F.scaled_dot_product_attention(qr, qr, qr, attn_mask=rt.tensor(m), dropout_p=dropout)
        b = TF.scaled_dot_product_attention(qt, qt, qt, attn_mask=torch.tensor(m))
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(qr.grad.numpy(), qt.grad.numpy(), atol=1e-12)


def test_conv2d_same_padding_with_even_kernel_matches_torch() -> None:
    import warnings

    x, w = RNG.standard_normal((1, 2, 5, 6)), RNG.standard_normal((3, 2, 2, 4))
    xr, wr = rt.tensor(x, requires_grad=True), rt.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    a = rt.nn.functional.conv2d(xr, wr, padding="same", dilation=(1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that it pads a copy of the input
        b = torch.nn.functional.conv2d(xt, wt, padding="same")
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(wr.grad.numpy(), wt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("name", ["relu", "silu", "leaky_relu", "elu"])
def test_inplace_activations_write_into_their_input(name: str) -> None:
    x = RNG.standard_normal((3, 4))
    r, t = rt.tensor(x), torch.tensor(x)
    out_r = getattr(rt.nn.functional, name)(r, inplace=True)
    getattr(torch.nn.functional, name)(t, inplace=True)
    assert out_r is r
    np.testing.assert_allclose(r.numpy(), t.numpy(), atol=1e-12)
    # through the graph: the in-place result is differentiated like the out-of-place one
    leaf_r, leaf_t = rt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    getattr(rt.nn.functional, name)(leaf_r * 1.0, inplace=True).sum().backward()
    getattr(torch.nn.functional, name)(leaf_t * 1.0, inplace=True).sum().backward()
    np.testing.assert_allclose(leaf_r.grad.numpy(), leaf_t.grad.numpy(), atol=1e-12)


def test_dropout_training_statistics_and_gradient() -> None:
    rt.manual_seed(3)
    x = rt.ones(200, 100, dtype=rt.float64, requires_grad=True)
    y = rt.nn.functional.dropout(x, p=0.3)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01  # 20000 Bernoulli(0.7) draws: sd 0.0032
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 1 / 0.7, 0.0))
    rt.manual_seed(3)
    again = rt.nn.functional.dropout(rt.ones(200, 100, dtype=rt.float64), p=0.3)
    np.testing.assert_array_equal(again.numpy(), y.detach().numpy())  # seeded: reproducible
    z = rt.ones(5)
    assert rt.nn.functional.dropout(z, 0.5, inplace=True) is z
    assert rt.nn.Dropout(0.5).eval()(z) is z


def test_float32_training_step_matches_torch() -> None:
    """A float32 conv + layer norm + attention step agrees with torch to float32 accuracy."""

    def build(nn: Any) -> Any:
        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3, padding=1)
                self.ln = nn.LayerNorm(8)
                self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
                self.head = nn.Linear(8, 3)

            def forward(self, x: Any) -> Any:
                h = nn.functional.gelu(self.conv(x)).flatten(2)[:, :, :8]  # (N, 4, 8)
                h = self.ln(h)
                a, _ = self.attn(h, h, h, need_weights=False)
                return self.head(a.mean(1))

        return Net()

    torch.manual_seed(0)
    t_mod = build(torch.nn)
    rt_mod = build(rt.nn)
    rt_mod.load_state_dict({k: rt.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()})
    x = RNG.standard_normal((5, 1, 4, 4)).astype(np.float32)
    y = RNG.integers(0, 3, 5)
    lr = rt.nn.functional.cross_entropy(rt_mod(rt.tensor(x)), rt.tensor(y))
    lt = torch.nn.functional.cross_entropy(t_mod(torch.tensor(x)), torch.tensor(y))
    assert lr.dtype == rt.float32
    np.testing.assert_allclose(lr.item(), lt.item(), rtol=1e-5)
    lr.backward()
    lt.backward()
    tp = dict(t_mod.named_parameters())
    for n, p in rt_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[n].grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=n)


REPRS = [
    "SiLU(inplace=True)", "LeakyReLU(0.2, inplace=True)", "ReLU(True)", "Softmax()", "LogSoftmax(dim=1)",
    "Dropout(0.1)", "Flatten()", "Identity()", "Embedding(10, 3, padding_idx=0)",
    "Conv2d(2, 4, 3, padding='same', bias=False)",
    "Conv2d(2, 4, (3, 2), stride=2, padding=(1, 0), dilation=2, groups=2)",
    "Conv1d(2, 4, 3, stride=2)", "MaxPool2d(2, return_indices=True)", "MaxPool2d((3, 2), stride=1, padding=1)",
    "AvgPool2d(3, 2, 1)", "AdaptiveAvgPool2d((2, 3))", "MultiheadAttention(8, 2)", "CrossEntropyLoss()", "GELU()",
    "GELU(approximate='tanh')", "Tanh()", "Sigmoid()", "LayerNorm((3, 4), elementwise_affine=False)",
    "LayerNorm(4, bias=False)", "BatchNorm2d(3, affine=False, track_running_stats=False)",
    "BatchNorm1d(3, momentum=None)", "Linear(3, 2, bias=False)", "MSELoss()", "L1Loss(reduction='sum')", "NLLLoss()",
    "BCELoss()", "BCEWithLogitsLoss()",
]  # fmt: skip


@pytest.mark.parametrize("expr", REPRS)
def test_layer_reprs_and_parameter_names_match_torch(expr: str) -> None:
    t_mod = eval("torch.nn." + expr)
    r_mod = eval("rt.nn." + expr)
    assert repr(r_mod) == repr(t_mod)
    assert [(n, tuple(p.shape)) for n, p in r_mod.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in t_mod.named_parameters()
    ]
    assert [n for n, _ in r_mod.named_buffers()] == [n for n, _ in t_mod.named_buffers()]


def test_default_initialisation_follows_torch_bounds() -> None:
    """Linear / Conv2d: kaiming-uniform(a=sqrt(5)) weights and U(±1/sqrt(fan_in)) biases, as torch."""
    rt.manual_seed(0)
    lin = rt.nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)  # gain sqrt(2 / (1 + 5)) * sqrt(3 / fan_in) = 1 / sqrt(fan_in)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    conv = rt.nn.Conv2d(3, 8, 5)
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / np.sqrt(75)
    emb = rt.nn.Embedding(1000, 50, padding_idx=3)
    e = emb.weight.detach().numpy()
    assert abs(e.std() - 1) < 0.02 and not e[3].any()


def test_init_functions() -> None:
    init = rt.nn.init
    for nl in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert init.calculate_gain(nl) == torch.nn.init.calculate_gain(nl)
    assert init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    rt.manual_seed(1)
    w = rt.empty(300, 200, dtype=rt.float64)
    for fn, std in [
        (lambda t: init.xavier_normal_(t, gain=2.0), 2.0 * np.sqrt(2 / 500)),
        (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), np.sqrt(2 / 300)),
        (lambda t: init.xavier_uniform_(t), np.sqrt(6 / 500) / np.sqrt(3)),
        (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), np.sqrt(6 / 200) / np.sqrt(3)),
        (lambda t: init.normal_(t, 1.0, 0.5), 0.5),
        (lambda t: init.uniform_(t, -2.0, 2.0), 4 / np.sqrt(12)),
    ]:
        assert fn(w) is w
        assert abs(w.numpy().std() - std) < 0.02 * std, std
    init.trunc_normal_(w, mean=0.5, std=1.0, a=-0.5, b=1.0)
    assert w.numpy().min() >= -0.5 and w.numpy().max() <= 1.0
    init.orthogonal_(w, gain=3.0)
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), 9 * np.eye(200), atol=1e-10)
    np.testing.assert_array_equal(init.eye_(rt.empty(2, 3)).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(init.constant_(rt.empty(2), 0.25).numpy(), [0.25, 0.25])
    np.testing.assert_array_equal(init.zeros_(rt.ones(2)).numpy(), [0, 0])
    np.testing.assert_array_equal(init.ones_(rt.zeros(2)).numpy(), [1, 1])
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(rt.empty(3))
    p = rt.nn.Parameter(rt.zeros(2, 2))
    init.ones_(p)  # parameters are filled outside the graph
    assert p.requires_grad and p.grad_fn is None and p.detach().numpy().sum() == 4


def test_clip_grad_value_and_nonfinite_norm() -> None:
    g = RNG.standard_normal((3, 4)) * 3
    p, q = rt.nn.Parameter(rt.zeros(3, 4, dtype=rt.float64)), torch.nn.Parameter(torch.zeros(3, 4, dtype=torch.float64))
    p.grad, q.grad = rt.tensor(g), torch.tensor(g)
    rt.nn.utils.clip_grad_value_([p], 1.5)
    torch.nn.utils.clip_grad_value_([q], 1.5)
    np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    p = rt.nn.Parameter(rt.zeros(2))
    p.grad = rt.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        rt.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert rt.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_losses_legacy_flags_weights_and_warnings() -> None:
    import warnings

    F, TF = rt.nn.functional, torch.nn.functional
    x, y, w = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4)), RNG.random((3, 4))
    for name in ("mse_loss", "l1_loss"):
        a = getattr(F, name)(rt.tensor(x), rt.tensor(y), weight=rt.tensor(w))
        b = getattr(TF, name)(torch.tensor(x), torch.tensor(y), weight=torch.tensor(w))
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)
        with pytest.warns(UserWarning, match="reduction='sum'"):
            a = getattr(F, name)(rt.tensor(x), rt.tensor(y), size_average=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = getattr(TF, name)(torch.tensor(x), torch.tensor(y), size_average=False)
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)
        with pytest.warns(UserWarning, match="target size"):
            getattr(F, name)(rt.tensor(x), rt.tensor(y[0]))
    wr = rt.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.cross_entropy(rt.tensor(x), rt.tensor([0, 1, 2]), weight=wr)


def test_embedding_from_pretrained_and_module_inplace_relu() -> None:
    w = RNG.standard_normal((4, 3))
    emb = rt.nn.Embedding.from_pretrained(rt.tensor(w), freeze=False, padding_idx=1)
    out = emb(rt.tensor([[1, 2]]))
    np.testing.assert_array_equal(out.detach().numpy()[0], w[[1, 2]])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0] * 3, [0] * 3, [1] * 3, [0] * 3])
    with pytest.raises(AssertionError, match="2-dimensional"):
        rt.nn.Embedding.from_pretrained(rt.zeros(3))


def test_half_precision_cross_entropy_and_layers() -> None:
    """float16 inputs compute in float32 and round once (torch rounds some intermediates: 1 ulp apart)."""
    F, TF = rt.nn.functional, torch.nn.functional
    x = RNG.uniform(-4, 4, (6, 5)).astype(np.float16)
    t = RNG.integers(0, 5, 6)
    a = F.cross_entropy(rt.tensor(x), rt.tensor(t))
    b = TF.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert a.dtype == rt.float16
    np.testing.assert_allclose(a.item(), b.item(), rtol=2e-3)
    for fa, fb in [
        (F.gelu, TF.gelu),
        (F.silu, TF.silu),
        (lambda v: F.layer_norm(v, (5,)), lambda v: TF.layer_norm(v, (5,))),
    ]:
        ra, rb = fa(rt.tensor(x)), fb(torch.tensor(x))
        assert ra.dtype == rt.float16
        np.testing.assert_allclose(ra.numpy().astype(np.float32), rb.numpy().astype(np.float32), rtol=2e-3, atol=2e-3)


def test_fused_attention_paths_pass_gradcheck_and_gradgradcheck() -> None:
    """The packed self-attention op and the fused attention op have correct first and second derivatives."""
    rt.manual_seed(0)
    mha = rt.nn.MultiheadAttention(4, 2, batch_first=True).double()
    mask = rt.tensor(np.triu(np.ones((3, 3), dtype=bool), 1))
    x = rt.tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    kv = rt.tensor(RNG.standard_normal((2, 2, 4)), requires_grad=True)

    def self_attn(t: Any) -> Any:
        return mha(t, t, t, attn_mask=mask, need_weights=False)[0]

    def cross_attn(t: Any, s: Any) -> Any:
        return mha(t, s, s, need_weights=False)[0]

    assert rt.autograd.gradcheck(self_attn, (x,))
    assert rt.autograd.gradgradcheck(self_attn, (x,))
    assert rt.autograd.gradcheck(cross_attn, (x, kv))
    assert rt.autograd.gradgradcheck(cross_attn, (x, kv))


@pytest.mark.parametrize(
    "kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}, {"kernel_size": 2, "stride": 1}]
)
def test_max_pool2d_nan_and_infinite_windows_match_torch(kw: dict[str, Any]) -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan  # NaN wins its windows
    x[0, 0, 2:, 2:] = -np.inf  # a window of -inf: the index of its first element
    a, ai = rt.nn.functional.max_pool2d(rt.tensor(x), return_indices=True, **kw)
    b, bi = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(ai.numpy(), bi.numpy())
