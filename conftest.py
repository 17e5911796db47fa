"""Shared pytest set-up for the test suite and the docstring examples (``--doctest-modules`` over src/rustytorch).

Every test and every docstring example starts from rustytorch's defaults: print options, default
dtype, grad mode, thread count and a seeded random generator, so that examples print what their
docstrings say whatever ran before them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rustytorch as rt
from rustytorch import _parallel

_THREADS = _parallel.get_num_threads()


@pytest.fixture(autouse=True)
def _rustytorch_defaults() -> Iterator[None]:
    rt.set_printoptions(profile="default")
    rt.set_default_dtype(rt.float32)
    rt.manual_seed(0)
    with rt.set_grad_enabled(True):
        yield
    rt.set_num_threads(_THREADS)
    rt.set_printoptions(profile="default")
    rt.set_default_dtype(rt.float32)
