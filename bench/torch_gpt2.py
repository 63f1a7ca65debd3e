#!/usr/bin/env python3
"""PyTorch peer of `loupe bench`: a minimal GPT-2 (float32, 2 threads, inference mode) that reads the
same model.safetensors and measures what `loupe bench forward|decode` measures, printing one
`RESULT {json}` line per measurement in the same format.

Modes (one per process, so each reports its own peak RSS, as each Loupe measurement runs in its own JVM):
  forward --batch 8 --pos 128 [--resid-post]   forward tokens/s; --resid-post keeps every block's output
  decode --tokens 128 --prompt-len 1           greedy batch-1 decode tokens/s with a KV cache, prefill excluded
  check --logits F.safetensors                 max |logits - Loupe's| for the ids stored in F ('loupe run' output)
"""
import argparse
import json
import os
import resource
import statistics
import struct
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    """name -> tensor, viewing one bytearray holding the whole file (no copies)."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        dtype = DTYPES[t["dtype"]]
        count = (end - start) // torch.empty((), dtype=dtype).element_size()
        out[name] = torch.frombuffer(data, dtype=dtype, count=count, offset=8 + n + start).view(t["shape"])
    return out


class Gpt2:
    """GPT2LMHeadModel's forward: pre-LayerNorm blocks, Conv1D weights [in, out], tied unembedding."""

    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        self.heads, self.d = cfg["n_head"], cfg["n_embd"]
        self.eps = cfg.get("layer_norm_epsilon", 1e-5)
        w = read_safetensors(os.path.join(folder, "model.safetensors"))
        p = "transformer." if "transformer.wte.weight" in w else ""
        self.wte, self.wpe = w[p + "wte.weight"], w[p + "wpe.weight"]
        self.blocks = [{k: w[f"{p}h.{l}.{k}"] for k in (
            "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
            "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
            "mlp.c_proj.weight", "mlp.c_proj.bias")} for l in range(cfg["n_layer"])]
        self.ln_f = (w[p + "ln_f.weight"], w[p + "ln_f.bias"])

    def new_cache(self, batch, capacity):
        dh = self.d // self.heads
        return [(torch.empty(batch, self.heads, capacity, dh), torch.empty(batch, self.heads, capacity, dh))
                for _ in self.blocks]

    def forward(self, ids, cache=None, start=0, keep=None, last_only=False):
        """Logits [batch, pos, vocab] for ids [batch, pos] at positions start..; `keep` collects each block's output."""
        batch, pos = ids.shape
        end = start + pos
        mask = torch.ones(pos, end, dtype=torch.bool).tril(diagonal=start).logical_not() if pos > 1 else None
        x = self.wte[ids] + self.wpe[start:end]
        for l, b in enumerate(self.blocks):
            h = F.layer_norm(x, (self.d,), b["ln_1.weight"], b["ln_1.bias"], self.eps)
            x = x + self.attention(h, b, None if cache is None else cache[l], start, mask)
            h = F.layer_norm(x, (self.d,), b["ln_2.weight"], b["ln_2.bias"], self.eps)
            h = F.gelu(conv1d(h, b["mlp.c_fc.weight"], b["mlp.c_fc.bias"]), approximate="tanh")
            x = x + conv1d(h, b["mlp.c_proj.weight"], b["mlp.c_proj.bias"])
            if keep is not None:
                keep.append(x)
        x = F.layer_norm(x, (self.d,), self.ln_f[0], self.ln_f[1], self.eps)
        if last_only:
            x = x[:, -1:]
        return torch.matmul(x, self.wte.t())

    def attention(self, x, b, kv, start, mask):
        batch, pos, d = x.shape
        dh = d // self.heads
        qkv = conv1d(x, b["attn.c_attn.weight"], b["attn.c_attn.bias"])
        q, k, v = (t.view(batch, pos, self.heads, dh).transpose(1, 2) for t in qkv.split(d, dim=2))
        end = start + pos
        if kv is not None:
            kv[0][:, :, start:end] = k
            kv[1][:, :, start:end] = v
            k, v = kv[0][:, :, :end], kv[1][:, :, :end]
        scores = torch.matmul(q * (dh ** -0.5), k.transpose(2, 3))
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        z = torch.matmul(scores.softmax(dim=-1), v).transpose(1, 2).reshape(batch, pos, d)
        return conv1d(z, b["attn.c_proj.weight"], b["attn.c_proj.bias"])


def conv1d(x, w, bias):
    """GPT-2's Conv1D (a linear layer with weight [in, out]), as Hugging Face computes it: one addmm."""
    return torch.addmm(bias, x.reshape(-1, x.shape[-1]), w).view(*x.shape[:-1], w.shape[1])


def bench_ids(batch, pos, vocab, seed):
    """The ids `loupe bench` uses: a fixed arithmetic sequence, so both sides see the same input."""
    return torch.tensor([[((b * pos + p) * 7919 + seed * 104729 + 13) % vocab for p in range(pos)] for b in range(batch)])


def result(bench, folder, rates, warmup, **extra):
    r = {"impl": "pytorch", "bench": bench, "model": folder, "threads": torch.get_num_threads(),
         "median_tok_s": statistics.median(rates), "best_tok_s": max(rates),
         "samples_tok_s": [round(v, 1) for v in rates], "warmup": warmup, "peak_heap_mib": None,
         "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **extra}
    print(f"  {r['median_tok_s']:.1f} tok/s median, {r['best_tok_s']:.1f} best ({len(rates)} iters after {warmup} warmup,"
          f" {r['threads']} threads)\n  peak RSS {r['peak_rss_mib']} MiB")
    print("RESULT " + json.dumps(r), flush=True)


def bench_forward(m, a):
    ids = bench_ids(a.batch, a.pos, m.wte.shape[0], a.seed)
    keep = [] if a.resid_post else None

    def once():
        if keep is not None:
            keep.clear()
        m.forward(ids, keep=keep)

    for _ in range(a.warmup):
        once()
    rates = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        once()
        rates.append(a.batch * a.pos / (time.perf_counter() - t0))
    what = f"keeping all {len(keep)} resid_post" if keep is not None else "no hooks"
    print(f"pytorch forward {a.batch} x {a.pos}, {what}")
    result("forward", a.model, rates, a.warmup, batch=a.batch, pos=a.pos,
           cache="blocks.*.hook_resid_post" if keep is not None else "")


def greedy(m, prompt, n):
    """n greedy tokens after prompt [1, len]; returns them and the time each was chosen."""
    cache = m.new_cache(1, prompt.shape[1] + n)
    ids, start, out, at = prompt, 0, [], []
    for _ in range(n):
        token = m.forward(ids, cache=cache, start=start, last_only=True)[0, -1].argmax().item()
        at.append(time.perf_counter())
        out.append(token)
        start += ids.shape[1]
        ids = torch.tensor([[token]])
    return out, at


def bench_decode(m, a):
    prompt = bench_ids(1, a.prompt_len, m.wte.shape[0], a.seed)
    rates, out = [], None
    for i in range(-a.warmup, a.iters):
        out, at = greedy(m, prompt, a.tokens)
        if i >= 0:
            rates.append((a.tokens - 1) / (at[-1] - at[0]))
    print(f"pytorch greedy decode, batch 1, {a.tokens} tokens after a {a.prompt_len}-token prompt (prefill excluded)")
    result("decode", a.model, rates, a.warmup, prompt_len=a.prompt_len, tokens=a.tokens,
           ids=prompt[0].tolist(), generated=out)


def check(m, a):
    ref = read_safetensors(a.logits)
    ids = ref["input_ids"]
    logits = m.forward(ids)
    diff = (logits - ref["logits"]).abs().max().item()
    scale = ref["logits"].abs().max().item()
    print(f"logits for {ids.shape[1]} tokens: max |pytorch - loupe| = {diff:.3g} (max |logit| {scale:.3g})")
    print("RESULT " + json.dumps({"impl": "pytorch", "bench": "check", "max_abs_diff": diff, "max_abs_logit": scale}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["forward", "decode", "check"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--pos", type=int, default=128)
    ap.add_argument("--resid-post", action="store_true")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--prompt-len", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--iters", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--logits")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    decode = a.mode == "decode"
    a.warmup = a.warmup if a.warmup is not None else (1 if decode else 2)
    a.iters = a.iters if a.iters is not None else (3 if decode else 5)
    torch.set_num_threads(a.threads)
    with torch.inference_mode():
        m = Gpt2(a.model)
        {"forward": bench_forward, "decode": bench_decode, "check": check}[a.mode](m, a)


if __name__ == "__main__":
    main()
