#!/usr/bin/env python3
"""PyTorch peer of `loupe bench` on the real model shapes of `loupe bench make-model --shape NAME`:
GPT-2 (torch_gpt2.Gpt2), and a minimal Llama / Qwen 3 / Gemma 2 forward written here. Weights are upcast to
float32 at load (BF16 checkpoints included), 2 threads, inference mode; the same modes, ids and RESULT lines
as torch_gpt2.py, plus load_s (seconds to read the checkpoint and build the model).

  torch_shapes.py forward --model DIR --batch 1 --pos 512 [--resid-post]
  torch_shapes.py decode --model DIR --tokens 64
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn.functional as F

import torch_gpt2
from torch_gpt2 import bench_decode, bench_forward, read_safetensors

torch_gpt2.DTYPES["BF16"] = torch.bfloat16
torch_gpt2.DTYPES["F16"] = torch.float16


class Llama:
    """LlamaForCausalLM (llama3 rope scaling), Qwen3ForCausalLM (per-head q/k RMSNorm) and
    Gemma2ForCausalLM (scaled embeddings, (1 + w) norms, four norms a block, GeGLU, soft-caps, local layers)."""

    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            c = json.load(f)
        arch = c["architectures"][0]
        self.gemma, self.qwen3 = arch == "Gemma2ForCausalLM", arch == "Qwen3ForCausalLM"
        self.d, self.heads = c["hidden_size"], c["num_attention_heads"]
        self.kv = c.get("num_key_value_heads", self.heads)
        self.dh = c.get("head_dim") or self.d // self.heads
        self.eps = c["rms_norm_eps"]
        self.scale = (c["query_pre_attn_scalar"] if self.gemma else self.dh) ** -0.5
        self.attn_cap = c.get("attn_logit_softcapping") if self.gemma else None
        self.final_cap = c.get("final_logit_softcapping") if self.gemma else None
        self.window = c.get("sliding_window") if self.gemma else None
        w = {k: v.float() for k, v in read_safetensors(os.path.join(folder, "model.safetensors")).items()}
        self.wte = w["model.embed_tokens.weight"]
        self.unembed = w.get("lm_head.weight", self.wte)
        self.norm = self.gain(w["model.norm.weight"])
        self.blocks = []
        for l in range(c["num_hidden_layers"]):
            p = f"model.layers.{l}."
            b = {k: w[p + k + ".weight"] for k in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                                   "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")}
            for k in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                      "post_feedforward_layernorm", "self_attn.q_norm", "self_attn.k_norm"):
                if p + k + ".weight" in w:
                    b[k] = self.gain(w[p + k + ".weight"])
            self.blocks.append(b)
        inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, self.dh, 2, dtype=torch.float64) / self.dh))
        s = c.get("rope_scaling") or {}
        if s.get("rope_type") == "llama3":
            low, high = s["original_max_position_embeddings"] / s["low_freq_factor"], s["original_max_position_embeddings"] / s["high_freq_factor"]
            wavelen = 2 * math.pi / inv
            smooth = (s["original_max_position_embeddings"] / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
            scaled = torch.where(wavelen > low, inv / s["factor"], inv)
            mid = (wavelen <= low) & (wavelen >= high)
            inv = torch.where(mid, (1 - smooth) * inv / s["factor"] + smooth * inv, scaled)
        self.inv_freq = inv.float()

    def gain(self, w):
        return 1 + w if self.gemma else w

    def new_cache(self, batch, capacity):
        return [(torch.empty(batch, self.kv, capacity, self.dh), torch.empty(batch, self.kv, capacity, self.dh))
                for _ in self.blocks]

    def rms(self, x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * g

    def rope(self, x, start):
        pos = torch.arange(start, start + x.shape[2], dtype=torch.float32)
        ang = torch.outer(pos, self.inv_freq)
        cos, sin = torch.cat([ang.cos(), ang.cos()], -1), torch.cat([ang.sin(), ang.sin()], -1)
        half = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin

    def forward(self, ids, cache=None, start=0, keep=None, last_only=False):
        x = self.wte[ids]
        if self.gemma:
            x = x * torch.tensor(self.d ** 0.5, dtype=torch.float32)
        for l, b in enumerate(self.blocks):
            h = self.rms(x, b["input_layernorm"])
            a = self.attention(h, b, None if cache is None else cache[l], start, local=self.gemma and l % 2 == 0)
            if self.gemma:
                a = self.rms(a, b["post_attention_layernorm"])
                x = x + a
                h = self.rms(x, b["pre_feedforward_layernorm"])
            else:
                x = x + a
                h = self.rms(x, b["post_attention_layernorm"])
            act = F.gelu(h @ b["mlp.gate_proj"].t(), approximate="tanh") if self.gemma else F.silu(h @ b["mlp.gate_proj"].t())
            m = (act * (h @ b["mlp.up_proj"].t())) @ b["mlp.down_proj"].t()
            x = x + (self.rms(m, b["post_feedforward_layernorm"]) if self.gemma else m)
            if keep is not None:
                keep.append(x)
        x = self.rms(x, self.norm)
        if last_only:
            x = x[:, -1:]
        logits = x @ self.unembed.t()
        if self.final_cap:
            logits = torch.tanh(logits / self.final_cap) * self.final_cap
        return logits

    def attention(self, x, b, kv, start, local):
        batch, pos, _ = x.shape
        q = (x @ b["self_attn.q_proj"].t()).view(batch, pos, self.heads, self.dh).transpose(1, 2)
        k = (x @ b["self_attn.k_proj"].t()).view(batch, pos, self.kv, self.dh).transpose(1, 2)
        v = (x @ b["self_attn.v_proj"].t()).view(batch, pos, self.kv, self.dh).transpose(1, 2)
        if self.qwen3:
            q, k = self.rms(q, b["self_attn.q_norm"]), self.rms(k, b["self_attn.k_norm"])
        q, k = self.rope(q, start), self.rope(k, start)
        end = start + pos
        if kv is not None:
            kv[0][:, :, start:end], kv[1][:, :, start:end] = k, v
            k, v = kv[0][:, :, :end], kv[1][:, :, :end]
        group = self.heads // self.kv
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        scores = (q * self.scale) @ k.transpose(2, 3)
        if self.attn_cap:
            scores = torch.tanh(scores / self.attn_cap) * self.attn_cap
        qpos = torch.arange(start, end).view(-1, 1)
        kpos = torch.arange(end).view(1, -1)
        masked = kpos > qpos
        if local and self.window:
            masked = masked | (kpos <= qpos - self.window)
        if pos > 1 or local:
            scores = scores.masked_fill(masked, float("-inf"))
        z = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, pos, self.heads * self.dh)
        return z @ b["self_attn.o_proj"].t()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["forward", "decode"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--pos", type=int, default=512)
    ap.add_argument("--resid-post", action="store_true")
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--prompt-len", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with torch.inference_mode():
        t0 = time.perf_counter()
        with open(os.path.join(a.model, "config.json")) as f:
            gpt2 = json.load(f)["architectures"][0] == "GPT2LMHeadModel"
        m = torch_gpt2.Gpt2(a.model) if gpt2 else Llama(a.model)
        if gpt2:  # Gpt2 keeps views of the file's bytes: upcast them as Llama does
            m.wte, m.wpe = m.wte.float(), m.wpe.float()
            m.blocks = [{k: v.float() for k, v in b.items()} for b in m.blocks]
            m.ln_f = tuple(t.float() for t in m.ln_f)
        load_s = time.perf_counter() - t0
        print(f"pytorch loaded {a.model} in {load_s:.1f} s")
        print("RESULT " + json.dumps({"impl": "pytorch", "bench": "load", "model": a.model, "load_s": load_s}))
        (bench_forward if a.mode == "forward" else bench_decode)(m, a)


if __name__ == "__main__":
    main()
