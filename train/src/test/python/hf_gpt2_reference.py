#!/usr/bin/env python3
"""Independent check that a `loupe train-lm` folder means what Hugging Face's GPT2LMHeadModel computes.
Reads config.json and model.safetensors with only json + torch (no Loupe code, no transformers), runs
GPT-2 exactly as transformers' GPT2 modules do (Conv1D = addmm(bias, x.view(-1, in), W[in, out]); MLP width
n_inner, 4·n_embd when null; the Loupe extension field loupe_attn_only is ignored, as transformers ignores
it), and prints the logits for the given ids as JSON. Usage: hf_gpt2_reference.py DIR ID,ID,..."""
import json, math, struct, sys
import torch


def load_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32) if b > a else torch.zeros(0)
        out[name] = t.reshape(info["shape"])
    return out


def conv1d(x, w, b):
    return torch.addmm(b, x.view(-1, x.shape[-1]), w).view(*x.shape[:-1], w.shape[1])


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def main():
    folder, ids = sys.argv[1], [int(i) for i in sys.argv[2].split(",")]
    cfg = json.load(open(folder + "/config.json"))
    w = load_safetensors(folder + "/model.safetensors")
    p = "transformer." if "transformer.wte.weight" in w else ""
    d, heads, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    inner = cfg.get("n_inner")
    inner = 4 * d if inner is None else inner  # transformers: `n_inner if n_inner is not None else 4 * hidden`
    x = torch.tensor([ids])
    h = w[p + "wte.weight"][x] + w[p + "wpe.weight"][torch.arange(len(ids))]
    T = len(ids)
    for l in range(cfg["n_layer"]):
        b = f"{p}h.{l}."
        a = torch.nn.functional.layer_norm(h, (d,), w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        q, k, v = conv1d(a, w[b + "attn.c_attn.weight"], w[b + "attn.c_attn.bias"]).split(d, dim=2)
        q, k, v = (z.view(1, T, heads, d // heads).transpose(1, 2) for z in (q, k, v))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d // heads)
        s = s.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), torch.finfo(s.dtype).min)
        z = (s.softmax(-1) @ v).transpose(1, 2).reshape(1, T, d)
        h = h + conv1d(z, w[b + "attn.c_proj.weight"], w[b + "attn.c_proj.bias"])
        m = torch.nn.functional.layer_norm(h, (d,), w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps)
        assert w[b + "mlp.c_fc.weight"].shape == (d, inner), "c_fc must be [n_embd, n_inner]"
        h = h + conv1d(gelu_new(conv1d(m, w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])),
                       w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
    h = torch.nn.functional.layer_norm(h, (d,), w[p + "ln_f.weight"], w[p + "ln_f.bias"], eps)
    print(json.dumps((h @ w[p + "wte.weight"].T)[0].tolist()))


if __name__ == "__main__":
    main()
