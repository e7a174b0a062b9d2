"""The LST models in PyTorch.

``L2DST`` on an N×N input X computes

    E = tanh(X·W1ᵀ + b1)      one shared linear map on every row
    Y = tanh(W2·E + b2)       one shared linear map on every column, b2[i] added to row i

with dropout (p = 0.1) after each linear map while training, as in the authors'
reference. LST-1 = L2DST → flatten (row-major) → Linear(N², 10) → log-softmax;
LST-2 stacks two blocks; ResLST-3 feeds L3(L2(L1(x))) + L1(x) to the output layer.
Inputs are normalised images (:func:`lst.arch.normalize`); weights are Glorot-uniform
and biases zero at initialisation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .arch import LSTArch, get_arch

__all__ = ["L2DST", "LSTNet", "build_model", "load_model", "model_from_tensors"]


class L2DST(nn.Module):
    """Learned 2-D separable transform of an ``n``×``n`` input (batch × n × n)."""

    def __init__(self, n: int = 28, *, dropout: float = 0.1):
        super().__init__()
        self.row = nn.Linear(n, n)
        self.col = nn.Linear(n, n)
        self.drop_row = nn.Dropout(dropout)
        self.drop_col = nn.Dropout(dropout)
        for lin in (self.row, self.col):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def _row_stage(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.drop_row(self.row(x)))

    def _col_stage(self, e: torch.Tensor) -> torch.Tensor:
        # W2·E + b2 (b2 along rows) is (Eᵀ·W2ᵀ + b2)ᵀ.
        return torch.tanh(self.drop_col(self.col(e.transpose(-1, -2)))).transpose(-1, -2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._col_stage(self._row_stage(x))

    def get_embeddings(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Row-stage output E and column-stage output Y (dropout not applied)."""
        e = torch.tanh(self.row(x))
        y = torch.tanh(self.col(e.transpose(-1, -2))).transpose(-1, -2)
        return e, y


class LSTNet(nn.Module):
    """LST-1, LST-2 or ResLST-3, as described by an :class:`~lst.arch.LSTArch`."""

    def __init__(self, arch: LSTArch, *, dropout: float = 0.1):
        super().__init__()
        self.arch = arch
        self.blocks = nn.ModuleList(L2DST(arch.n, dropout=dropout) for _ in range(arch.blocks))
        self.out = nn.Linear(arch.n * arch.n, arch.classes)
        self.drop_out = nn.Dropout(dropout)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The N×N image the output layer sees."""
        if self.arch.residual:
            first = self.blocks[0](x)
            return self.blocks[2](self.blocks[1](first)) + first
        for block in self.blocks:
            x = block(x)
        return x

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop_out(self.out(self.features(x).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log-probabilities (batch × classes) of normalised images (batch × N × N)."""
        return torch.log_softmax(self.logits(x), dim=1)

    def get_embeddings(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Row-stage and column-stage outputs ``(E, Y)`` of every block, in order."""
        out = []
        h = x
        for block in self.blocks:
            e, y = block.get_embeddings(h)
            out.append((e, y))
            h = y
        return out


def build_model(name: str, *, dropout: float = 0.1) -> LSTNet:
    return LSTNet(get_arch(name), dropout=dropout)


def model_from_tensors(arch: LSTArch, tensors: dict[str, np.ndarray]) -> LSTNet:
    model = LSTNet(arch)
    state = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in tensors.items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


def load_model(path, model: str | None = None) -> tuple[LSTNet, dict]:
    """Load a checkpoint (safetensors, or a reference ``.pth``) into an eval-mode model."""
    from .checkpoint import load_lst_checkpoint

    arch, tensors, meta = load_lst_checkpoint(path, model)
    return model_from_tensors(arch, tensors), meta
