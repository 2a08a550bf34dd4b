"""A GPT decoder and the span-QA head that sits on it.

Pre-LayerNorm blocks, causal `scaled_dot_product_attention`, GELU MLP, learned positions,
input and output embeddings tied. Shapes in comments: B batch, T time, C = d_model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from emergence.errors import CorruptInput


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int
    context: int  # longest sequence the position table covers
    n_layer: int
    n_head: int
    d_model: int
    dropout: float = 0.0
    bias: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=cfg.bias)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.bias)
        self.dropout = cfg.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        # (B, T, 3C) -> three (B, n_head, T, head_dim)
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.d_model, 4 * cfg.d_model, bias=cfg.bias),
            nn.GELU(),
            nn.Linear(4 * cfg.d_model, cfg.d_model, bias=cfg.bias),
            nn.Dropout(cfg.dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.wpe = nn.Embedding(cfg.context, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying: one matrix reads and writes tokens
        self.apply(self._init_weights)
        # GPT-2's scaled init for the projections that write into the residual stream, so its
        # variance does not grow with depth.
        for name, p in self.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_params(self) -> int:
        """Every parameter once (the tied embedding counted once), positions included."""
        return sum(p.numel() for p in self.parameters())

    def hidden_states(self, idx: torch.Tensor, n_layers: int | None = None) -> torch.Tensor:
        """(B, T) token ids -> (B, T, C) hidden states after the last LayerNorm.

        n_layers reads the residual stream after that many blocks instead of all of them (0: the
        embeddings), through the same final LayerNorm, so a probe on layer n_layer sees exactly
        the features of the frozen probe and every layer is on one scale.
        """
        T = idx.shape[1]
        if T > self.cfg.context:
            raise ValueError(f"sequence of {T} tokens is longer than the model's context {self.cfg.context}")
        pos = torch.arange(T, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        # slicing a ModuleList builds a new one: only do it when a probe asks for fewer layers
        for block in self.blocks if n_layers is None else self.blocks[:n_layers]:
            x = block(x)
        return self.ln_f(x)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """Logits (B, T, vocab), and the mean next-token cross-entropy when targets are given."""
        logits = self.lm_head(self.hidden_states(idx))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss


class SpanQA(nn.Module):
    """A GPT with one Linear(d_model, 2) head giving start and end logits per token.

    The input is `question <|sep|> context`: in a causal decoder every context token then sees
    the whole question. Padding goes at the end, where causal attention keeps it from ever
    being seen by a real token, so no attention mask is needed; the loss and the decoder mask
    padding and non-context positions out of the logits.
    """

    def __init__(self, lm: GPT, layer: int | None = None):
        super().__init__()
        self.lm = lm
        self.layer = layer  # read the LM after this many blocks (None: all), for layer-wise probes
        self.head = nn.Linear(lm.cfg.d_model, 2)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def span_logits(self, hidden: torch.Tensor, sep: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, C) hidden states -> start and end logits, each (B, T). `sep` (B,), the
        position of <|sep|> in each row, is for heads that read the question; this one does not."""
        start, end = self.head(hidden).unbind(-1)
        return start, end

    def features(self, idx: torch.Tensor) -> torch.Tensor:
        return self.lm.hidden_states(idx, self.layer)

    def forward(self, idx: torch.Tensor, sep: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.span_logits(self.features(idx), sep)


class QuestionAwareSpanQA(SpanQA):
    """The span head plus a bilinear term that reads the question: start/end logit of token t =
    head(h_t) + h_t . (W q + b), where q is the state at <|sep|>, which in a causal LM has read
    the whole question. The linear head alone must find the answer in what the LM already wrote
    into each context token; this one can also pick, per question, which direction in the
    states to look along. 2C^2 + 4C + 2 parameters."""

    def __init__(self, lm: GPT, layer: int | None = None):
        super().__init__(lm, layer)
        d = lm.cfg.d_model
        self.query = nn.Linear(d, 2 * d)
        nn.init.normal_(self.query.weight, std=0.02)
        nn.init.zeros_(self.query.bias)

    def span_logits(self, hidden: torch.Tensor, sep: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if sep is None:
            raise ValueError("the question-aware head needs the <|sep|> position of every row")
        B, _, C = hidden.shape
        question = hidden[torch.arange(B, device=hidden.device), sep]        # (B, C)
        directions = self.query(question).view(B, 2, C)                       # start, end
        logits = self.head(hidden) + torch.einsum("btc,bkc->btk", hidden, directions)
        start, end = logits.unbind(-1)
        return start, end


def span_loss(start: torch.Tensor, end: torch.Tensor, context_mask: torch.Tensor,
              start_pos: torch.Tensor, end_pos: torch.Tensor) -> torch.Tensor:
    """Mean of start and end cross-entropy over context positions only.

    context_mask (B, T) is True where a token belongs to the context; every other position
    (question, separator, padding) gets -inf, so it can neither be predicted nor take mass.
    """
    neg = torch.finfo(start.dtype).min
    start = start.masked_fill(~context_mask, neg)
    end = end.masked_fill(~context_mask, neg)
    return (F.cross_entropy(start, start_pos) + F.cross_entropy(end, end_pos)) / 2


# --- checkpoints ----------------------------------------------------------------------------

def weights_for_saving(module: nn.Module) -> dict[str, torch.Tensor]:
    """state_dict without the tied output matrix (safetensors refuses shared tensors; the tie
    is restored on load)."""
    return {k: v for k, v in module.state_dict().items() if not k.endswith("lm_head.weight")}


def load_weights(module: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Load weights saved by weights_for_saving, naming the file and the tensor that does not fit."""
    expected = weights_for_saving(module)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CorruptInput(f"{source}: tensors do not match the config "
                         f"(missing: {missing[:3]}, unexpected: {unexpected[:3]})")
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise CorruptInput(f"{source}: tensor {name} has shape {tuple(tensor.shape)}, "
                             f"the config needs {tuple(expected[name].shape)}")
    module.load_state_dict(state, strict=False)  # strict=False only for the tied lm_head
