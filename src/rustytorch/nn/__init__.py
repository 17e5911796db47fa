"""Neural-network building blocks: ``Module``, ``Parameter``, layers, losses, ``functional``, ``init``."""

from __future__ import annotations

from . import functional, init, utils
from .module import Module
from .modules import *
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["Module", "Parameter", "functional", "init", "utils", *_modules_all]
