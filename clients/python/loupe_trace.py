"""Experiments as code: tensor code on a Loupe server's activations, recorded as a graph and run inside the forward
(and backward) pass on the server. No Python runs on the server: the graph holds only ops from a fixed list.

    with loupe.trace(["The cat sat on the mat", "The dog sat on the rug"]) as t:
        resid = t.blocks[3].hook_resid_post.save()              # [batch, pos, d_model] as numpy at exit
        t.blocks[5].hook_resid_post[:, -1] += 4 * v              # in-place edit at that hook's firing
        probs = t.model.unembed(resid).softmax(-1)[:, -1].save()
    resid.shape

Each prompt is an invoke; inside ``with t.invoke(prompt):`` hooks mean that prompt's row ([1, pos, ...]), so
prompts of different lengths need no padding. ``x.grad`` (after ``scalar.backward()``) is a hook's gradient.
``x.store("name")`` keeps a value on the server; ``t.stored("name")`` reads it in a later trace.
The graph format is documented in docs/trace.md.
"""

import base64
import json
import linecache
import os
import sys

import numpy as np

_HERE = {os.path.abspath(__file__).rstrip("c")}


def _line():
    """Where the user's code is: 'file:line: source' of the first frame outside this client."""
    f = sys._getframe(1)
    while f is not None and (os.path.abspath(f.f_code.co_filename).rstrip("c") in _HERE
                             or os.path.basename(f.f_code.co_filename) == "loupe.py"):
        f = f.f_back
    if f is None:
        return None
    src = linecache.getline(f.f_code.co_filename, f.f_lineno).strip()
    name = os.path.basename(f.f_code.co_filename)
    return f"{name}:{f.f_lineno}" + (f": {src}" if src else "")


def _index_items(idx):
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for it in idx:
        if it is None:
            out.append(None)
        elif it is Ellipsis:
            out.append("...")
        elif isinstance(it, slice):
            out.append({"slice": [it.start, it.stop, it.step]})
        elif isinstance(it, (int, np.integer)):
            out.append(int(it))
        elif isinstance(it, (list, tuple, np.ndarray)):
            out.append([int(i) for i in np.asarray(it).ravel()])
        else:
            raise TypeError(f"cannot index a traced value with {type(it).__name__} (ints, slices, lists, ..., None)")
    return out


class Proxy:
    """A value of the trace being recorded; after the trace, ``.value`` (saved values only) is its numpy array."""

    __array_priority__ = 1000  # numpy defers to our operators: v * proxy builds a node

    def __init__(self, graph, node):
        self._graph = graph
        self._node = node
        self.value = None

    # -- recording helpers
    def _op(self, op, *others, **attrs):
        return self._graph.add(op, [self, *others], **attrs)

    def _bin(self, op, other, swap=False):
        other = self._graph.lift(other)
        return self._graph.add(op, [other, self] if swap else [self, other])

    def __add__(self, o): return self._bin("add", o)
    def __radd__(self, o): return self._bin("add", o, True)
    def __sub__(self, o): return self._bin("sub", o)
    def __rsub__(self, o): return self._bin("sub", o, True)
    def __mul__(self, o): return self._bin("mul", o)
    def __rmul__(self, o): return self._bin("mul", o, True)
    def __truediv__(self, o): return self._bin("div", o)
    def __rtruediv__(self, o): return self._bin("div", o, True)
    def __pow__(self, o): return self._bin("pow", o)
    def __matmul__(self, o): return self._bin("matmul", o)
    def __rmatmul__(self, o): return self._bin("matmul", o, True)
    def __lt__(self, o): return self._bin("lt", o)
    def __le__(self, o): return self._bin("le", o)
    def __gt__(self, o): return self._bin("gt", o)
    def __ge__(self, o): return self._bin("ge", o)
    def __eq__(self, o): return self._bin("eq", o)
    def __ne__(self, o): return self._bin("ne", o)
    __hash__ = object.__hash__
    def __neg__(self): return self._op("neg")
    def __abs__(self): return self._op("abs")

    def __getitem__(self, idx):
        return self._op("index", index=_index_items(idx))

    def __setitem__(self, idx, value):
        """x[idx] = v: from here on, x is the edited value (earlier uses keep the old one)."""
        self._node = self._op("index_put", self._graph.lift(value), index=_index_items(idx))._node

    def __bool__(self):
        raise TypeError("a traced value has no truth value while recording (use loupe.where for conditions)")

    def __array__(self, dtype=None, copy=None):
        if self.value is None:
            raise TypeError("a traced value becomes an array only if it was .save()d, after the trace ran")
        return np.asarray(self.value, dtype=dtype)

    def exp(self): return self._op("exp")
    def log(self): return self._op("log")
    def sqrt(self): return self._op("sqrt")
    def relu(self): return self._op("relu")
    def sum(self, axis=None, keepdims=False): return self._op("sum", axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return self._op("mean", axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return self._op("max", axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return self._op("min", axis=axis, keepdims=keepdims)
    def argmax(self, axis=None, keepdims=False): return self._op("argmax", axis=axis, keepdims=keepdims)
    def norm(self, axis=None, keepdims=False): return self._op("norm", axis=axis, keepdims=keepdims)
    def softmax(self, axis=-1): return self._op("softmax", axis=axis)
    def log_softmax(self, axis=-1): return self._op("log_softmax", axis=axis)
    def clamp(self, min=None, max=None): return self._op("clamp", min=min, max=max)
    clip = clamp

    def topk(self, k):
        """(values, indices) of the k largest along the last axis."""
        return self._op("topk", k=k, part="values"), self._op("topk", k=k, part="indices")

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return self._op("reshape", shape=[int(s) for s in shape])

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return self._op("transpose", axes=list(axes) if axes else None)

    @property
    def T(self):
        return self.transpose()

    def save(self, name=None, store=False):
        """Returns this value to the client when the trace ends (store=True also keeps it on the server as `name`)."""
        self._graph.save(self, name, store)
        return self

    def store(self, name):
        """Keeps this value on the server under `name` (for later traces: t.stored(name)) and returns it too."""
        return self.save(name, store=True)

    def backward(self):
        """Differentiates this scalar; hooks' .grad become available."""
        self._graph.add("backward", [self], _value=False)

    def __repr__(self):
        if self.value is not None:
            return f"Proxy(saved {self.value.shape} {self.value.dtype})"
        return f"Proxy(node {self._node})"


class HookRef(Proxy):
    """A hook's current value in one scope (an invoke, all invokes, or a generation step); assignable."""

    def __init__(self, graph, scope, hook):
        self._scope = scope
        self._hook = hook
        super().__init__(graph, scope.current(hook)._node)

    @property
    def grad(self):
        return self._scope.grad(self._hook)

    def __setitem__(self, idx, value):
        cur = self._scope.current(self._hook)
        self._scope.assign(self._hook, cur._op("index_put", self._graph.lift(value), index=_index_items(idx)))

    def __iadd__(self, o):
        self._scope.assign(self._hook, self + o)
        return self._scope.hook(self._hook)

    def __isub__(self, o):
        self._scope.assign(self._hook, self - o)
        return self._scope.hook(self._hook)

    def __imul__(self, o):
        self._scope.assign(self._hook, self * o)
        return self._scope.hook(self._hook)


class _Module:
    """Attribute path to a hook: t.blocks[3].attn.hook_pattern → 'blocks.3.attn.hook_pattern'."""

    def __init__(self, scope, prefix):
        object.__setattr__(self, "_scope", scope)
        object.__setattr__(self, "_prefix", prefix)

    def _name(self, attr):
        return f"{self._prefix}.{attr}" if self._prefix else str(attr)

    def __getattr__(self, attr):
        if attr.startswith("hook_"):
            return self._scope.hook(self._name(attr))
        if attr.startswith("_"):
            raise AttributeError(attr)
        return _Module(self._scope, self._name(attr))

    def __getitem__(self, i):
        return _Module(self._scope, self._name(int(i)))

    def __setattr__(self, attr, value):
        if not attr.startswith("hook_"):
            raise AttributeError(f"only hooks can be assigned, not {self._name(attr)}")
        name = self._name(attr)
        if isinstance(value, HookRef) and value._hook == name and value._scope is self._scope:
            return  # the result of an in-place edit (x += v) assigned back
        self._scope.assign(name, self._scope.graph.lift(value))


class _Hooks:
    def __init__(self, scope):
        self._scope = scope

    def __getitem__(self, name):
        return self._scope.hook(name)

    def __setitem__(self, name, value):
        if isinstance(value, HookRef) and value._hook == name and value._scope is self._scope:
            return
        self._scope.assign(name, self._scope.graph.lift(value))


class _Scope:
    """Where hook names resolve: invokes (rows) and, in a generation, a step."""

    def __init__(self, graph, invokes, step=None):
        self.graph = graph
        self.invokes = invokes
        self.step = step
        self.blocks = _Module(self, "blocks")
        self.hooks = _Hooks(self)
        self.model = _ModelPieces(graph)

    def __getattr__(self, attr):
        if attr.startswith("hook_") or attr in ("embed", "ln_final", "pos_embed"):
            return _Module(self, "").__getattr__(attr) if attr.startswith("hook_") else _Module(self, attr)
        raise AttributeError(attr)

    @property
    def logits(self):
        return self.hook("logits")

    def key(self, hook):
        return (hook, tuple(self.invokes), self.step)

    def hook(self, name):
        return HookRef(self.graph, self, name)

    def _at(self, i, extra=None):
        a = {"invoke": i}
        if self.step is not None:
            a["step"] = self.step
        return a

    def current(self, hook):
        k = self.key(hook)
        cur = self.graph.current.get(k)
        if cur is None:
            reads = [self.graph.add("hook", [], hook=hook, **self._at(i)) for i in self.invokes]
            cur = reads[0] if len(reads) == 1 else self.graph.add("cat", reads, axis=0)
            self.graph.current[k] = cur
        return cur

    def assign(self, hook, value):
        if hook == "logits":
            raise ValueError("the logits cannot be written")
        self.current(hook)
        self.graph.current[self.key(hook)] = value
        self.graph.edited[self.key(hook)] = (self, hook)

    def grad(self, hook):
        gs = [self.graph.add("grad", [], hook=hook, **self._at(i)) for i in self.invokes]
        return gs[0] if len(gs) == 1 else self.graph.add("cat", gs, axis=0)

    def stored(self, name):
        """A value an earlier trace stored on the server (x.store(name))."""
        return self.graph.add("stored", [], handle=name)

    def sae(self, name):
        return _Sae(self.graph, name)

    def writes(self):
        for k, (scope, hook) in list(self.graph.edited.items()):
            if scope is not self:
                continue
            value = self.graph.current[k]
            for r, i in enumerate(self.invokes):
                row = value if len(self.invokes) == 1 else value[[r]]
                self.graph.add("write", [row], _value=False, hook=hook, **self._at(i))


class _ModelPieces:
    def __init__(self, graph):
        self._graph = graph

    def unembed(self, x):
        """The model's head: final norm (when it has one) then unembedding → logits."""
        return self._graph.lift(x)._op("unembed")

    def ln_final(self, x):
        return self._graph.lift(x)._op("ln_final")


class _Sae:
    def __init__(self, graph, name):
        self._graph, self._name = graph, name

    def encode(self, x):
        return self._graph.lift(x)._op("sae_encode", sae=self._name)

    def decode(self, f):
        return self._graph.lift(f)._op("sae_decode", sae=self._name)


class _Graph:
    def __init__(self):
        self.nodes = []
        self.current = {}
        self.edited = {}
        self.saved = []
        self.names = set()

    def add(self, op, inputs, _value=True, **attrs):
        node = {"op": op}
        if inputs:
            node["in"] = [self.lift(i)._node for i in inputs]
        for k, v in attrs.items():
            if v is not None:
                node[k] = v.item() if isinstance(v, np.generic) else list(v) if isinstance(v, tuple) else v
        line = _line()
        if line:
            node["line"] = line
        self.nodes.append(node)
        return Proxy(self, len(self.nodes) - 1) if _value else None

    def lift(self, x):
        if isinstance(x, Proxy):
            if x._graph is not self:
                raise ValueError("a value from another trace: .save() it there and use its .value, or .store() it and t.stored(name)")
            return x
        a = np.asarray(x)
        if a.dtype == np.bool_:
            return self.add("const", [], shape=list(a.shape), dtype="bool", values=a.ravel().tolist())
        dtype = "int64" if a.dtype.kind in "iu" else "float32"
        data = base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")
        return self.add("const", [], shape=list(a.shape), dtype=dtype, data=data)

    def save(self, proxy, name, store):
        name = name or f"v{proxy._node}"
        if name in self.names:
            raise ValueError(f"two values saved as {name!r}")
        self.names.add(name)
        self.add("save", [proxy], _value=False, name=name, store=bool(store) or None)
        self.saved.append((name, proxy))


def _input(prompt):
    if isinstance(prompt, str):
        return {"prompt": prompt}
    return {"tokens": [int(t) for t in prompt]}


class Trace(_Scope):
    """``with loupe.trace(prompts) as t:`` — records, then runs on the server when the block ends."""

    def __init__(self, client, prompts=None, steps=0):
        self._client = client
        self._steps = steps
        self.inputs = []
        graph = _Graph()
        super().__init__(graph, [])
        if prompts is not None:
            for p in [prompts] if isinstance(prompts, str) or (len(prompts) and isinstance(prompts[0], (int, np.integer))) else prompts:
                self.inputs.append(_input(p))
        self.invokes = list(range(len(self.inputs)))
        self._scopes = [self]
        self._active = None
        self.fields = {}

    def invoke(self, prompt):
        """A new input row: inside ``with t.invoke(p) as inv:``, inv.blocks/inv.hooks mean this row only."""
        self.inputs.append(_input(prompt))
        scope = _Invoke(self, len(self.inputs) - 1)
        self._scopes.append(scope)
        return scope

    def to_json(self):
        """The recorded graph (docs/trace.md), with the pending hook writes."""
        for s in self._scopes:
            s.writes()
        body = {"version": 1, "invokes": self.inputs, "nodes": self.graph.nodes}
        if self._steps:
            body["steps"] = self._steps
        return body

    # inside `with t.invoke(p):`, t's hooks mean that invoke's row
    def hook(self, name):
        return self._active.hook(name) if self._active else super().hook(name)

    def assign(self, hook, value):
        return self._active.assign(hook, value) if self._active else super().assign(hook, value)

    def grad(self, hook):
        return self._active.grad(hook) if self._active else super().grad(hook)

    def current(self, hook):
        if not self.invokes:
            self.invokes = list(range(len(self.inputs)))
        return super().current(hook)

    def __enter__(self):
        self._frame = sys._getframe(1)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            return False
        if not self.inputs:
            raise ValueError("the trace has no input: loupe.trace(prompts) or t.invoke(prompt)")
        arrays, fields = self._client._trace(self.to_json())
        self.fields = fields
        dtypes = fields.get("dtypes", {})
        values = {}
        for name, proxy in self.graph.saved:
            a = arrays[name]
            proxy.value = a.astype(bool) if dtypes.get(name) == "bool" else a
            values[id(proxy)] = proxy.value
        # saved values become arrays: names bound to them in the calling frame are rebound (where Python allows)
        f = self._frame
        for ns in (f.f_locals, f.f_globals) if f.f_locals is f.f_globals else (f.f_globals,):
            for k, v in list(ns.items()):
                if isinstance(v, Proxy) and id(v) in values:
                    ns[k] = values[id(v)]
        self._frame = None
        return False


class _Invoke(_Scope):
    def __init__(self, trace, index):
        super().__init__(trace.graph, [index])
        self._trace = trace

    def __enter__(self):
        self._trace._active = self
        return self

    def __exit__(self, *exc):
        self._trace._active = None
        return False


class Generation(Trace):
    """``with loupe.generate(prompt, max_tokens=N) as g: for step in g.steps(): ...`` — greedy, with per-step edits."""

    def __init__(self, client, prompts, max_tokens):
        super().__init__(client, prompts, steps=max_tokens)
        self.tokens = None
        self.text = None

    def steps(self):
        for s in range(self._steps):
            scope = _Scope(self.graph, self.invokes, step=s)
            self._scopes.append(scope)
            yield scope

    def hook(self, name):
        raise ValueError("in a generation, read and write hooks per step: for step in g.steps(): step.blocks[...]")

    def __exit__(self, exc_type, exc, tb):
        done = super().__exit__(exc_type, exc, tb)
        if exc_type is None:
            gen = self.fields.get("generated", [])
            self.tokens = gen[0] if len(gen) == 1 else gen
            try:
                self.text = self._client.detokenize(gen[0]) if len(gen) == 1 else [self._client.detokenize(g) for g in gen]
            except Exception:  # a model without a tokenizer
                self.text = None
        return done


def where(cond, a, b):
    g = next(x._graph for x in (cond, a, b) if isinstance(x, Proxy))
    return g.add("where", [cond, a, b])


def cat(values, axis=0):
    g = next(x._graph for x in values if isinstance(x, Proxy))
    return g.add("cat", list(values), axis=axis)


def stack(values, axis=0):
    g = next(x._graph for x in values if isinstance(x, Proxy))
    return g.add("stack", list(values), axis=axis)


def einsum(equation, *values):
    g = next(x._graph for x in values if isinstance(x, Proxy))
    return g.add("einsum", list(values), equation=equation)
