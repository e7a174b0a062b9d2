"""Every model the project defines, by name, with what is known of it.

Building a model imports torch; the registry itself only holds builders, so that
listing names stays cheap. ``lst models --json`` reports each entry with its
parameter count (counted on the built model) and, where defined, its
multiply-accumulate count and the figures the source paper gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .arch import LST_MODELS
from .errors import ConfigError

__all__ = ["ModelInfo", "build_model", "count_params", "get_info", "register", "registry"]


@dataclass(frozen=True)
class ModelInfo:
    """A model the project can build.

    ``build(dropout=...)`` returns a fresh ``torch.nn.Module``; ``macs`` (optional)
    returns its multiply-accumulates per input. ``paper`` holds figures quoted
    from the source paper, for reports next to ours.
    """

    name: str
    title: str
    dataset: str
    build: Callable
    macs: Callable | None = None
    paper: dict = field(default_factory=dict)
    description: str = ""


_REGISTRY: dict[str, ModelInfo] = {}


def register(info: ModelInfo) -> ModelInfo:
    if info.name in _REGISTRY:
        raise ValueError(f"model {info.name!r} is already registered")
    _REGISTRY[info.name] = info
    return info


def _register_lst():
    for arch in LST_MODELS.values():

        def build(arch=arch, dropout: float = 0.1):
            from .models import LSTNet

            return LSTNet(arch, dropout=dropout)

        register(
            ModelInfo(
                name=arch.name,
                title=arch.title,
                dataset="mnist",
                build=build,
                macs=lambda arch=arch: arch.macs,
                paper={"params": arch.params, "accuracy": arch.paper_accuracy},
                description=f"{arch.blocks} L2DST block(s)"
                + (" with residual L3(L2(L1(x))) + L1(x)" if arch.residual else "")
                + ", 784 -> 10 output layer",
            )
        )


_EXTRA_LOADED = False


def _load_extra():
    # Models defined in other modules register themselves on import.
    global _EXTRA_LOADED
    if _EXTRA_LOADED:
        return
    _EXTRA_LOADED = True
    import importlib

    for module in ("lst.transform.models",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def registry() -> dict[str, ModelInfo]:
    _load_extra()
    return dict(_REGISTRY)


def get_info(name: str) -> ModelInfo:
    reg = registry()
    try:
        return reg[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(reg)}") from None


def build_model(name: str, **kwargs):
    return get_info(name).build(**kwargs)


def count_params(model) -> int:
    """Trainable parameters (batch-norm affine included, running statistics not)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def state_tensors(model) -> dict[str, np.ndarray]:
    """A model's state as float32 NumPy arrays (buffers such as batch-norm statistics included)."""
    return {
        k: v.detach().cpu().numpy().astype(np.float32)
        for k, v in model.state_dict().items()
        if v.dtype.is_floating_point
    }


_register_lst()
