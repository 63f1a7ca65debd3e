"""Checks the Python client against a live Loupe server: python3 live_check.py URL API_KEY EXPECTED_DIR.

EXPECTED_DIR holds .npy files the Java test computed in process for the same requests; arrays must match bit
for bit. Prints 'N passed, 0 failed' and exits 0 when every check passes.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import numpy as np  # noqa: E402

import loupe  # noqa: E402

url, key, expected = sys.argv[1], sys.argv[2], sys.argv[3]
PROMPT = "Once upon a time, there was a little girl"
checks = []


def check(fn):
    checks.append(fn)
    return fn


def want(name):
    return np.load(os.path.join(expected, name + ".npy"))


@check
def cache():
    acts = loupe.run(PROMPT, cache=["blocks.*.hook_resid_post", "logits"])
    assert acts["blocks.3.hook_resid_post"].dtype == np.float32
    assert np.array_equal(acts["blocks.3.hook_resid_post"], want("resid_post_3")), "resid_post differs"
    assert np.array_equal(acts["logits"], want("logits")), "logits differ"
    assert list(acts.tokens) == list(want("tokens"))


@check
def reductions():
    acts = loupe.run(PROMPT, cache=[loupe.hook("blocks.3.hook_resid_post", positions=[-1], topk=3, as_="top"),
                                    loupe.hook("blocks.2.attn.hook_pattern", heads=[1], reduce="max")])
    full = want("resid_post_3")[-1]
    assert np.array_equal(acts["top.values"], np.sort(full)[::-1][:3].reshape(1, 3))
    assert acts["top.indices"].dtype == np.int64
    assert acts["blocks.2.attn.hook_pattern"].shape == (1, want("tokens").shape[0])


@check
def steer():
    v = want("steer_vector")
    acts = loupe.run(PROMPT, cache=["logits"], interventions=[loupe.steer("blocks.2.hook_resid_post", v, 3.0)])
    assert np.array_equal(acts["logits"], want("steered_logits")), "steered logits differ"


@check
def generate():
    s = loupe.generate("Once upon a time", max_tokens=24)
    pieces = list(s)
    assert s.tokens == list(want("generated")), (s.tokens, list(want("generated")))
    assert "".join(pieces) == s.text
    v = want("steer_vector")
    steered = str(loupe.generate("Once upon a time", max_tokens=24, interventions=[loupe.steer("blocks.2.hook_resid_post", v, 8.0)]))
    assert isinstance(steered, str)


@check
def gradients():
    g = loupe.gradients(PROMPT, grads=["blocks.0.hook_resid_pre"])
    assert np.float32(g.value) == want("loss")[0], (g.value, want("loss"))
    assert np.array_equal(g["blocks.0.hook_resid_pre"], want("grad_resid_pre_0"))


@check
def errors():
    try:
        loupe.run(PROMPT, cache=["blocks.0.hook_nope"])
    except loupe.LoupeError as e:
        assert e.status == 400 and "unknown hook" in e.message
    else:
        raise AssertionError("unknown hook accepted")
    try:
        loupe.Client(url, api_key="wrong-key-wrong-key").info()
    except loupe.LoupeError as e:
        assert e.status == 401
    else:
        raise AssertionError("wrong key accepted")


@check
def saes():
    assert loupe.saes() == []


@check
def lens():
    r = loupe.lens(PROMPT, topk=3)
    assert r["depths"][0] == "embed" and len(r["top_ids"][0][0]) == 3
    assert r["top_ids"].dtype == np.int64 and r["top_probs"].dtype == np.float32 and r["top_probs"].shape == r["top_ids"].shape


loupe.connect(url, key)
assert "blocks.0.hook_resid_pre" in loupe.hooks()
failed = 0
for c in checks:
    try:
        c()
        print("ok", c.__name__)
    except Exception as e:  # report every failure, then fail
        failed += 1
        print("FAIL", c.__name__, repr(e))
print(f"{len(checks) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
