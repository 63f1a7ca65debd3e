# Writes a GPT-2-small-shape model (random weights, 12 layers, d 768) in Hugging Face layout for benchmarks.
import json, os, sys, numpy as np
out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gpt2s"
os.makedirs(out, exist_ok=True)
d, L, V = 768, 12, 50257
P = int(sys.argv[2]) if len(sys.argv) > 2 else 1024  # n_positions
rng = np.random.default_rng(0)
t = {"wte.weight": (V, d), "wpe.weight": (P, d), "ln_f.weight": (d,), "ln_f.bias": (d,)}
for l in range(L):
    p = f"h.{l}."
    t.update({p + "ln_1.weight": (d,), p + "ln_1.bias": (d,), p + "attn.c_attn.weight": (d, 3 * d), p + "attn.c_attn.bias": (3 * d,),
              p + "attn.c_proj.weight": (d, d), p + "attn.c_proj.bias": (d,), p + "ln_2.weight": (d,), p + "ln_2.bias": (d,),
              p + "mlp.c_fc.weight": (d, 4 * d), p + "mlp.c_fc.bias": (4 * d,), p + "mlp.c_proj.weight": (4 * d, d), p + "mlp.c_proj.bias": (d,)})
header, off, blobs = {}, 0, []
for name, shape in t.items():
    a = (np.ones(shape) if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight"
         else rng.normal(0, 0.02, shape)).astype("<f4")
    header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
    blobs.append(a.tobytes())
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(out, "model.safetensors"), "wb") as f:
    f.write(len(h).to_bytes(8, "little")); f.write(h)
    for b in blobs: f.write(b)
json.dump({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": d, "n_layer": L, "n_head": 12, "n_positions": P,
           "vocab_size": V, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}, open(os.path.join(out, "config.json"), "w"))
