"""Client for a Loupe server: a shared model's internals in a notebook, as numpy arrays.

    import loupe
    loupe.connect("http://127.0.0.1:7070", api_key="...")      # or LOUPE_URL / LOUPE_API_KEY
    acts = loupe.run("Once upon a time", cache=["blocks.*.hook_resid_post"])
    acts["blocks.3.hook_resid_post"].shape                    # (pos, d_model), float32
    for piece in loupe.generate("Once", interventions=[loupe.steer("blocks.2.hook_resid_post", v, 4)]):
        print(piece, end="")

Arrays travel as safetensors (bit-exact float32); reductions (positions, heads, mean/max, norms, top-k,
projections) run on the server so only what you ask for crosses the network. Standard library + numpy only.
"""

import json
import os
import struct
import urllib.error
import sys
import urllib.request

import numpy as np

try:  # experiments as code (docs/trace.md); beside this file in a checkout and when installed
    from loupe_trace import Generation, Trace, cat, einsum, stack, where
except ImportError:  # pragma: no cover - loupe.py copied alone
    Trace = Generation = None

__all__ = ["Client", "LoupeError", "Result", "connect", "client", "run", "generate", "gradients", "tokenize",
           "detokenize", "info", "hooks", "lens", "saes", "attribute", "intervene_features", "sae_encode", "sae_decode", "feature", "hook", "steer", "zero", "set_to", "project_out",
           "trace", "values", "fetch", "delete", "upload", "where", "cat", "stack", "einsum"]

_DTYPES = {"F32": np.float32, "I64": np.int64, "F64": np.float64, "I32": np.int32, "F16": np.float16}


class LoupeError(Exception):
    """A request the server refused: HTTP status and the server's message."""

    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class Result(dict):
    """Arrays by name (numpy), plus the response's other fields as attributes (tokens, value, batch_rows)."""

    def __init__(self, arrays, fields):
        super().__init__(arrays)
        self.fields = fields
        self.tokens = fields.get("tokens")
        self.value = fields.get("value")

    def __repr__(self):
        shapes = ", ".join(f"{k}: {tuple(v.shape)}" for k, v in self.items())
        return f"Result({shapes})"


def read_safetensors(data):
    """Arrays and metadata of safetensors bytes (header length, JSON header, little-endian data)."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    arrays = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        dtype = np.dtype(_DTYPES[t["dtype"]]).newbyteorder("<")
        arrays[name] = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start).reshape(t["shape"])
    fields = {}
    for k, v in meta.items():
        try:
            fields[k] = json.loads(v)
        except ValueError:
            fields[k] = v
    return arrays, fields


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.astype(np.float32).tolist() if x.dtype.kind == "f" else x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items() if v is not None}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


def hook(name, positions=None, heads=None, project=None, norm=None, reduce=None, topk=None, as_=None):
    """A cache entry with server-side reductions, applied in this order: positions, heads, project, norm, reduce, topk."""
    return {"hook": name, "positions": positions, "heads": heads, "project": project, "norm": norm, "reduce": reduce,
            "topk": topk, "as": as_}


# Interventions are entries of Loupe's intervention spec (docs/interventions.md); these build the common ones.
# positions: None (all), a list of absolute positions, or {"from": i, "to": j}.

def steer(hook_name, vector, scale=1.0, positions=None, heads=None):
    """Adds scale * vector (along the hook's last axis): steering."""
    return {"hook": hook_name, "op": "add", "vector": vector, "scale": scale, "positions": positions, "heads": heads}


def zero(hook_name, positions=None, heads=None):
    """Zero-ablation."""
    return {"hook": hook_name, "op": "zero", "positions": positions, "heads": heads}


def set_to(hook_name, value, positions=None, heads=None):
    """Replaces the activation with a number or a vector (along the last axis)."""
    return {"hook": hook_name, "op": "set", "value": value, "positions": positions, "heads": heads}


def project_out(hook_name, direction, positions=None, heads=None):
    """Removes the component along direction."""
    return {"hook": hook_name, "op": "project_out", "direction": direction, "positions": positions, "heads": heads}


class Stream:
    """A streamed generation: iterate for the text of each new token; .tokens and .text when it has finished."""

    def __init__(self, response):
        self._response = response
        self.tokens = []
        self.text = None
        self.result = None

    def __iter__(self):
        event = None
        with self._response as r:
            for raw in r:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    if event == "token":
                        self.tokens.append(data["token"])
                        yield data.get("text", "")
                    elif event == "done":
                        self.result = data
                        self.text = data.get("text")
                        return
                    elif event == "error":
                        raise LoupeError(data["status"], data["message"])
        raise LoupeError(0, "the event stream ended without a 'done' event")

    def __str__(self):
        if self.result is None:
            for _ in self:
                pass
        return self.text or ""


class _Generate:
    """What generate() returns: iterate it to stream text, or ``with ... as g: for step in g.steps():`` to trace
    a greedy generation with per-step reads and edits (docs/trace.md)."""

    def __init__(self, client, body, prompt, max_tokens):
        self._client, self._body, self._prompt, self._max = client, body, prompt, max_tokens
        self._stream = None

    def _started(self):
        if self._stream is None:
            self._stream = Stream(self._client._open("/v1/generate", self._body, accept="text/event-stream"))
        return self._stream

    def __iter__(self):
        return iter(self._started())

    def __str__(self):
        return str(self._started())

    def __getattr__(self, attr):  # tokens, text, result of the stream
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self._started(), attr)

    def __enter__(self):
        self._g = Generation(self._client, self._prompt, self._max)
        self._g._frame = sys._getframe(1)
        return self._g

    def __exit__(self, *exc):
        return self._g.__exit__(*exc)


class Client:
    """One server connection. url defaults to LOUPE_URL, api_key to LOUPE_API_KEY."""

    def __init__(self, url=None, api_key=None, timeout=120):
        self.url = (url or os.environ.get("LOUPE_URL") or "http://127.0.0.1:7070").rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("LOUPE_API_KEY")
        self.timeout = timeout

    def _open(self, path, body=None, accept="application/json", plain=False):
        headers = {"Accept": accept}
        if self.api_key:
            headers["Authorization"] = "Bearer " + self.api_key
        data = None
        if body is not None:
            data = json.dumps(body if plain else _jsonable(body), separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST" if data is not None else "GET")
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            payload = e.read()
            try:
                msg = json.loads(payload)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                msg = payload.decode("utf-8", "replace")
            raise LoupeError(e.code, msg) from None

    def _json(self, path, body=None):
        with self._open(path, body) as r:
            return json.loads(r.read())

    def _arrays(self, path, body):
        with self._open(path, body, accept="application/vnd.safetensors") as r:
            return Result(*read_safetensors(r.read()))

    @staticmethod
    def _input(prompt, tokens, bos):
        if (prompt is None) == (tokens is None):
            raise ValueError("give either a prompt (text) or tokens (ids)")
        return {"prompt": prompt} if prompt is not None else {"tokens": [int(t) for t in tokens], "bos": bos}

    def info(self):
        """Model sizes, tokenizer, and the server's limits."""
        return self._json("/v1/model")

    def hooks(self):
        """{hook name: shape} in forward order."""
        return {h["name"]: h["shape"] for h in self._json("/v1/hooks")["hooks"]}

    def tokenize(self, text, bos=True):
        """(ids, vocabulary strings)."""
        r = self._json("/v1/tokenize", {"prompt": text, "bos": bos})
        return r["tokens"], r["str_tokens"]

    def detokenize(self, tokens):
        return self._json("/v1/detokenize", {"tokens": [int(t) for t in tokens]})["text"]

    def run(self, prompt=None, cache=(), interventions=(), tokens=None, bos=True):
        """A forward pass: {name: array} for every cached hook ('logits' too), batch axis removed.

        With a list of prompts, one trace runs them all: {hook: array [batch, pos, ...]} in forward order (a list of
        per-prompt arrays when the prompts have different lengths); cache entries are hook names or globs.
        """
        if isinstance(prompt, (list, tuple)) and not isinstance(prompt, str):
            return self._run_batch(list(prompt), cache)
        body = self._input(prompt, tokens, bos)
        body.update(cache=list(cache), interventions=list(interventions))
        return self._arrays("/v1/run", body)

    def _run_batch(self, prompts, cache):
        import fnmatch
        names = list(self.hooks())
        wanted = []
        for c in cache:
            pat = c["hook"] if isinstance(c, dict) else c
            hits = [n for n in names if fnmatch.fnmatchcase(n, pat)]
            if not hits:
                raise LoupeError(400, f"cache: no hook matches {pat!r}")
            wanted += [n for n in hits if n not in wanted]
        wanted.sort(key=names.index)
        saved = {}
        with self.trace() as t:
            for i, p in enumerate(prompts):
                with t.invoke(p) as inv:
                    for n in wanted:
                        saved[(n, i)] = inv.hooks[n].save(f"{n}[{i}]")
        out = Result({}, t.fields)
        for n in wanted:
            rows = [saved[(n, i)].value for i in range(len(prompts))]
            out[n] = np.concatenate(rows) if len({r.shape for r in rows}) == 1 else [r[0] for r in rows]
        return out

    def gradients(self, prompt=None, grads=(), objective=None, interventions=(), tokens=None, bos=True):
        """Gradients at hooks of the next-token loss (default) or {"type": "logit_diff", "position", "target", "baseline"}; .value is the objective."""
        body = self._input(prompt, tokens, bos)
        body.update(grads=list(grads), objective=objective, interventions=list(interventions))
        return self._arrays("/v1/gradients", body)

    def generate(self, prompt=None, max_tokens=32, interventions=(), temperature=0.0, top_k=0, top_p=1.0, seed=0,
                 stop_at_eos=True, tokens=None, bos=True, stream=True):
        """Streams a continuation (iterate the result for text pieces; str() for the whole text); stream=False returns the final dict."""
        body = self._input(prompt, tokens, bos)
        body.update(max_tokens=max_tokens, interventions=list(interventions), temperature=temperature, top_k=top_k,
                    top_p=top_p, seed=seed, stop_at_eos=stop_at_eos)
        if not stream:
            return self._json("/v1/generate", body)
        return _Generate(self, body, prompt if prompt is not None else list(tokens), max_tokens)

    def _trace(self, graph):
        with self._open("/v1/trace", graph, accept="application/vnd.safetensors", plain=True) as r:  # graphs are plain JSON already
            return read_safetensors(r.read())

    def trace(self, prompts=None):
        """``with client.trace(prompts) as t:`` records tensor code on the model's hooks and runs it on the server at exit."""
        return Trace(self, prompts)

    def values(self):
        """This key's stored values: [{name, shape, dtype, bytes, expires_in_s}]."""
        return self._json("/v1/values", {"list": True})["values"]

    def fetch(self, name):
        """A stored value as a numpy array."""
        return self._arrays("/v1/values", {"get": name})[name]

    def delete(self, *names):
        return self._json("/v1/values", {"delete": list(names)})["deleted"]

    def upload(self, name, array):
        """Stores a float32 array on the server as `name` (for t.stored(name) in traces)."""
        a = np.ascontiguousarray(array, dtype="<f4")
        import base64
        return self._json("/v1/values", {"put": name, "shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")})

    def saes(self):
        """The SAEs the server loaded: [{name, hook, d_in, d_sae, features}]."""
        return self._json("/v1/saes")["saes"]

    def sae_encode(self, sae, prompt=None, topk=8, features=None, interventions=(), tokens=None, bos=True):
        """Feature activations at the SAE's hook: 'top.values'/'top.indices' [pos, k] and, for chosen features, 'acts' [pos, n]."""
        body = self._input(prompt, tokens, bos)
        body.update(sae=sae, topk=topk, features=features, interventions=list(interventions))
        return self._arrays("/v1/sae/encode", body)

    def sae_decode(self, sae, features):
        """The hook-space vector of {feature id: activation} (b_dec included)."""
        return self._arrays("/v1/sae/decode", {"sae": sae, "features": {str(k): float(v) for k, v in features.items()}})["vector"]

    def feature(self, sae, feature_id):
        """A feature's dashboard: frequency, histogram, top contexts, logit effects, decoder direction."""
        return self._json(f"/v1/saes/{urllib.request.quote(sae, safe='')}/features/{int(feature_id)}")

    def lens(self, prompt=None, topk=5, target=None, tokens=None, bos=True):
        """Logit lens: numpy top_ids, top_probs [depth, pos, k] (target_prob [depth, pos]), with depths, top_tokens, str_tokens."""
        body = self._input(prompt, tokens, bos)
        body.update(topk=topk, target=target)
        r = self._arrays("/v1/lens", body)
        for k, v in r.fields.items():
            r.setdefault(k, v)
        return r

    def attribute(self, prompt=None, tokens=None, bos=True, max_n_logits=10, desired_logit_prob=0.95, node_threshold=0.8,
                  edge_threshold=0.98, max_feature_nodes=None):
        """An attribution graph through the server's transcoders (circuit-tracer semantics), pruned: the JSON the graph
        front ends read — metadata (prompt_tokens, prompt_ids, replacement_score, completeness_score), nodes, links."""
        body = self._input(prompt, tokens, bos)
        body.update(max_n_logits=max_n_logits, desired_logit_prob=desired_logit_prob, node_threshold=node_threshold,
                    edge_threshold=edge_threshold)
        if max_feature_nodes is not None:
            body["max_feature_nodes"] = int(max_feature_nodes)
        return self._json("/v1/attribute", body)

    def attribute_qk(self, layer, head, key_position, query_position=None, prompt=None, tokens=None, bos=True, top_k=10):
        """QK attribution: head ``head`` of ``layer``, its pre-softmax score from ``query_position`` (default: the last
        token) to ``key_position``, split over (query-side node, key-side node) pairs through the frozen norms, q/k norms
        and rotary. Returns {score, scale, bias_term, pairs: [{query, key, value}], query_sources, key_sources, ...};
        each node carries the graph's node_id and a label."""
        body = self._input(prompt, tokens, bos)
        body.update(layer=int(layer), head=int(head), key_position=int(key_position), top_k=int(top_k))
        if query_position is not None:
            body["query_position"] = int(query_position)
        return self._json("/v1/attribute/qk", body)

    def intervene_features(self, edits, prompt=None, tokens=None, bos=True, freeze_attention=False, constrained_layers=None, top_k=10):
        """Top next-token probabilities without and with feature edits: edits are (layer, position, feature, value)
        tuples (set) or dicts {layer, position, feature, op: set|scale|zero, value}. Returns {tokens, clean, edited}."""
        body = self._input(prompt, tokens, bos)
        body["edits"] = [e if isinstance(e, dict) else {"layer": int(e[0]), "position": int(e[1]), "feature": int(e[2]), "op": "set",
                                                       "value": float(e[3])} for e in edits]
        body.update(freeze_attention=freeze_attention, top_k=top_k)
        if constrained_layers is not None:
            body["constrained_layers"] = [int(constrained_layers[0]), int(constrained_layers[1])]
        return self._json("/v1/features/intervene", body)

    def transcoder_feature(self, layer, feature):
        """A transcoder feature's direct logit effects: {promotes, suppresses} as [{id, token, value}]."""
        return self._json(f"/v1/transcoders/{int(layer)}/{int(feature)}")


_default = None


def connect(url=None, api_key=None, timeout=120):
    """Sets (and returns) the client the module-level functions use."""
    global _default
    _default = Client(url, api_key, timeout)
    return _default


def client():
    return _default or connect()


def info():
    return client().info()


def hooks():
    return client().hooks()


def tokenize(text, bos=True):
    return client().tokenize(text, bos)


def detokenize(tokens):
    return client().detokenize(tokens)


def run(prompt=None, cache=(), interventions=(), **kw):
    return client().run(prompt, cache, interventions, **kw)


def gradients(prompt=None, grads=(), objective=None, interventions=(), **kw):
    return client().gradients(prompt, grads, objective, interventions, **kw)


def generate(prompt=None, max_tokens=32, interventions=(), **kw):
    return client().generate(prompt, max_tokens, interventions, **kw)


def lens(prompt=None, topk=5, target=None, **kw):
    return client().lens(prompt, topk, target, **kw)


def saes():
    return client().saes()


def attribute(prompt=None, **kw):
    return client().attribute(prompt, **kw)


def attribute_qk(layer, head, key_position, **kw):
    return client().attribute_qk(layer, head, key_position, **kw)


def intervene_features(edits, prompt=None, **kw):
    return client().intervene_features(edits, prompt, **kw)


def sae_encode(sae, prompt=None, topk=8, features=None, **kw):
    return client().sae_encode(sae, prompt, topk, features, **kw)


def sae_decode(sae, features):
    return client().sae_decode(sae, features)


def feature(sae, feature_id):
    return client().feature(sae, feature_id)


def trace(prompts=None):
    """``with loupe.trace(prompts) as t:`` — see loupe_trace (docs/trace.md)."""
    return client().trace(prompts)


def values():
    return client().values()


def fetch(name):
    return client().fetch(name)


def delete(*names):
    return client().delete(*names)


def upload(name, array):
    return client().upload(name, array)
