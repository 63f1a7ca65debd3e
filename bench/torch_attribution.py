# PyTorch peer of Loupe's attribution graph (the same algorithm: circuit-tracer semantics, batched backward passes
# through the local replacement model with frozen patterns and LayerNorm scales, logits first, then features in
# natural order or, under a budget, by estimated influence), f32 on the CPU.
# usage: torch_attribution.py MODEL_DIR TRANSCODER_DIR IDS_CSV MAX_FEATURE_NODES BATCH [THREADS]
import json, math, os, resource, struct, sys, time
import numpy as np, torch
model_dir, tc_dir, ids_csv, budget, B = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(int(sys.argv[6]) if len(sys.argv) > 6 else 2)
torch.set_grad_enabled(False)

def load(p):
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
    return {k: torch.from_numpy(np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], np.float32).reshape(v["shape"]).copy())
            for k, v in h.items() if k != "__metadata__"}

W = load(os.path.join(model_dir, "model.safetensors")); cfg = json.load(open(os.path.join(model_dir, "config.json")))
W = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in W.items()}
L, d, H = cfg["n_layer"], cfg["n_embd"], cfg["n_head"]; dh = d // H; eps = cfg.get("layer_norm_epsilon", 1e-5)
tcs = [load(os.path.join(tc_dir, f"layer_{l}.safetensors")) for l in range(L)]
ids = [int(t) for t in ids_csv.split(",")]; P = len(ids)

def gelu(x): return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

t0 = time.time()
# phase 1: real forward, frozen quantities
scale, pattern, mlp_in, mlp_out = {}, [], [], []
def ln(x, name, p, frozen=None):
    xc = x - x.mean(-1, keepdim=True)
    s = frozen[name] if frozen is not None else (xc.pow(2).mean(-1, keepdim=True) + eps).sqrt()
    if frozen is None: scale[name] = s
    return xc / s * W[p + ".weight"] + W[p + ".bias"]
x = W["wte.weight"][ids] + W["wpe.weight"][:P]
mask = torch.tril(torch.ones(P, P, dtype=torch.bool))
for l in range(L):
    p = f"h.{l}."
    h = ln(x, f"ln1.{l}", p + "ln_1")
    q, k, v = (h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]).split(d, -1)
    q, k, v = (t.reshape(P, H, dh) for t in (q, k, v))
    a = (torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(dh)).masked_fill(~mask, float("-inf")).softmax(-1); pattern.append(a)
    x = x + torch.einsum("hqk,khd->qhd", a, v).reshape(P, d) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
    m = ln(x, f"ln2.{l}", p + "ln_2"); mlp_in.append(m)
    o = gelu(m @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"]) @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]; mlp_out.append(o)
    x = x + o
hf = ln(x, "ln_f", "ln_f"); logits = hf[-1] @ W["wte.weight"].T
# phase 2: features, errors
feats, vals, err, dec = [], [], [], []
for l in range(L):
    acts = torch.relu(mlp_in[l] @ tcs[l]["W_enc"].T + tcs[l]["b_enc"]); acts[0] = 0
    nz = acts.nonzero(); feats.append(torch.cat([torch.full((len(nz), 1), l), nz], 1)); v = acts[nz[:, 0], nz[:, 1]]; vals.append(v)
    e = mlp_out[l] - (acts @ tcs[l]["W_dec"] + tcs[l]["b_dec"]); e[0] = 0; err.append(e)
feats = torch.cat(feats); vals = torch.cat(vals); F = len(feats)
layer_start = [0] + list(np.cumsum([int((feats[:, 0] == l).sum()) for l in range(L)]))
# logit targets
probs = logits.softmax(-1); tp, ti = probs.sort(descending=True)
n_logit = min(10, int((tp.cumsum(0) < 0.95).sum()) + 1)
WU = W["wte.weight"]; logit_dirs = WU[ti[:n_logit]] - WU.mean(0)
cols = F + (L + 1) * P
tok = W["wte.weight"][ids]

def rows(targets):  # targets: list of (layer or L for logits, pos, direction)
    b = len(targets); depth = max(t[0] for t in targets)
    with torch.enable_grad():
        emb = tok.expand(b, P, d).clone().requires_grad_(True)
        x = emb + W["wpe.weight"][:P]; posts = []; probe = 0
        for l in range(min(depth + 1, L)):
            p = f"h.{l}."
            h = ln(x, f"ln1.{l}", p + "ln_1", scale)
            v = (h @ W[p + "attn.c_attn.weight"][:, 2 * d:] + W[p + "attn.c_attn.bias"][2 * d:]).reshape(b, P, H, dh)
            mid = x + torch.einsum("hqk,bkhd->bqhd", pattern[l], v).reshape(b, P, d) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
            h2 = ln(mid, f"ln2.{l}", p + "ln_2", scale)
            for j, (tl, tp_, dv) in enumerate(targets):
                if tl == l: probe = probe + h2[j, tp_] @ dv
            if l == depth: break
            x = mid + mlp_out[l]; x.retain_grad(); posts.append(x)
        if depth == L:
            hf = ln(x, "ln_f", "ln_f", scale)
            for j, (tl, tp_, dv) in enumerate(targets):
                if tl == L: probe = probe + hf[j, tp_] @ dv
        probe.backward()
    out = torch.zeros(b, cols)
    for l, x in enumerate(posts):
        g = x.grad
        if g is None: continue
        a, e = layer_start[l], layer_start[l + 1]
        for c0 in range(a, e, 65536):  # feature columns in chunks: gather the gradient at each feature's position
            c1 = min(e, c0 + 65536); f = feats[c0:c1]
            out[:, c0:c1] = torch.einsum("bnd,nd->bn", g[:, f[:, 1]], tcs[l]["W_dec"][f[:, 2]] * vals[c0:c1, None])
        out[:, F + l * P:F + (l + 1) * P] = (g * err[l]).sum(-1)
    out[:, F + L * P:] = (emb.grad * tok).sum(-1)
    return out

logit_rows = torch.cat([rows([(L, P - 1, logit_dirs[j]) for j in range(a, min(n_logit, a + B))]) for a in range(0, n_logit, B)])
feature_rows = {}
def visit(idx):
    r = rows([(int(feats[i, 0]), int(feats[i, 1]), tcs[int(feats[i, 0])]["W_enc"][int(feats[i, 2])]) for i in idx])
    for j, i in enumerate(idx): feature_rows[i] = r[j]
budget = min(budget, F)
if budget == F:
    for a in range(0, F, B): visit(list(range(a, min(F, a + B))))
else:
    while len(feature_rows) < budget:
        infl = torch.zeros(F, dtype=torch.float64)
        nxt = (probs[ti[:n_logit]].double()[:, None] * logit_rows[:, :F].abs().double() / logit_rows.abs().sum(1, keepdim=True).double().clamp(min=1e-10)).sum(0)
        vis = sorted(feature_rows); R = torch.stack([feature_rows[i] for i in vis]) if vis else None
        if R is not None: Rn = R[:, :F].abs().double() / R.abs().sum(1, keepdim=True).double().clamp(min=1e-10)
        for _ in range(L + 2):
            infl += nxt
            if R is None or not nxt.any(): break
            nxt = nxt[vis] @ Rn
        infl[vis] = -1
        visit(infl.topk(min(B, budget - len(feature_rows))).indices.tolist())
sel = sorted(feature_rows); n = len(sel) + (L + 1) * P + n_logit
A = torch.zeros(n, n)
col = torch.tensor(sel + list(range(F, cols)))
for r, i in enumerate(sel): A[r, :len(sel) + (L + 1) * P] = feature_rows[i][col]
A[n - n_logit:, :len(sel) + (L + 1) * P] = logit_rows[:, col]
dt = time.time() - t0
print(json.dumps({"impl": "torch", "tokens": P, "active_features": F, "feature_nodes": len(sel), "nodes": n, "seconds": round(dt, 2), "abs_sum": float(A.abs().double().sum()),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
