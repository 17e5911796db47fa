"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, custom Functions."""

from __future__ import annotations

from .engine import backward, grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled

__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode"]
