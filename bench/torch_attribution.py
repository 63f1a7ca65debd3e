# PyTorch peer of Loupe's attribution graph, written as circuit-tracer does it: one forward of B copies of the local
# replacement model (frozen patterns and LayerNorm scales, MLPs replaced by their frozen outputs) whose autograd graph is
# kept, then one backward per batch of B targets injected at their layers; logits first, then features in natural order
# or, under a budget, by partial influence re-ranked every 4 batches (circuit-tracer's update_interval); f32 on the CPU.
# usage: torch_attribution.py MODEL_DIR TRANSCODER_DIR IDS_CSV MAX_FEATURE_NODES BATCH [THREADS]
import json, math, os, resource, struct, sys, time
import numpy as np, torch
model_dir, tc_dir, ids_csv, budget, B = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(int(sys.argv[6]) if len(sys.argv) > 6 else 2)
torch.set_grad_enabled(False)

def load(p):  # safetensors (F32) through a memory map: one copy per tensor
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n))
    mm = np.memmap(p, np.uint8, "r", offset=8 + n)
    return {k: torch.from_numpy(np.array(mm[v["data_offsets"][0]:v["data_offsets"][1]].view(np.float32).reshape(v["shape"])))
            for k, v in h.items() if k != "__metadata__"}

W = load(os.path.join(model_dir, "model.safetensors")); cfg = json.load(open(os.path.join(model_dir, "config.json")))
W = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in W.items()}
L, d, H = cfg["n_layer"], cfg["n_embd"], cfg["n_head"]; dh = d // H; eps = cfg.get("layer_norm_epsilon", 1e-5)
tcs = [load(os.path.join(tc_dir, f"layer_{l}.safetensors")) for l in range(L)]
ids = [int(t) for t in ids_csv.split(",")]; P = len(ids)

def gelu(x): return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

t0 = time.time()
def log(what):  # progress on stderr, to extrapolate a run stopped by a limit
    print(f"{what} at {time.time() - t0:.1f} s, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MiB", file=sys.stderr, flush=True)
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
log(f"{F} active features")
tok = W["wte.weight"][ids]

# phase 3: one forward of B copies of the replacement model, its graph kept for every backward (as circuit-tracer does)
with torch.enable_grad():
    emb = tok.expand(B, P, d).clone().requires_grad_(True)
    x = emb + W["wpe.weight"][:P]; posts, mlp_ins = [], []
    for l in range(L):
        p = f"h.{l}."
        h = ln(x, f"ln1.{l}", p + "ln_1", scale)
        v = (h @ W[p + "attn.c_attn.weight"][:, 2 * d:] + W[p + "attn.c_attn.bias"][2 * d:]).reshape(B, P, H, dh)
        mid = x + torch.einsum("hqk,bkhd->bqhd", pattern[l], v).reshape(B, P, d) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        mlp_ins.append(ln(mid, f"ln2.{l}", p + "ln_2", scale))
        x = mid + mlp_out[l]; posts.append(x)
    final = ln(x, "ln_f", "ln_f", scale)

log("forward of the copies")
CHUNK = int(os.environ.get("ATTR_CHUNK", 65536))  # features per gather: its transient is 4 · B · CHUNK · d bytes (3 GiB at B = 16)
def rows(targets):  # targets: list of (layer or L for logits, pos, direction); one backward from the deepest target
    b = len(targets); outs, grads = [], []
    for tl in sorted({t[0] for t in targets}):
        g = torch.zeros(B, P, d)
        for j, (l, tp_, dv) in enumerate(targets):
            if l == tl: g[j, tp_] = dv
        outs.append(final if tl == L else mlp_ins[tl]); grads.append(g)
    depth = max(t[0] for t in targets)
    ins = posts[:min(depth, L)] + [emb]
    with torch.enable_grad():
        gs = torch.autograd.grad(outs, ins, grads, retain_graph=True, allow_unused=True)
    out = torch.zeros(b, cols)
    for l, g in enumerate(gs[:-1]):
        if g is None: continue
        g = g[:b]; a, e = layer_start[l], layer_start[l + 1]
        for c0 in range(a, e, CHUNK):  # feature columns in chunks: gather the gradient at each feature's position
            c1 = min(e, c0 + CHUNK); f = feats[c0:c1]
            out[:, c0:c1] = torch.einsum("bnd,nd->bn", g[:, f[:, 1]], tcs[l]["W_dec"][f[:, 2]]) * vals[c0:c1]
        out[:, F + l * P:F + (l + 1) * P] = (g * err[l]).sum(-1)
    out[:, F + L * P:] = (gs[-1][:b] * tok).sum(-1)
    return out

logit_rows = torch.cat([rows([(L, P - 1, logit_dirs[j]) for j in range(a, min(n_logit, a + B))]) for a in range(0, n_logit, B)])
log("logit rows")
feature_rows = {}
def visit(idx):
    r = rows([(int(feats[i, 0]), int(feats[i, 1]), tcs[int(feats[i, 0])]["W_enc"][int(feats[i, 2])]) for i in idx])
    for j, i in enumerate(idx): feature_rows[i] = r[j]
    log(f"{len(feature_rows)} feature rows")
budget = min(budget, F)
if budget == F:
    for a in range(0, F, B): visit(list(range(a, min(F, a + B))))
else:  # circuit-tracer's loop: rank by partial influence, visit the next 4 batches, re-rank
    edges = torch.zeros(n_logit + budget, cols); edges[:n_logit] = logit_rows; row_node = list(range(F + (L + 1) * P, F + (L + 1) * P + n_logit))
    while len(feature_rows) < budget:
        A = edges[:len(row_node)].abs(); A /= A.sum(1, keepdim=True).clamp(min=1e-10)
        prod = torch.zeros(cols + n_logit); prod[cols:] = probs[ti[:n_logit]]; infl = torch.zeros(cols + n_logit)
        idx = torch.tensor(row_node)
        for _ in range(L + 2):
            prod = torch.cat([prod[idx] @ A, torch.zeros(n_logit)])
            if not prod.any(): break
            infl += prod
        infl = infl[:F].clone(); infl[sorted(feature_rows)] = -1
        queue = infl.topk(min(4 * B, budget - len(feature_rows))).indices.tolist()
        for a in range(0, len(queue), B):
            batch = queue[a:a + B]; visit(batch)
            for i in batch: edges[len(row_node)] = feature_rows[i]; row_node.append(i)
sel = sorted(feature_rows); n = len(sel) + (L + 1) * P + n_logit
A = torch.zeros(n, n)
col = torch.tensor(sel + list(range(F, cols)))
for r, i in enumerate(sel): A[r, :len(sel) + (L + 1) * P] = feature_rows[i][col]
A[n - n_logit:, :len(sel) + (L + 1) * P] = logit_rows[:, col]
dt = time.time() - t0
print(json.dumps({"impl": "torch", "tokens": P, "active_features": F, "feature_nodes": len(sel), "nodes": n, "seconds": round(dt, 2), "abs_sum": sum(float(A[i:i + 1024].abs().double().sum()) for i in range(0, n, 1024)),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
if os.environ.get("ATTR_DUMP"):  # the adjacency and selected features, to compare with Loupe's graph.safetensors
    np.save(os.environ["ATTR_DUMP"], A.numpy()); np.save(os.environ["ATTR_DUMP"] + ".sel.npy", np.array(sel))
