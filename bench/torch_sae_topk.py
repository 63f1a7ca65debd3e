"""One TopK SAE training step in PyTorch, the way SAELens writes it (dense encode, top-k, dense decode,
AuxK omitted as no latent is dead in a short run, unit-norm decoder with gradient projection, Adam).
Usage: python3 torch_sae_topk.py D_IN D_SAE K BATCH STEPS. Prints median and best tokens/s."""
import sys, time
import torch

torch.set_num_threads(2)
d_in, d_sae, k, batch, steps = map(int, sys.argv[1:6])
torch.manual_seed(0)
W_dec = torch.nn.Parameter(torch.nn.functional.normalize(torch.randn(d_sae, d_in), dim=1))
W_enc = torch.nn.Parameter(W_dec.data.T.clone())
b_enc = torch.nn.Parameter(torch.zeros(d_sae))
b_dec = torch.nn.Parameter(torch.zeros(d_in))
opt = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=1e-4)
x = torch.randn(batch, d_in)


def step():
    pre = (x - b_dec) @ W_enc + b_enc
    vals, idx = pre.topk(k, dim=-1)
    acts = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
    recon = acts @ W_dec + b_dec
    loss = (recon - x).pow(2).sum(-1).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    with torch.no_grad():  # remove the gradient component parallel to each unit decoder row
        W_dec.grad -= (W_dec.grad * W_dec).sum(-1, keepdim=True) * W_dec
    opt.step()
    with torch.no_grad():
        W_dec.data = torch.nn.functional.normalize(W_dec.data, dim=1)


times = []
for i in range(steps + 2):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
timed = sorted(times[2:])
median, best = timed[len(timed) // 2], timed[0]
print(f"torch {torch.__version__} topk d_in={d_in} d_sae={d_sae} k={k} batch={batch} threads={torch.get_num_threads()}: "
      f"median {median:.3f} s/step ({batch / median:.0f} tok/s), best {best:.3f} s/step ({batch / best:.0f} tok/s)")
