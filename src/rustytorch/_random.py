"""Random number generators: ``Generator`` (a NumPy PCG64 bit generator underneath) and the global one.

The values differ from torch's (torch uses a Mersenne Twister and its own sampling
algorithms); seeding, state save/restore and reproducibility behave as torch's do.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state"]

#: the seed of a new ``Generator()``, as torch's ``default_rng_seed_val``
_DEFAULT_SEED = 67280421310721
_U64 = 1 << 64
# state layout (bytes): PCG64 state (16) | increment (16) | has_uint32 (1) | uinteger (4) | initial seed (8)
_STATE_NBYTES = 45


def _check_seed(fn: str, seed: Any) -> int:
    """torch's seed rules: any int in [-2**63, 2**64) (negatives wrap modulo 2**64)."""
    if hasattr(seed, "__index__") and not isinstance(seed, bool | float):
        seed = seed.__index__()
    else:
        raise RuntimeError(f"{fn} expected a long, but got {type(seed).__name__}")
    if not -(1 << 63) <= seed < _U64:
        raise ValueError(f"{fn}: seed {seed} is out of range [-2**63, 2**64) (Overflow when unpacking long long)")
    return seed % _U64  # type: ignore[no-any-return]


class Generator:
    """A random number generator with its own state, as ``torch.Generator`` (CPU only).

    Pass it as ``generator=`` to the random functions to draw from it instead of the global
    generator. A new generator is seeded with torch's default seed, 67280421310721.

    Examples
    --------
    >>> import rustytorch as rt
    >>> g = rt.Generator().manual_seed(0)
    >>> a = rt.rand(3, generator=g)
    >>> s = g.get_state(); b = rt.rand(3, generator=g)
    >>> c = rt.rand(3, generator=g.set_state(s))
    >>> bool((b == c).all()), bool((a == b).all())
    (True, False)
    """

    __slots__ = ("_initial_seed", "_rng", "device")

    def __init__(self, device: Any = "cpu") -> None:
        from ._tensor import device as _device

        self.device = _device(device)
        self._initial_seed = _DEFAULT_SEED
        self._rng = np.random.Generator(np.random.PCG64(_DEFAULT_SEED))

    def manual_seed(self, seed: int) -> Generator:
        """Seed the generator (any int in [-2**63, 2**64)) and return it.

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.Generator().manual_seed(-1).initial_seed()
        18446744073709551615
        """
        s = _check_seed("manual_seed", seed)
        self._initial_seed = s
        self._rng = np.random.Generator(np.random.PCG64(s))
        return self

    def seed(self) -> int:
        """Seed the generator from the operating system's entropy and return that seed.

        Examples
        --------
        >>> import rustytorch as rt
        >>> g = rt.Generator(); s = g.seed(); s == g.initial_seed()
        True
        """
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with.

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.Generator().initial_seed()
        67280421310721
        """
        return self._initial_seed

    def get_state(self) -> Any:
        """The generator's state as a uint8 tensor (restore it with ``set_state``).

        Examples
        --------
        >>> import rustytorch as rt
        >>> rt.Generator().get_state().dtype
        rustytorch.uint8
        """
        from ._tensor import _make

        st = self._rng.bit_generator.state
        raw = (
            st["state"]["state"].to_bytes(16, "little")
            + st["state"]["inc"].to_bytes(16, "little")
            + bytes([st["has_uint32"]])
            + st["uinteger"].to_bytes(4, "little")
            + self._initial_seed.to_bytes(8, "little")
        )
        return _make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state that ``get_state`` returned; returns the generator.

        Examples
        --------
        >>> import rustytorch as rt
        >>> g = rt.Generator(); s = g.get_state(); x = rt.randn(2, generator=g)
        >>> bool((rt.randn(2, generator=g.set_state(s)) == x).all())
        True
        """
        from ._tensor import Tensor

        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a rustytorch.ByteTensor (a uint8 tensor)")
        if new_state.numel() != _STATE_NBYTES:
            raise RuntimeError(
                f"Expected an RNG state of size {_STATE_NBYTES} but found the input RNG state size to be "
                f"{new_state.numel()}"
            )
        raw = new_state._data.reshape(-1).tobytes()
        bg = np.random.PCG64()
        bg.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[:16], "little"), "inc": int.from_bytes(raw[16:32], "little")},
            "has_uint32": raw[32],
            "uinteger": int.from_bytes(raw[33:37], "little"),
        }
        self._rng = np.random.Generator(bg)
        self._initial_seed = int.from_bytes(raw[37:45], "little")
        return self

    def __repr__(self) -> str:
        return f"<rustytorch.Generator object at 0x{id(self):x}>"


#: the global generator that random functions use when no ``generator=`` is given; seeded from the
#: operating system at import, as torch 2.13's
default_generator = Generator()
default_generator.seed()


def rng(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator that draws for ``generator`` (the global one when None)."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a rustytorch.Generator as generator=, got {type(generator).__name__}")
    return generator._rng


def manual_seed(seed: int) -> Generator:
    """Seed the global generator and return it, as ``torch.manual_seed``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> _ = rt.manual_seed(0); a = rt.rand(2)
    >>> _ = rt.manual_seed(0); bool((rt.rand(2) == a).all())
    True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from the operating system's entropy and return the seed, as ``torch.seed``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> s = rt.seed(); s == rt.initial_seed()
    True
    """
    return default_generator.seed()


def initial_seed() -> int:
    """The seed of the global generator, as ``torch.initial_seed``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> _ = rt.manual_seed(7); rt.initial_seed()
    7
    """
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """The state of the global generator as a uint8 tensor, as ``torch.get_rng_state``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> s = rt.get_rng_state(); a = rt.rand(2); rt.set_rng_state(s)
    >>> bool((rt.rand(2) == a).all())
    True
    """
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Restore the global generator's state from ``get_rng_state``, as ``torch.set_rng_state``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> s = rt.get_rng_state(); a = rt.randn(2); rt.set_rng_state(s); bool((rt.randn(2) == a).all())
    True
    """
    default_generator.set_state(new_state)
