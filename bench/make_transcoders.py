# Writes random per-layer transcoders in circuit-tracer's transcoder-set layout for attribution benchmarks:
# W_enc/W_dec [width, d] N(0, 1/d), b_enc set so that about L0 features fire per token on unit-variance inputs
# (ReLU), b_dec 0. usage: make_transcoders.py OUT D_MODEL N_LAYERS WIDTH L0
import json, math, os, sys, numpy as np
out, d, L, W, l0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1)
# P(N(0,1) > z) = l0 / W
lo, hi = 0.0, 10.0
for _ in range(60):
    z = (lo + hi) / 2
    if 0.5 * math.erfc(z / math.sqrt(2)) > l0 / W: lo = z
    else: hi = z
def save(path, tensors):
    header, off, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header).encode(); h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little")); f.write(h)
        for b in blobs: f.write(b)
for l in range(L):
    save(os.path.join(out, f"layer_{l}.safetensors"), {
        "W_enc": rng.standard_normal((W, d), dtype=np.float32) / math.sqrt(d), "b_enc": np.full(W, -z, np.float32),
        "W_dec": rng.standard_normal((W, d), dtype=np.float32) / math.sqrt(d), "b_dec": np.zeros(d, np.float32)})
with open(os.path.join(out, "config.yaml"), "w") as f:
    f.write(f"model_kind: transcoder_set\nscan: bench-random-{W}\nfeature_input_hook: mlp.hook_in\nfeature_output_hook: mlp.hook_out\n"
            "activation: relu\ntranscoders:\n" + "".join(f"  - layer_{l}.safetensors\n" for l in range(L)))
print(f"wrote {L} transcoders of width {W} (b_enc {-z:.3f} for L0 ~{l0:g}) to {out}")
