#!/usr/bin/env python3
"""Training throughput of a minimal GPT-2 (optionally attention-only) in PyTorch, the same step as
`loupe train-lm`: learned positions, pre-LayerNorm, gelu_new MLP, tied unembedding, next-token
cross-entropy, AdamW (betas 0.9/0.95, weight decay 0.1 on attention/MLP matrices), global-norm
clipping at 1. Random token ids (throughput does not depend on the data). Prints one JSON line."""
import argparse, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, d_mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.mlp = None
        if d_mlp > 0:
            self.ln2 = nn.LayerNorm(d)
            self.mlp = nn.Sequential(nn.Linear(d, d_mlp), nn.GELU(approximate="tanh"), nn.Linear(d_mlp, d))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        z = scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        x = x + self.out(z.transpose(1, 2).reshape(b, t, d))
        if self.mlp is not None:
            x = x + self.mlp(self.ln2(x))
        return x


class Gpt(nn.Module):
    def __init__(self, vocab, ctx, d, layers, heads, d_mlp):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(Block(d, heads, d_mlp) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.T


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--context", type=int, required=True)
    p.add_argument("--d-model", type=int, required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--d-mlp", type=int, default=0, help="0 = attention-only")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup-steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Gpt(a.vocab, a.context, a.d_model, a.layers, a.heads, a.d_mlp)
    for n, q in model.named_parameters():  # GPT-2 initialisation, as Loupe's
        if q.dim() == 2:
            nn.init.normal_(q, std=0.02 / math.sqrt(2 * a.layers) if n.endswith(("out.weight", "mlp.2.weight")) else 0.02)
        elif n.endswith("bias"):
            nn.init.zeros_(q)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and not n.startswith(("wte", "wpe"))]
    rest = [p for n, p in model.named_parameters() if not (p.dim() == 2 and not n.startswith(("wte", "wpe")))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    ids = torch.randint(0, a.vocab, (a.steps, a.batch, a.context))
    timed, start = 0, None
    for step in range(a.steps):
        if step == a.warmup_steps:
            start = time.perf_counter()
        x = ids[step]
        logits = model(x)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= a.warmup_steps:
            timed += a.batch * a.context
    seconds = time.perf_counter() - start
    print(json.dumps({"impl": "pytorch " + torch.__version__, "threads": a.threads, "tokens_per_second": timed / seconds,
                      "steps_timed": a.steps - a.warmup_steps, "final_loss": loss.item()}))


if __name__ == "__main__":
    main()
