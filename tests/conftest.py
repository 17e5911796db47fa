"""Fixtures of the test suite (the per-test defaults live in the repository's root conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rustytorch as rt


@pytest.fixture
def threads() -> Iterator[None]:
    """Restore the thread count a test changes with ``rt.set_num_threads``."""
    before = rt.get_num_threads()
    yield
    rt.set_num_threads(before)
