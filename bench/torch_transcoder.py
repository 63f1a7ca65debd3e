"""Transcoder training steps in PyTorch, written the usual way (SAELens / circuit-tracer style: dense encode, top-k,
dense decode, unit-norm decoder rows with gradient projection, Adam). Kinds: transcoder (a PLT per layer),
skip_transcoder (plus W_skip), clt (an encoder per layer; each feature's decoder writes to its own and every later
layer; a feature's decoder row is unit-norm over all its target layers).
Usage: python3 torch_transcoder.py KIND LAYERS D_MODEL D_TC K BATCH STEPS. Prints median and best tokens/s."""
import sys, time
import torch

torch.set_num_threads(2)
kind = sys.argv[1]
layers, d, n, k, batch, steps = map(int, sys.argv[2:8])
torch.manual_seed(0)
clt = kind == "clt"
targets = [layers - i if clt else 1 for i in range(layers)]
W_enc = [torch.nn.Parameter(torch.nn.functional.normalize(torch.randn(d, n), dim=0)) for _ in range(layers)]
b_enc = [torch.nn.Parameter(torch.zeros(n)) for _ in range(layers)]
W_dec = [torch.nn.Parameter(torch.nn.functional.normalize(torch.randn(n, t * d), dim=1)) for t in targets]
b_dec = torch.nn.Parameter(torch.zeros(layers, d))
W_skip = [torch.nn.Parameter(torch.zeros(d, d)) for _ in range(layers)] if kind == "skip_transcoder" else []
opt = torch.optim.Adam(W_enc + b_enc + W_dec + [b_dec] + W_skip, lr=1e-4)
x = torch.randn(batch, layers, d)
y = torch.randn(batch, layers, d)


def step():
    recon = b_dec.expand(batch, layers, d).clone()
    for i in range(layers):
        pre = x[:, i] @ W_enc[i] + b_enc[i]
        vals, idx = pre.topk(k, dim=-1)
        acts = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
        out = (acts @ W_dec[i]).view(batch, targets[i], d)
        recon[:, i:i + targets[i]] = recon[:, i:i + targets[i]] + out
        if W_skip:
            recon[:, i] = recon[:, i] + x[:, i] @ W_skip[i].T
    loss = (recon - y).pow(2).sum(-1).sum(-1).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    with torch.no_grad():  # remove the gradient component parallel to each unit decoder row
        for W in W_dec:
            W.grad -= (W.grad * W).sum(-1, keepdim=True) * W
    opt.step()
    with torch.no_grad():
        for W in W_dec:
            W.data = torch.nn.functional.normalize(W.data, dim=1)


times = []
for i in range(steps + 2):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
timed = sorted(times[2:])
median, best = timed[len(timed) // 2], timed[0]
print(f"torch {torch.__version__} {kind} topk layers={layers} d_model={d} d_tc={n} k={k} batch={batch} threads={torch.get_num_threads()}: "
      f"median {median:.3f} s/step ({batch / median:.0f} tok/s), best {best:.3f} s/step ({batch / best:.0f} tok/s)")
