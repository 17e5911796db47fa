"""nn.Module, Parameter and the containers against torch.nn: same structure, same errors, same semantics."""

from __future__ import annotations

import copy
import doctest
import pickle
import re
from collections import OrderedDict
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import rustytorch as rt
from rustytorch.nn import _module_state as module_state_mod
from rustytorch.nn import module as module_mod
from rustytorch.nn import parameter as parameter_mod
from rustytorch.nn.modules import container as container_mod

torch = pytest.importorskip("torch")

LIBS = pytest.mark.parametrize("lib", [rt, torch], ids=["rt", "torch"])


def _norm(msg: str) -> str:
    """A torch error message with torch's names replaced by rustytorch's, to compare with ours."""
    msg = msg.replace("torch.nn.Buffer, torch.Tensor", "torch.Tensor").replace("torch Tensor", "torch.Tensor")
    return re.sub(r"\btorch\.", "rustytorch.", msg)


def _outcome(fn: Any) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:  # the class and message are what is compared
        return type(e).__name__, _norm(str(e))
    return "ok", ""


def _same_outcome(make: Any) -> tuple[str, str]:
    """Run ``make(lib)`` with both libraries; the exception class and (normalised) message must agree."""
    ours, theirs = _outcome(lambda: make(rt)), _outcome(lambda: make(torch))
    assert ours == theirs
    return ours


class Net:
    """Builds the same small tree of modules with either library (no random initialisation)."""

    @staticmethod
    def build(lib: ModuleType) -> Any:
        class Leaf(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.w = lib.nn.Parameter(lib.arange(6.0).reshape(2, 3))
                self.s = lib.nn.Parameter(lib.tensor(2.0))
                self.register_buffer("b", lib.zeros(3))
                self.register_buffer("count", lib.tensor(0))
                self.register_buffer("scratch", lib.ones(1), persistent=False)
                self.register_parameter("unused", None)

            def forward(self, x: Any) -> Any:
                return x @ self.w.t() * self.s

        root = lib.nn.Module()
        root.leaf = Leaf()
        root.seq = lib.nn.Sequential(lib.nn.LayerNorm(3), lib.nn.ReLU(), lib.nn.Tanh())
        root.mlist = lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Identity()])
        root.mdict = lib.nn.ModuleDict({"act": lib.nn.Tanh(), "norm": lib.nn.LayerNorm(2, elementwise_affine=False)})
        return root


# ---------------------------------------------------------------------------------------------- structure
def test_names_of_parameters_buffers_modules_and_state_dict_match_torch() -> None:
    r, t = Net.build(rt), Net.build(torch)
    assert [n for n, _ in r.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in r.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in r.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in r.named_children()] == [n for n, _ in t.named_children()]
    assert list(r.state_dict()) == list(t.state_dict())
    assert "leaf.scratch" not in r.state_dict() and "leaf.scratch" in dict(r.named_buffers())
    assert [n for n, _ in r.named_parameters(prefix="net", recurse=False)] == []
    assert [n for n, _ in r.leaf.named_parameters(prefix="net", recurse=False)] == ["net.w", "net.s"]
    assert [n for n, _ in r.named_buffers(prefix="p")] == [n for n, _ in t.named_buffers(prefix="p")]
    assert len(list(r.parameters())) == len(list(t.parameters())) == 4
    assert len(list(r.buffers(recurse=False))) == 0 and len(list(r.leaf.buffers(recurse=False))) == 3
    assert [type(m).__name__ for m in r.modules()] == [type(m).__name__ for m in t.modules()]
    assert [type(m).__name__ for m in r.children()] == [type(m).__name__ for m in t.children()]


@LIBS
def test_shared_parameters_and_modules_are_listed_once_unless_remove_duplicate_false(lib: ModuleType) -> None:
    shared = lib.nn.LayerNorm(2)
    net = lib.nn.Sequential(shared, lib.nn.ReLU(), shared)
    net.tied = lib.nn.Parameter(lib.ones(1))
    net.tied2 = net.tied
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert len(list(net.modules(remove_duplicate=False))) == 4
    assert [n for n, _ in net.named_parameters()] == ["tied", "0.weight", "0.bias"]
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == [
        "tied", "tied2", "0.weight", "0.bias", "2.weight", "2.bias",
    ]  # fmt: skip
    assert [n for n, _ in net.named_children()] == ["0", "1"]
    assert list(net.state_dict()) == ["tied", "tied2", "0.weight", "0.bias", "2.weight", "2.bias"]


def test_shared_parameters_match_torch_exactly() -> None:
    def names(lib: ModuleType) -> list[Any]:
        shared = lib.nn.LayerNorm(2)
        net = lib.nn.Sequential(shared, lib.nn.ReLU(), shared)
        net.tied = lib.nn.Parameter(lib.ones(1))
        net.tied2 = net.tied
        return [
            [n for n, _ in net.named_parameters(remove_duplicate=False)],
            [n for n, _ in net.named_modules(remove_duplicate=False)],
            [n for n, _ in net.named_buffers()],
            list(net.state_dict(keep_vars=True)),
        ]

    assert names(rt) == names(torch)


def test_register_buffer_parameter_and_add_module_errors_match_torch() -> None:
    cases = [
        lambda lib, m: m.register_buffer("w", None),
        lambda lib, m: m.register_buffer("a.b", None),
        lambda lib, m: m.register_buffer("", None),
        lambda lib, m: m.register_buffer(3, None),
        lambda lib, m: m.register_buffer("q", 3),
        lambda lib, m: m.register_buffer("q", [1.0]),
        lambda lib, m: m.register_parameter("q", lib.ones(1)),
        lambda lib, m: m.register_parameter("a.b", None),
        lambda lib, m: m.register_parameter("", None),
        lambda lib, m: m.register_parameter(1, None),
        lambda lib, m: m.register_parameter("b", None),
        lambda lib, m: m.add_module("x", 3),
        lambda lib, m: m.add_module("w", lib.nn.ReLU()),
        lambda lib, m: m.add_module("a.b", lib.nn.ReLU()),
        lambda lib, m: m.add_module("", lib.nn.ReLU()),
        lambda lib, m: m.add_module(2, lib.nn.ReLU()),
        lambda lib, m: m.register_module("plain", lib.nn.ReLU()),
        lambda lib, m: setattr(m, "w", lib.ones(1)),
        lambda lib, m: setattr(m, "sub", 3),
        lambda lib, m: setattr(m, "b", 3),
        lambda lib, m: setattr(m, "b", lib.ones(5)),
        lambda lib, m: setattr(m, "w", None),
        lambda lib, m: setattr(m, "sub", None),
        lambda lib, m: m.register_buffer("plain", None),
    ]
    for case in cases:

        def make(lib: ModuleType, case: Any = case) -> None:
            m = lib.nn.Module()
            m.w = lib.nn.Parameter(lib.ones(2))
            m.register_buffer("b", lib.zeros(2))
            m.sub = lib.nn.ReLU()
            m.plain = 5
            case(lib, m)

        _same_outcome(make)


@LIBS
def test_registration_before_init_raises_attribute_error(lib: ModuleType) -> None:
    class Early(lib.nn.Module):
        def __init__(self, what: str) -> None:
            if what == "param":
                self.w = lib.nn.Parameter(lib.ones(1))
            elif what == "module":
                self.m = lib.nn.ReLU()
            else:
                self.register_buffer("b", lib.ones(1))

    for what, msg in (("param", "parameters"), ("module", "module"), ("buffer", "buffer")):
        with pytest.raises(AttributeError, match=f"cannot assign {msg} before Module.__init__"):
            Early(what)


def test_non_leaf_parameter_outcome_matches_torch() -> None:
    def make(lib: ModuleType) -> None:
        m = lib.nn.Module()
        p = lib.nn.Parameter(lib.ones(2))
        q = lib.nn.Parameter(p * 2)  # a leaf: Parameter() detaches
        m.register_parameter("w", q)
        assert q.is_leaf and q.requires_grad

    assert _same_outcome(make) == ("ok", "")


def test_setattr_moves_names_between_tables_and_delattr_matches_torch() -> None:
    def state(lib: ModuleType) -> list[Any]:
        m = lib.nn.Module()
        m.x = 3
        m.x = lib.nn.Parameter(lib.ones(1))  # plain attribute -> parameter
        out = [list(m._parameters), "x" in m.__dict__]
        out.append(_outcome(lambda: setattr(m, "x", lib.nn.ReLU())))  # a parameter name takes only Parameter/None
        m.mod = lib.nn.ReLU()
        m.mod = lib.nn.Parameter(lib.ones(1))  # module -> parameter
        out += [list(m._parameters), list(m._modules)]
        m.register_buffer("y", lib.ones(1), persistent=False)
        m.y = lib.nn.Parameter(lib.ones(1))  # buffer -> parameter, non-persistence forgotten
        out += [list(m._buffers), sorted(m._non_persistent_buffers_set), list(m._parameters)]
        m.register_buffer("z", lib.ones(1), persistent=False)
        m.z = lib.zeros(2)  # assigning a tensor to a buffer keeps it a (non-persistent) buffer
        out += [list(m._buffers), sorted(m._non_persistent_buffers_set), m.z.shape[0]]
        m.z = None
        out += [m.z is None, list(m._buffers)]
        m.plain_tensor = lib.ones(1)  # not registered
        out += ["plain_tensor" in m.__dict__, list(m.state_dict())]
        del m.x, m.y, m.z, m.plain_tensor, m.mod
        out += [list(m._modules), list(m._parameters), list(m._buffers), sorted(m._non_persistent_buffers_set)]
        out.append(_outcome(lambda: delattr(m, "nothing"))[0])
        out.append(_outcome(lambda: m.nothing))
        return out

    assert state(rt) == state(torch)


def test_getattr_error_names_the_class() -> None:
    class Custom(rt.nn.Module):
        pass

    with pytest.raises(AttributeError, match="'Custom' object has no attribute 'missing'"):
        Custom().missing


def test_dir_lists_registered_names_like_torch() -> None:
    r, t = Net.build(rt), Net.build(torch)
    ours, theirs = dir(r.leaf), dir(t.leaf)
    for name in ("w", "s", "b", "count", "scratch", "unused", "forward", "state_dict", "training"):
        assert name in ours and name in theirs
    assert ours == sorted(ours)
    assert "0" not in dir(r.seq) and "0" not in dir(t.seq)


def test_init_with_arguments_raises_like_torch() -> None:
    _same_outcome(lambda lib: lib.nn.Module(3))
    _same_outcome(lambda lib: lib.nn.Module(a=3))
    _same_outcome(lambda lib: lib.nn.Module()(rt.ones(1) if lib is rt else torch.ones(1)))


# ---------------------------------------------------------------------------------------- get/set submodule
def test_get_submodule_parameter_buffer_and_set_submodule_match_torch() -> None:
    targets = [
        lambda m: type(m.get_submodule("seq.0")).__name__,
        lambda m: m.get_submodule("") is m,
        lambda m: m.get_submodule("seq.7"),
        lambda m: m.get_submodule("leaf.w"),
        lambda m: m.get_submodule("nothing.x"),
        lambda m: m.get_parameter("leaf.w") is m.leaf.w,
        lambda m: m.get_parameter("leaf.b"),
        lambda m: m.get_parameter("leaf.zz"),
        lambda m: m.get_parameter("seq.0.weight").shape[0],
        lambda m: m.get_buffer("leaf.count").item(),
        lambda m: m.get_buffer("leaf.w"),
        lambda m: m.get_buffer("leaf.zz"),
        lambda m: m.set_submodule("", m.seq),
        lambda m: m.set_submodule("seq.0", 3),
        lambda m: m.set_submodule("leaf.w", m.seq),
        lambda m: m.set_submodule("seq.new", m.mlist, strict=True),
    ]
    for fn in targets:
        ours = _outcome(lambda fn=fn: fn(Net.build(rt)))
        theirs = _outcome(lambda fn=fn: fn(Net.build(torch)))
        assert ours == theirs
        if ours[0] == "ok":
            assert fn(Net.build(rt)) == fn(Net.build(torch))
    for lib in (rt, torch):
        m = Net.build(lib)
        m.set_submodule("seq.1", lib.nn.Tanh())
        m.set_submodule("mdict.extra", lib.nn.ReLU())
        assert type(m.seq[1]).__name__ == "Tanh" and "extra" in m.mdict


# ------------------------------------------------------------------------------------------- modes, grads
def test_train_eval_recurse_and_call_overridden_train() -> None:
    calls = []

    class Custom(rt.nn.Module):
        def train(self, mode: bool = True) -> rt.nn.Module:
            calls.append(mode)
            return super().train(mode)

    net = rt.nn.Sequential(rt.nn.Dropout(), rt.nn.Sequential(Custom()))
    assert net.eval() is net
    assert not any(m.training for m in net.modules()) and calls == [False]
    net[1].train()
    assert not net.training and net[1].training and net[1][0].training and calls == [False, True]
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)  # type: ignore[arg-type]


def test_requires_grad_and_zero_grad() -> None:
    m = Net.build(rt)
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    out = m.leaf(rt.ones(1, 3)).sum() + m.seq(rt.ones(2, 3)).sum()
    out.backward()
    w_grad = m.leaf.w.grad
    np.testing.assert_array_equal(w_grad.numpy(), np.full((2, 3), 2.0))
    m.zero_grad(set_to_none=False)
    assert m.leaf.w.grad is w_grad  # zeroed in place, as torch
    np.testing.assert_array_equal(w_grad.numpy(), np.zeros((2, 3)))
    assert m.leaf.w.grad.requires_grad is False
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_apply_visits_children_first_then_self() -> None:
    def order(lib: ModuleType) -> list[str]:
        seen: list[str] = []
        Net.build(lib).apply(lambda mod: seen.append(type(mod).__name__))
        return seen

    assert order(rt) == order(torch)


# ------------------------------------------------------------------------------------------- conversions
@LIBS
def test_to_dtype_keeps_parameter_objects_converts_grads_and_skips_integer_buffers(lib: ModuleType) -> None:
    m = Net.build(lib)
    w = m.leaf.w
    w.grad = lib.ones(2, 3)
    grad = w.grad
    seen_by_optimizer = list(m.parameters())
    assert m.to(lib.float64) is m
    assert m.leaf.w is w and type(m.leaf.w).__name__ == "Parameter" and m.leaf.w.requires_grad
    assert m.leaf.w.dtype == lib.float64 and m.leaf.w.grad is grad and grad.dtype == lib.float64
    assert m.leaf.b.dtype == lib.float64 and m.leaf.count.dtype == lib.int64 and m.leaf.scratch.dtype == lib.float64
    assert all(p.dtype == lib.float64 for p in seen_by_optimizer)
    np.testing.assert_array_equal(m.leaf.w.detach().numpy(), np.arange(6.0).reshape(2, 3))
    m.half()
    assert m.leaf.w.dtype == lib.float16 and m.leaf.count.dtype == lib.int64
    m.bfloat16()
    assert m.leaf.w.dtype == lib.bfloat16
    m.float()
    assert m.leaf.w.dtype == lib.float32
    m.double()
    assert m.leaf.w.dtype == lib.float64
    m.to(lib.zeros(1, dtype=lib.float32))
    assert m.leaf.w.dtype == lib.float32
    m.to("cpu", lib.float16)
    assert m.leaf.w.dtype == lib.float16
    m.to(device="cpu", dtype=lib.float32)
    assert m.leaf.w.dtype == lib.float32
    assert m.to("cpu") is m and m.cpu() is m
    m.type(lib.float64)
    assert m.leaf.count.dtype == lib.float64  # type() converts every tensor, integer ones too
    with pytest.raises(TypeError, match=r"nn\.Module\.to only accepts floating point or complex dtypes"):
        m.to(lib.int32)


def test_to_keeps_tied_parameters_tied() -> None:
    shared = rt.nn.LayerNorm(2)
    net = rt.nn.Sequential(shared, shared)
    net.to(rt.float64)
    assert net[0].weight is net[1].weight and net[0].weight.dtype == rt.float64
    assert len(list(net.parameters())) == 2


def test_to_then_training_still_works() -> None:
    m = rt.nn.LayerNorm(3).double()
    y = m(rt.tensor(np.arange(6.0).reshape(2, 3))).sum()
    y.backward()
    assert m.weight.grad.dtype == rt.float64


# ---------------------------------------------------------------------------------------------- state dict
def test_state_dict_detaches_shares_memory_and_supports_prefix_destination_keep_vars() -> None:
    m = Net.build(rt)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    w = sd["leaf.w"]
    assert type(w) is rt.Tensor and not w.requires_grad and w.data_ptr() == m.leaf.w.data_ptr()
    kv = m.state_dict(keep_vars=True)
    assert kv["leaf.w"] is m.leaf.w and kv["leaf.b"] is m.leaf.b
    dest: dict[str, Any] = {"existing": 1}
    out = m.leaf.state_dict(destination=dest, prefix="model.")
    assert out is dest and list(dest) == ["existing", "model.w", "model.s", "model.b", "model.count"]
    t = Net.build(torch)
    assert dict(sd._metadata) == dict(t.state_dict()._metadata)  # type: ignore[attr-defined]


def test_state_dict_positional_arguments_warn_like_torch() -> None:
    m = Net.build(rt)
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        out = m.leaf.state_dict({}, "p.")
    assert list(out) == ["p.w", "p.s", "p.b", "p.count"]


def _bad_state_dict(lib: ModuleType, m: Any) -> dict[str, Any]:
    sd = dict(m.state_dict())
    sd["leaf.w"] = lib.zeros(3, 2)
    sd["extra"] = lib.ones(1)
    sd["leaf.unused"] = lib.ones(1)
    sd["leaf.scratch"] = lib.ones(1)
    sd["seq.5.weight"] = lib.ones(1)
    sd["leaf.s"] = [1.0]
    del sd["leaf.b"]
    return sd


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_error_messages_match_torch(strict: bool) -> None:
    def run(lib: ModuleType) -> Any:
        m = Net.build(lib)
        return m.load_state_dict(_bad_state_dict(lib, m), strict=strict)

    kind, msg = _same_outcome(run)
    assert kind == "RuntimeError" and msg.startswith("Error(s) in loading state_dict for Module:\n\t")
    assert ("Missing key(s)" in msg) == strict
    assert "size mismatch for leaf.w: copying a param with shape rustytorch.Size([3, 2])" in msg


def test_load_state_dict_is_all_or_nothing() -> None:
    m = Net.build(rt)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    versions = {k: v._version for k, v in m.state_dict(keep_vars=True).items()}
    sd = {k: v + 10 for k, v in m.state_dict().items()}
    sd["seq.0.weight"] = rt.ones(5)  # one bad shape: nothing may be written
    with pytest.raises(RuntimeError, match=r"size mismatch for seq\.0\.weight"):
        m.load_state_dict(sd)
    sd["seq.0.weight"] = rt.ones(3)
    sd["typo"] = rt.ones(1)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "typo"'):
        m.load_state_dict(sd)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k].numpy(), err_msg=k)
    assert {k: v._version for k, v in m.state_dict(keep_vars=True).items()} == versions
    res = m.load_state_dict(sd, strict=False)  # now it loads, reporting the extra key
    assert res.missing_keys == [] and res.unexpected_keys == ["typo"]
    np.testing.assert_array_equal(m.leaf.w.detach().numpy(), before["leaf.w"].numpy() + 10)


def test_load_state_dict_strict_false_reports_keys_like_torch() -> None:
    def run(lib: ModuleType) -> Any:
        m = Net.build(lib)
        sd = {"leaf.w": lib.zeros(2, 3), "junk": lib.ones(1), "seq.0.bias": lib.ones(3)}
        res = m.load_state_dict(sd, strict=False)
        return res.missing_keys, res.unexpected_keys, repr(res), m.leaf.w.sum().item(), m.seq[0].bias.sum().item()

    assert run(rt) == run(torch)
    m = Net.build(rt)
    assert repr(m.load_state_dict(m.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(TypeError, match=r"Expected state_dict to be dict-like, got <class 'list'>\."):
        m.load_state_dict([("a", rt.ones(1))])  # type: ignore[arg-type]


def test_load_state_dict_casts_dtype_accepts_size_one_for_scalars_and_bumps_versions() -> None:
    def run(lib: ModuleType) -> Any:
        m = Net.build(lib)
        sd = dict(m.state_dict())
        sd["leaf.w"] = lib.full((2, 3), 7, dtype=lib.float64)
        sd["leaf.s"] = lib.tensor([5.0])  # a 0-d parameter accepts a 1-element 1-d tensor, as torch
        sd["leaf.count"] = lib.tensor(3.7)
        version = m.leaf.w._version
        m.load_state_dict(sd)
        return (
            m.leaf.w.dtype == lib.float32,
            m.leaf.w.sum().item(),
            m.leaf.s.item(),
            m.leaf.count.item(),
            (m.leaf.w._version > version),
        )

    assert run(rt) == run(torch) == (True, 42.0, 5.0, 3, True)


def test_load_state_dict_with_assign_puts_the_given_tensors_in_place() -> None:
    def run(lib: ModuleType) -> Any:
        m = Net.build(lib)
        new_w = lib.zeros(2, 3, dtype=lib.float64)
        new_b = lib.ones(3, dtype=lib.float64)
        res = m.load_state_dict({"leaf.w": new_w, "leaf.b": new_b}, strict=False, assign=True)
        return (
            type(m.leaf.w).__name__, m.leaf.w.dtype == lib.float64, m.leaf.w.requires_grad,
            m.leaf.b is new_b, m.leaf.w.data_ptr() == new_w.data_ptr(), res.missing_keys,
        )  # fmt: skip

    assert run(rt) == run(torch)


def test_load_state_dict_into_tied_weights_and_round_trip_between_libraries() -> None:
    t = torch.nn.Sequential(torch.nn.LayerNorm(3), torch.nn.ReLU(), torch.nn.LayerNorm(3))
    with torch.no_grad():
        for i, p in enumerate(t.parameters()):
            p.copy_(torch.arange(3.0) + i)
    r = rt.nn.Sequential(rt.nn.LayerNorm(3), rt.nn.ReLU(), rt.nn.LayerNorm(3))
    r.load_state_dict({k: rt.tensor(v.numpy().copy()) for k, v in t.state_dict().items()})
    for (kr, vr), (kt, vt) in zip(r.state_dict().items(), t.state_dict().items(), strict=True):
        assert kr == kt
        np.testing.assert_array_equal(vr.numpy(), vt.numpy())
    shared = rt.nn.LayerNorm(3)
    tied = rt.nn.Sequential(shared, shared)
    sd = tied.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    tied.load_state_dict({k: rt.full((3,), 4.0) for k in sd})
    np.testing.assert_array_equal(shared.weight.detach().numpy(), np.full(3, 4.0))


class _WithExtra(rt.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = rt.nn.Parameter(rt.zeros(1))
        self.config = {"k": 1}

    def get_extra_state(self) -> Any:
        return dict(self.config)

    def set_extra_state(self, state: Any) -> None:
        self.config = dict(state)


def test_extra_state_is_saved_and_loaded_like_torch() -> None:
    m = _WithExtra()
    sd = m.state_dict()
    assert list(sd) == ["w", "_extra_state"] and sd["_extra_state"] == {"k": 1}
    other = _WithExtra()
    other.load_state_dict({"w": rt.ones(1), "_extra_state": {"k": 9}})
    assert other.config == {"k": 9}
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        other.load_state_dict({"w": rt.ones(1)})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        rt.nn.Module().load_state_dict({"_extra_state": 1})


# ------------------------------------------------------------------------------------------------- hooks
@LIBS
def test_forward_hooks_and_pre_hooks(lib: ModuleType) -> None:
    m = lib.nn.Identity()
    log: list[str] = []
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append("pre1"))
    h2 = m.register_forward_pre_hook(lambda mod, args: args[0] + 1)  # a single value is wrapped into a tuple
    h3 = m.register_forward_pre_hook(lambda mod, args: log.append("pre0"), prepend=True)
    h4 = m.register_forward_hook(lambda mod, args, out: out * 10)
    h5 = m.register_forward_hook(lambda mod, args, out: log.append(f"post{out.item():g}"))
    assert m(lib.tensor(1.0)).item() == 20.0
    assert log == ["pre0", "pre1", "post20"]
    h2.remove()
    h2.remove()  # a second remove does nothing
    assert m(lib.tensor(1.0)).item() == 10.0
    for h in (h1, h3, h4, h5):
        h.remove()
    assert m(lib.tensor(1.0)).item() == 1.0
    assert not m._forward_hooks and not m._forward_pre_hooks
    assert h1.id != h2.id
    with m.register_forward_hook(lambda mod, args, out: out * 3):
        assert m(lib.tensor(1.0)).item() == 3.0
    assert m(lib.tensor(1.0)).item() == 1.0


@LIBS
def test_hooks_with_kwargs_and_always_call(lib: ModuleType) -> None:
    class Scale(lib.nn.Module):
        def forward(self, x: Any, *, scale: float = 1.0) -> Any:
            if scale < 0:
                raise ValueError("negative scale")
            return x * scale

    m = Scale()
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: (args, {"scale": kwargs.get("scale", 1.0) * 2}), with_kwargs=True
    )
    seen: list[Any] = []
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs["scale"]), with_kwargs=True)
    assert m(lib.tensor(3.0), scale=2.0).item() == 12.0 and seen == [4.0]
    called: list[Any] = []
    m.register_forward_hook(lambda mod, args, out: called.append(out), always_call=True)
    with pytest.raises(ValueError, match="negative scale"):
        m(lib.tensor(3.0), scale=-1.0)
    assert called == [None] and seen == [4.0]
    bad = lib.nn.Identity()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, new_kwargs\)"):
        bad(lib.ones(1))


def test_hook_removing_itself_during_the_call_is_safe() -> None:
    m = rt.nn.Identity()
    handles: list[Any] = []
    calls: list[int] = []

    def once(mod: Any, args: Any, out: Any) -> None:
        calls.append(1)
        handles[0].remove()

    handles.append(m.register_forward_hook(once))
    m(rt.ones(1))
    m(rt.ones(1))
    assert calls == [1]


# -------------------------------------------------------------------------------------------------- repr
def test_repr_matches_torch_for_nested_modules() -> None:
    def build(lib: ModuleType) -> Any:
        class Block(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.norm = lib.nn.Softmax(dim=-1)
                self.body = lib.nn.Sequential(
                    OrderedDict(drop=lib.nn.Dropout(0.1), act=lib.nn.ReLU(), flat=lib.nn.Flatten())
                )
                self.heads = lib.nn.ModuleDict({"a": lib.nn.Tanh(), "b": lib.nn.Sequential()})
                self.empty = lib.nn.ModuleList()
                self.nothing = None

        class Multi(lib.nn.Module):
            def extra_repr(self) -> str:
                return "line1\nline2"

        class One(lib.nn.Module):
            def extra_repr(self) -> str:
                return "k=3"

        net = lib.nn.Sequential(Block(), lib.nn.ModuleList([Block(), Block(), lib.nn.ReLU(), lib.nn.ReLU()]))
        net.add_module("multi", Multi())
        net.multi.add_module("one", One())
        net.add_module("missing", None)
        return net

    assert repr(build(rt)) == repr(build(torch))
    assert str(build(rt)) == str(build(torch))


def test_repr_with_linear_layers_matches_torch() -> None:
    def build(lib: ModuleType) -> Any:
        return lib.nn.Sequential(
            lib.nn.Linear(4, 8),
            lib.nn.ReLU(),
            lib.nn.ModuleList([lib.nn.Linear(8, 8), lib.nn.Linear(8, 8), lib.nn.Linear(8, 2, bias=False)]),
            lib.nn.ModuleDict({"out": lib.nn.Linear(2, 1)}),
        )

    assert repr(build(rt)) == repr(build(torch))


# ------------------------------------------------------------------------------------------------ Parameter
def test_parameter_basics_match_torch() -> None:
    def facts(lib: ModuleType) -> list[Any]:
        x = lib.ones(3)
        p = lib.nn.Parameter(x)
        q = lib.nn.Parameter(x, requires_grad=False)
        e = lib.nn.Parameter()
        return [
            p.requires_grad, q.requires_grad, p.is_leaf, p.data_ptr() == x.data_ptr(), p._base is None,
            isinstance(p, lib.Tensor), type(p * 2).__name__, type(p.detach()).__name__, type(p.clone()).__name__,
            tuple(e.shape), e.dtype == lib.float32, e.requires_grad,
            _outcome(lambda: lib.nn.Parameter(lib.ones(2, dtype=lib.int64)))[0],
            lib.nn.Parameter(lib.ones(2, dtype=lib.int64), requires_grad=False).dtype == lib.int64,
        ]  # fmt: skip

    assert facts(rt) == facts(torch)
    with pytest.raises(TypeError, match="Parameter: expected a Tensor, got list"):
        rt.nn.Parameter([1.0])  # type: ignore[arg-type]


def test_parameter_of_a_non_leaf_is_a_new_leaf_sharing_memory() -> None:
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    p = rt.nn.Parameter(y)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad and p.data_ptr() == y.data_ptr()
    (p * 3).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, 3.0])
    assert x.grad is None


def test_parameter_repr_matches_torch() -> None:
    assert repr(rt.nn.Parameter(rt.tensor([1.0, 2.0]))) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    frozen_r = rt.nn.Parameter(rt.tensor([[1, 2]]), requires_grad=False)
    frozen_t = torch.nn.Parameter(torch.tensor([[1, 2]]), requires_grad=False)
    assert repr(frozen_r) == repr(frozen_t) == "Parameter containing:\ntensor([[1, 2]])"
    assert str(frozen_r) == str(frozen_t)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_parameter_copies_keep_data_type_and_requires_grad_but_not_grad_like_torch(how: str) -> None:
    def facts(lib: ModuleType) -> list[Any]:
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        p.grad = lib.ones(2)
        frozen = lib.nn.Parameter(lib.tensor([3.0]), requires_grad=False)
        pair = [p, p, frozen]
        c = copy.deepcopy(pair) if how == "deepcopy" else pickle.loads(pickle.dumps(pair))
        return [
            type(c[0]).__name__, c[0] is c[1], c[0] is not p, c[0].requires_grad, c[0].grad is None,
            c[0].tolist(), c[0].data_ptr() != p.data_ptr(), c[2].requires_grad,
        ]  # fmt: skip

    assert facts(rt) == facts(torch)


# ------------------------------------------------------------------------------------------ module copies
class _Tied(rt.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = rt.nn.LayerNorm(2)
        self.b = self.a
        self.p = rt.nn.Parameter(rt.tensor([1.0, 2.0]))
        self.q = self.p
        self.register_buffer("buf", rt.tensor([5]))
        self.register_buffer("tmp", rt.zeros(1), persistent=False)
        self.note = "hello"

    def forward(self, x: Any) -> Any:
        return self.a(x) * self.p


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_module_copies_are_independent_and_keep_sharing_and_persistence(how: str) -> None:
    m = _Tied()
    m.p.grad = rt.ones(2)
    m.eval()
    h = m.register_forward_hook(lambda mod, args, out: out)
    if how == "pickle":
        h.remove()  # a lambda can't be pickled (as with torch)
    c = copy.deepcopy(m) if how == "deepcopy" else pickle.loads(pickle.dumps(m))
    assert type(c) is _Tied and c is not m and not c.training and c.note == "hello"
    assert c.a is c.b and c.p is c.q and c.p is not m.p and type(c.p) is rt.nn.Parameter
    assert c.p.grad is None and c.p.requires_grad
    assert list(c.state_dict()) == list(m.state_dict()) and "tmp" not in c.state_dict()
    assert len(c._forward_hooks) == (1 if how == "deepcopy" else 0)
    with rt.no_grad():
        c.p.mul_(10)
    np.testing.assert_array_equal(m.p.detach().numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(c.p.detach().numpy(), [10.0, 20.0])
    y = c(rt.tensor([[1.0, 3.0]]))
    np.testing.assert_allclose(y.detach().numpy(), [[-10.0, 20.0]], atol=1e-3)


# -------------------------------------------------------------------------------------------- containers
def _kinds(seq: Any) -> list[tuple[str, str]]:
    return [(k, type(v).__name__) for k, v in seq._modules.items()]


def test_sequential_indexing_slicing_and_editing_match_torch() -> None:
    def run(lib: ModuleType) -> list[Any]:
        n = lib.nn
        s = n.Sequential(n.ReLU(), n.Tanh(), n.Identity(), n.Sigmoid())
        out: list[Any] = [len(s), type(s[-1]).__name__, type(s[1:3]).__name__, _kinds(s[1:3]), _kinds(s[::-2])]
        out.append(s[1:3][0] is s[1])  # slices share the modules
        out.append(_outcome(lambda: s[4]))
        out.append(_outcome(lambda: s[-5]))
        out.append(_outcome(lambda: s["0"]))
        s[0] = n.Softmax(dim=0)
        out.append(_kinds(s))
        del s[1]
        out.append(_kinds(s))  # renumbered
        del s[::2]
        out.append(_kinds(s))
        s.append(n.ReLU()).extend([n.Tanh(), n.Identity()])
        s.insert(1, n.Sigmoid())
        s.insert(-1, n.Flatten())
        out.append(_kinds(s))
        out.append(_outcome(lambda: s.insert(99, n.ReLU())))
        out.append(type(s.pop(0)).__name__)
        out.append(_kinds(s))
        out.append(_kinds(s + n.Sequential(n.ReLU())))
        out.append(_outcome(lambda: s + n.ModuleList()))
        out.append(_kinds(n.Sequential(n.ReLU(), n.Tanh()) * 2))
        out.append(_kinds(2 * n.Sequential(n.ReLU())))
        t = n.Sequential(n.ReLU())
        t *= 3
        t += n.Sequential(n.Tanh())
        out.append(_kinds(t))
        out.append(_outcome(lambda: t * 0))
        out.append(_outcome(lambda: t * 1.5))
        out.append([type(m).__name__ for m in t])
        named = n.Sequential(OrderedDict(first=n.ReLU(), second=n.Tanh()))
        out.append(_kinds(named))
        out.append(_kinds(named[1:]))
        del named[0]
        out.append(_kinds(named))
        return out

    assert run(rt) == run(torch)


def test_sequential_forward_chains_modules() -> None:
    s = rt.nn.Sequential(rt.nn.ReLU(), rt.nn.Tanh())
    np.testing.assert_allclose(s(rt.tensor([-1.0, 1.0])).numpy(), [0.0, np.tanh(1.0)], rtol=1e-6)
    assert rt.nn.Sequential()(rt.ones(1)).tolist() == [1.0]


def test_module_list_indexing_slicing_and_editing_match_torch() -> None:
    def run(lib: ModuleType) -> list[Any]:
        n = lib.nn
        ml = n.ModuleList([n.ReLU(), n.Tanh(), n.Identity()])
        out: list[Any] = [len(ml), type(ml[-1]).__name__, type(ml[:2]).__name__, _kinds(ml[::-1])]
        out.append(_outcome(lambda: ml[3]))
        out.append(_outcome(lambda: ml[-4]))
        out.append(_outcome(lambda: ml.__setitem__(5, n.ReLU())))
        ml[-1] = n.Sigmoid()
        out.append(_kinds(ml))
        ml.append(n.ReLU())
        ml.extend([n.Flatten()])
        ml += [n.Tanh()]
        ml.insert(1, n.Identity())
        out.append(_kinds(ml))
        del ml[0]
        del ml[1:3]
        out.append(_kinds(ml))
        out.append(type(ml.pop(-1)).__name__)
        out.append(_kinds(ml))
        out.append(_kinds(ml + [n.ReLU()]))  # noqa: RUF005 - ModuleList.__add__ is under test
        out.append(_outcome(lambda: ml.extend(3)))
        out.append(_outcome(lambda: ml.append(3)))
        out.append([type(m).__name__ for m in ml])
        out.append(_kinds(n.ModuleList()))
        out.append(repr(n.ModuleList()))
        return out

    assert run(rt) == run(torch)


def test_module_dict_semantics_match_torch() -> None:
    def run(lib: ModuleType) -> list[Any]:
        n = lib.nn
        d = n.ModuleDict({"b": n.ReLU(), "a": n.Tanh()})
        out: list[Any] = [list(d), list(d.keys()), [type(v).__name__ for v in d.values()], len(d), "a" in d, 3 in d]
        d["c"] = n.Identity()
        d.update([("d", n.Sigmoid()), ("b", n.Flatten())])
        d.update(n.ModuleDict({"e": n.ReLU()}))
        out.append(_kinds(d))
        out.append(type(d.pop("a")).__name__)
        del d["c"]
        out.append([(k, type(v).__name__) for k, v in d.items()])
        out.append(_outcome(lambda: d["zz"]))
        out.append(_outcome(lambda: d.update(3)))
        out.append(_outcome(lambda: d.update([("x", n.ReLU(), 1)])))
        out.append(_outcome(lambda: d.update([3])))
        out.append(_outcome(lambda: d.__setitem__("x.y", n.ReLU())))
        out.append(_outcome(lambda: d.__setitem__("training", n.ReLU())))
        d.clear()
        out.append(len(d))
        return out

    assert run(rt) == run(torch)


def test_containers_register_parameters_of_their_modules() -> None:
    ml = rt.nn.ModuleList([rt.nn.LayerNorm(2) for _ in range(3)])
    assert [n for n, _ in ml.named_parameters()][:2] == ["0.weight", "0.bias"] and len(list(ml.parameters())) == 6
    d = rt.nn.ModuleDict({"x": rt.nn.LayerNorm(2)})
    assert list(d.state_dict()) == ["x.weight", "x.bias"]


# ------------------------------------------------------------------------------------------- doc examples
@pytest.mark.parametrize("mod", [module_mod, module_state_mod, parameter_mod, container_mod], ids=lambda m: m.__name__)
def test_docstring_examples_run(mod: ModuleType) -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(mod, globs={}) if t.examples]
    assert tests
    for t in tests:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
