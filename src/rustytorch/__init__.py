"""RustyTorch: a small, readable tensor + autograd library with PyTorch's API, on NumPy."""

from __future__ import annotations

from . import _malloc

_malloc.tune_malloc()  # before the first tensor: see _malloc (opt out with RUSTYTORCH_TUNE_MALLOC=0)

from . import _dtype
from ._dtype import *
from ._parallel import get_num_threads, set_num_threads
from ._printing import get_printoptions, printoptions, set_printoptions
from ._tensor import Size, Tensor, device, is_tensor
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops import *
from ._interop import from_dlpack, is_floating_point, is_nonzero, numel
from . import autograd
from . import linalg
from . import nn
from . import optim
from . import utils
from .serialization import load, save

__version__ = "0.1.0.dev0"
