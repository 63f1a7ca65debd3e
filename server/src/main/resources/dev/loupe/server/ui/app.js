// Loupe web UI: plain JavaScript over the /v1 API (no build step, no external resources).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { info: null, hooks: [], pattern: null, tokens: [], head: 0, layer: 0 };

function status(msg, error) {
  const f = $("status");
  f.textContent = msg;
  f.className = error ? "error" : "";
}

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const key = $("api-key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? { headers: headers(false) } : { method: "POST", headers: headers(true), body: JSON.stringify(body) });
  const data = await res.json();
  if (!res.ok) throw new Error(res.status + ": " + data.error.message);
  return data;
}

/** POSTs a generation and calls onToken(text) per server-sent 'token' event; resolves with the 'done' data. */
async function stream(body, onToken) {
  const res = await fetch("/v1/generate", { method: "POST", headers: Object.assign(headers(true), { Accept: "text/event-stream" }), body: JSON.stringify(body) });
  if (!res.ok) throw new Error(res.status + ": " + (await res.json()).error.message);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "", event = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended early");
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) {
        const data = JSON.parse(line.slice(6));
        if (event === "token") onToken(data.text);
        else if (event === "done") return data;
        else if (event === "error") throw new Error(data.status + ": " + data.message);
      }
    }
  }
}

function tensor(res, name) {
  const t = res.tensors[name];
  if (!t) throw new Error("no array " + name + " in the response");
  return t;
}

function tokenSpans(container, strs) {
  container.innerHTML = "";
  return strs.map((s, i) => {
    const span = document.createElement("span");
    span.className = "tok";
    span.textContent = s.replace(/\u2581/g, " ");
    span.dataset.index = i;
    container.appendChild(span);
    return span;
  });
}

async function strTokens(ids) {
  return (await api("/v1/tokenize", { tokens: ids })).str_tokens;
}

// ---- attention ----

function patternAt(h, q, k) {
  const [, P] = state.pattern.shape; // [heads, q, k]
  return state.pattern.data[(h * P + q) * P + k];
}

function hover(i) {
  const spans = [...$("att-tokens").children];
  const h = state.head;
  const lines = [];
  spans.forEach((s, j) => {
    s.classList.toggle("focus", j === i);
    const to = j <= i ? patternAt(h, i, j) : 0;      // what token i attends to
    const from = j >= i ? patternAt(h, j, i) : 0;    // what attends to token i
    s.dataset.attnTo = String(to);
    s.dataset.attnFrom = String(from);
    const a = Math.max(to, from);
    s.style.background = to >= from ? `rgba(37, 99, 235, ${to})` : `rgba(220, 38, 38, ${from})`;
    s.style.color = a > 0.55 ? "#fff" : "";
    if (to > 0.05 && j !== i) lines.push(`${state.tokens[j]}:${to.toFixed(3)}`);
  });
  $("att-detail").textContent = `L${state.layer}H${h} "${state.tokens[i]}" attends to ${lines.join("  ") || "(itself)"}`;
}

function drawGrid() {
  const grid = $("att-grid");
  grid.innerHTML = "";
  const [H, P] = state.pattern.shape;
  for (let h = 0; h < H; h++) {
    const fig = document.createElement("figure");
    fig.dataset.head = h;
    if (h === state.head) fig.className = "selected";
    const c = document.createElement("canvas");
    c.width = P;
    c.height = P;
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(P, P);
    for (let q = 0; q < P; q++) for (let k = 0; k < P; k++) {
      const v = patternAt(h, q, k), o = 4 * (q * P + k);
      img.data[o] = 255 - 218 * v; img.data[o + 1] = 255 - 156 * v; img.data[o + 2] = 255 - 20 * v; img.data[o + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    fig.appendChild(c);
    const cap = document.createElement("figcaption");
    cap.textContent = `L${state.layer}H${h}`;
    fig.appendChild(cap);
    fig.addEventListener("click", () => { $("att-head").value = h; selectHead(h); });
    grid.appendChild(fig);
  }
}

function selectHead(h) {
  state.head = Number(h);
  [...$("att-grid").children].forEach((f) => f.classList.toggle("selected", Number(f.dataset.head) === state.head));
  hover(state.tokens.length - 1);
}

async function showAttention() {
  state.layer = Number($("att-layer").value);
  state.head = Number($("att-head").value);
  const hook = `blocks.${state.layer}.attn.hook_pattern`;
  const res = await api("/v1/run", { prompt: $("att-prompt").value, cache: [hook] });
  state.pattern = tensor(res, hook);
  state.tokens = await strTokens(res.tokens);
  const spans = tokenSpans($("att-tokens"), state.tokens);
  spans.forEach((s, i) => s.addEventListener("mouseenter", () => hover(i)));
  drawGrid();
  hover(state.tokens.length - 1);
  $("attention").dataset.ready = "1";
  status(`${state.tokens.length} tokens, layer ${state.layer}`);
}

// ---- logit lens ----

async function showLens() {
  const r = await api("/v1/lens", { prompt: $("lens-prompt").value, topk: 1 });
  const t = document.createElement("table");
  t.className = "lens";
  const head = t.insertRow();
  head.insertCell().textContent = "";
  r.str_tokens.forEach((s) => { const th = document.createElement("th"); th.textContent = s; head.appendChild(th); });
  r.depths.forEach((label, d) => {
    const row = t.insertRow();
    row.insertCell().textContent = label;
    r.top_tokens[d].forEach((tops, p) => {
      const cell = row.insertCell();
      const prob = r.top_probs[d][p][0];
      cell.textContent = tops[0];
      cell.title = `p = ${prob.toFixed(3)}`;
      cell.style.background = `rgba(16, 185, 129, ${prob})`;
    });
  });
  $("lens-table").replaceChildren(t);
  $("lens").dataset.ready = "1";
}

// ---- activation heatmap ----

function lastDim(shape) {
  const m = shape.match(/=(\d+)\]$/);
  return m ? Number(m[1]) : 0;
}

async function showHeatmap() {
  const hook = $("heat-hook").value;
  const neuron = Number($("heat-neuron").value);
  if (hook.startsWith("sae:")) return showFeatureHeatmap(hook.slice(4), neuron);
  const readout = { hook, as: "values" };
  if (neuron < 0) readout.norm = true;
  else {
    const d = lastDim(state.hooks.find((h) => h.name === hook).shape);
    if (neuron >= d) throw new Error(`neuron ${neuron} is outside 0..${d - 1} for ${hook}`);
    const onehot = new Array(d).fill(0);
    onehot[neuron] = 1;
    readout.project = [onehot];
  }
  const res = await api("/v1/run", { prompt: $("heat-prompt").value, cache: [readout] });
  await paintHeatmap(res.tokens, tensor(res, "values").data);
}

async function showFeatureHeatmap(sae, feature) {
  if (feature < 0) throw new Error("pick a feature id (0 or more) for an SAE");
  const res = await api("/v1/sae/encode", { sae, prompt: $("heat-prompt").value, features: [feature] });
  await paintHeatmap(res.tokens, tensor(res, "acts").data);
}

async function paintHeatmap(ids, vals) {
  const spans = tokenSpans($("heat-tokens"), await strTokens(ids));
  const max = Math.max(...vals.map(Math.abs)) || 1;
  spans.forEach((s, i) => {
    const v = vals[i] / max;
    s.dataset.value = String(vals[i]);
    s.title = vals[i].toFixed(4);
    s.style.background = v >= 0 ? `rgba(234, 88, 12, ${v})` : `rgba(37, 99, 235, ${-v})`;
  });
  $("heatmap").dataset.ready = "1";
}

// ---- steering playground ----

async function meanAt(hook, text) {
  const res = await api("/v1/run", { prompt: text, cache: [{ hook, reduce: "mean", as: "mean" }] });
  return tensor(res, "mean").data;
}

async function runSteering() {
  const hook = $("steer-hook").value;
  const [plus, minus] = await Promise.all([meanAt(hook, $("steer-plus").value), meanAt(hook, $("steer-minus").value)]);
  const vector = plus.map((v, i) => v - minus[i]);
  const base = { prompt: $("steer-prompt").value, max_tokens: Number($("steer-max").value) };
  const steered = Object.assign({}, base, { interventions: [{ hook, op: "add", vector, scale: Number($("steer-scale").value) }] });
  const outs = [$("steer-plain"), $("steer-steered")];
  outs.forEach((o) => { o.textContent = $("steer-prompt").value; delete o.dataset.done; });
  await Promise.all([base, steered].map((body, i) =>
    stream(body, (piece) => { outs[i].textContent += piece; }).then((done) => { outs[i].dataset.done = "1"; outs[i].dataset.tokens = done.tokens.join(","); })));
  status("generated both");
}

// ---- SAE feature dashboards ----

function shade(span, v, max) {
  span.style.background = `rgba(234, 88, 12, ${Math.max(0, v) / (max || 1)})`;
}

async function showFeature() {
  const sae = $("feat-sae").value, id = Number($("feat-id").value);
  const f = await api(`/v1/saes/${encodeURIComponent(sae)}/features/${id}`);
  $("feat-stats").textContent = `feature ${id} of ${sae} at ${f.hook}: fires on ${(100 * f.frequency).toFixed(2)}% of tokens (${f.fire_count}), mean ${f.mean_act.toFixed(3)}, max ${f.max_act.toFixed(3)}`;
  const maxCount = Math.max(1, ...f.histogram.map((b) => b.count));
  $("feat-hist").replaceChildren(...f.histogram.map((b) => {
    const bar = document.createElement("div");
    bar.style.height = `${(100 * b.count) / maxCount}%`;
    bar.title = `${b.lo.toExponential(1)}..${b.hi.toExponential(1)}: ${b.count}`;
    return bar;
  }));
  $("feat-examples").replaceChildren(...f.examples.map((e) => {
    const row = document.createElement("div");
    row.className = "example";
    row.dataset.activation = String(e.activation);
    const spans = tokenSpans(row, e.tokens);
    spans.forEach((s, i) => { s.dataset.act = String(e.acts[i]); s.title = e.acts[i].toFixed(3); shade(s, e.acts[i], f.max_act); });
    spans[e.center].classList.add("focus");
    return row;
  }));
  const list = (el, items) => el.replaceChildren(...items.map((t) => {
    const li = document.createElement("li");
    li.textContent = `${t.token}  ${t.value.toFixed(3)}`;
    return li;
  }));
  list($("feat-pos"), f.logit_effects.positive);
  list($("feat-neg"), f.logit_effects.negative);
  $("features").dataset.ready = "1";
}

async function loadFeatureList() {
  const sae = $("feat-sae").value;
  if (!sae) return;
  const top = await api(`/v1/saes/${encodeURIComponent(sae)}/features`);
  $("feat-top").replaceChildren(...top.features.slice(0, 20).map((f) => {
    const li = document.createElement("li");
    li.textContent = `#${f.id} ${(100 * f.frequency).toFixed(1)}%`;
    li.addEventListener("click", () => { $("feat-id").value = f.id; guard(showFeature)(); });
    return li;
  }));
}

// ---- wiring ----

function guard(fn) {
  return () => fn().catch((e) => status(e.message, true));
}

async function init() {
  $("api-key").value = localStorage.getItem("loupe-key") || "";
  $("api-key").addEventListener("change", () => { localStorage.setItem("loupe-key", $("api-key").value); guard(init)(); });
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll("nav button, .tab").forEach((e) => e.classList.remove("active"));
    b.classList.add("active");
    $(b.dataset.tab).classList.add("active");
  }));
  state.info = await api("/v1/model");
  state.hooks = (await api("/v1/hooks")).hooks;
  $("model-name").textContent = `${state.info.model} · ${state.info.n_layers} layers · ${state.info.n_heads} heads`;
  const fill = (sel, items) => { sel.innerHTML = ""; items.forEach(([v, t]) => sel.add(new Option(t, v))); };
  fill($("att-layer"), [...Array(state.info.n_layers).keys()].map((l) => [l, l]));
  fill($("att-head"), [...Array(state.info.n_heads).keys()].map((h) => [h, h]));
  const plain = state.hooks.filter((h) => /^\[batch, pos, d_(model|mlp)=\d+\]$/.test(h.shape));
  fill($("heat-hook"), plain.map((h) => [h.name, h.name]));
  const resid = state.hooks.filter((h) => /hook_resid_(pre|post)$/.test(h.name));
  fill($("steer-hook"), resid.map((h) => [h.name, h.name]));
  $("steer-hook").value = `blocks.${Math.floor(state.info.n_layers / 2)}.hook_resid_post`;
  $("heat-hook").value = plain.some((h) => h.name === "blocks.0.mlp.hook_post") ? "blocks.0.mlp.hook_post" : plain[0].name;
  const saes = (await api("/v1/saes")).saes;
  saes.forEach((s) => $("heat-hook").add(new Option(`SAE ${s.name} (features at ${s.hook})`, "sae:" + s.name)));
  const withStore = saes.filter((s) => s.features);
  fill($("feat-sae"), withStore.map((s) => [s.name, `${s.name} (${s.hook}, ${s.d_sae} features)`]));
  $("feat-none").hidden = withStore.length > 0;
  await loadFeatureList();
  document.body.dataset.ready = "1";
  status("connected");
}

$("att-run").addEventListener("click", guard(showAttention));
$("att-head").addEventListener("change", () => state.pattern && selectHead($("att-head").value));
$("lens-run").addEventListener("click", guard(showLens));
$("heat-run").addEventListener("click", guard(showHeatmap));
$("steer-run").addEventListener("click", guard(runSteering));
$("feat-run").addEventListener("click", guard(showFeature));
$("feat-sae").addEventListener("change", guard(loadFeatureList));
guard(init)();
