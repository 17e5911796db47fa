"""A character-level transformer (embedding, causal multi-head attention, layer norm, MLP, AdamW)
trained on a text file shipped with the repository, then sampling text.

Run: python examples/char_transformer.py [--quick]
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from _common import parse_args, progress

import rustytorch as rt

TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tiny_corpus.txt")


def make_model(
    lib: Any, vocab_size: int, block_size: int = 32, n_embd: int = 32, n_head: int = 4, n_layer: int = 2
) -> Any:
    """A GPT-style model written against ``lib`` (rustytorch or torch): same names, same parameters."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1 = nn.LayerNorm(n_embd)
            self.attn = nn.MultiheadAttention(n_embd, n_head, batch_first=True)
            self.ln2 = nn.LayerNorm(n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

        def forward(self, x: Any, mask: Any) -> Any:
            h = self.ln1(x)
            a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
            x = x + a
            return x + self.mlp(self.ln2(x))

    class CharTransformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block_size = block_size
            self.tok = nn.Embedding(vocab_size, n_embd)
            self.pos = nn.Embedding(block_size, n_embd)
            self.blocks = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.head = nn.Linear(n_embd, vocab_size)

        def forward(self, idx: Any) -> Any:
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(lib.arange(t))
            mask = lib.triu(lib.ones(t, t, dtype=lib.bool), diagonal=1)  # True = may not attend
            for blk in self.blocks:
                x = blk(x, mask)
            return self.head(self.ln_f(x))

    return CharTransformer()


def load_text() -> tuple[np.ndarray, list[str]]:
    """The corpus as character ids, and the vocabulary."""
    with open(TEXT, encoding="utf-8") as f:
        text = f.read()
    vocab = sorted(set(text))
    ids = np.array([vocab.index(ch) for ch in text], dtype=np.int64)
    return ids, vocab


def batches(ids: np.ndarray, block: int, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random windows of ``block`` characters and the next-character targets."""
    starts = rng.integers(0, len(ids) - block - 1, batch)
    x = np.stack([ids[s : s + block] for s in starts])
    y = np.stack([ids[s + 1 : s + block + 1] for s in starts])
    return x, y


def sample(model: Any, vocab: list[str], prompt: str, n: int, temperature: float = 0.8, seed: int = 0) -> str:
    """Generate ``n`` characters after ``prompt``."""
    gen = rt.Generator().manual_seed(seed)
    idx = rt.tensor([[vocab.index(c) for c in prompt if c in vocab] or [0]])
    model.eval()
    with rt.no_grad():
        for _ in range(n):
            logits = model(idx[:, -model.block_size :])[:, -1, :] / temperature
            nxt = rt.multinomial(rt.softmax(logits, dim=-1), 1, generator=gen)
            idx = rt.cat([idx, nxt], dim=1)
    return "".join(vocab[i] for i in idx[0].tolist())


def train(
    steps: int, seed: int = 0, batch: int = 16, block: int = 32, lr: float = 3e-3
) -> tuple[Any, list[str], float]:
    """Train with AdamW and a cosine schedule; returns the model, the vocabulary and the last loss."""
    rt.manual_seed(seed)
    ids, vocab = load_text()
    model = make_model(rt, len(vocab), block_size=block)
    opt = rt.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = rt.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    rng = np.random.default_rng(seed)
    loss_val = math.nan
    for step in progress(range(steps), total=steps, desc="training"):
        xb, yb = batches(ids, block, batch, rng)
        logits = model(rt.tensor(xb))
        loss = rt.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), rt.tensor(yb).reshape(-1))
        opt.zero_grad()
        loss.backward()
        rt.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        loss_val = loss.item()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss_val:.3f}")
    return model, vocab, loss_val


def main() -> None:
    args = parse_args(__doc__ or "", steps=1500)
    model, vocab, loss = train(20 if args.quick else args.steps, seed=args.seed)
    print(f"final loss {loss:.3f}")
    print("sample:", sample(model, vocab, "The tensor ", 40 if args.quick else 300, seed=args.seed))


if __name__ == "__main__":
    main()
