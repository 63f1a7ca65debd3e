// Loupe web UI: plain JavaScript over the /v1 API (no build step, no external resources).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { info: null, hooks: [], saes: [], att: { layers: {}, prompt: null, tokens: [], texts: [], layer: 0, head: 0, cell: 0, focus: -1 }, feature: null };

// ---- status: one line per tab, cleared when its action succeeds ----

function status(tab, msg, error) {
  const el = $(tab + "-status");
  el.textContent = msg;
  el.className = "status" + (error ? " error" : "");
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

// ---- tokens as people read them: decoded text, whitespace marked faintly, id on hover ----

const MARKS = { " ": "\u00b7", "\n": "\u21b5", "\t": "\u21e5" };

/** A token's text with visible whitespace, as a plain string (for titles and table cells). */
function visible(text) {
  return text.replace(/[ \n\t]/g, (c) => MARKS[c]);
}

/** Fills el with the token's text, whitespace as faint marks. */
function renderToken(el, text) {
  el.textContent = "";
  let run = "";
  for (const c of text) {
    if (MARKS[c]) {
      if (run) el.append(run);
      run = "";
      const ws = document.createElement("span");
      ws.className = "ws";
      ws.textContent = MARKS[c];
      el.appendChild(ws);
    } else run += c;
  }
  if (run || !text) el.append(run);
}

function tokenSpans(container, texts, ids) {
  container.innerHTML = "";
  return texts.map((s, i) => {
    const span = document.createElement("span");
    span.className = "tok";
    renderToken(span, s);
    span.dataset.index = i;
    if (ids) { span.dataset.id = ids[i]; span.title = `id ${ids[i]}`; }
    container.appendChild(span);
    return span;
  });
}

async function strTokens(ids) {
  return (await api("/v1/tokenize", { tokens: ids })).str_tokens;
}

// ---- colour scales and legends ----

/** Attention weight in [0, 1] to white → blue. */
function blue(v) {
  return [Math.round(255 - 218 * v), Math.round(255 - 156 * v), Math.round(255 - 20 * v)];
}

function legend(el, from, to, css, ticks, label, vertical) {
  el.innerHTML = "";
  const title = document.createElement("span");
  title.textContent = label;
  const scale = document.createElement("div");
  scale.className = "scale";
  const bar = document.createElement("div");
  bar.className = "bar";
  bar.style.background = `linear-gradient(to ${vertical ? "top" : "right"}, ${css})`;
  const t = document.createElement("div");
  t.className = "ticks";
  const values = ticks.map((f) => from + f * (to - from));
  (vertical ? values.slice().reverse() : values).forEach((v) => {
    const s = document.createElement("span");
    s.textContent = Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
    t.appendChild(s);
  });
  scale.append(bar, t);
  el.append(title, scale);
  el.dataset.from = String(from);
  el.dataset.to = String(to);
}

// ---- attention: full query × key pattern, hover both ways, head thumbnails ----

function patternAt(h, q, k) {
  const t = state.att.layers[state.att.layer];
  const P = t.shape[1]; // [heads, q, k]
  return t.data[(h * P + q) * P + k];
}

function cellSize(n) {
  const zoom = Number($("att-zoom").value);
  return zoom >= 4 ? zoom : Math.max(10, Math.min(28, Math.floor(720 / n)));
}

function drawPattern() {
  const a = state.att, n = a.texts.length, cs = cellSize(n), h = a.head;
  a.cell = cs;
  const root = $("att-pattern");
  root.innerHTML = "";
  const font = Math.max(8, Math.min(12, cs - 2));
  let maxLabel = 0;
  a.texts.forEach((t) => { maxLabel = Math.max(maxLabel, Math.min(14, visible(t).length)); });
  const labelPx = Math.ceil(maxLabel * font * 0.62) + 6;
  root.style.gridTemplateColumns = `${labelPx}px ${n * cs}px`;
  root.style.fontSize = font + "px";
  const corner = document.createElement("div");
  const keys = document.createElement("div");
  keys.className = "keys";
  keys.style.height = labelPx + "px";
  const queries = document.createElement("div");
  queries.className = "queries";
  a.texts.forEach((t, i) => {
    const k = document.createElement("span");
    k.style.width = k.style.minWidth = cs + "px";
    k.style.maxHeight = labelPx + "px";
    renderToken(k, t);
    k.dataset.index = i;
    keys.appendChild(k);
    const q = document.createElement("span");
    q.style.height = q.style.minHeight = cs + "px";
    q.style.lineHeight = cs + "px";
    q.style.maxWidth = labelPx + "px";
    renderToken(q, t);
    q.dataset.index = i;
    queries.appendChild(q);
  });
  const cells = document.createElement("div");
  cells.className = "cells";
  const c = document.createElement("canvas");
  c.id = "att-cells";
  c.width = c.height = n * cs;
  const ctx = c.getContext("2d");
  for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) {
    const v = k <= q ? patternAt(h, q, k) : 0;
    const [r, g, b] = blue(v);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(k * cs, q * cs, cs, cs);
  }
  const overlay = document.createElement("canvas");
  overlay.className = "overlay";
  overlay.id = "att-overlay";
  overlay.width = overlay.height = n * cs;
  cells.append(c, overlay);
  c.addEventListener("mousemove", (e) => {
    const rect = c.getBoundingClientRect();
    const k = Math.floor((e.clientX - rect.left) / cs), q = Math.floor((e.clientY - rect.top) / cs);
    if (q >= 0 && q < n && k >= 0 && k < n) hoverCell(q, k);
  });
  root.append(corner, keys, queries, cells);
  root.dataset.layer = a.layer;
  root.dataset.head = h;
  root.dataset.n = n;
  root.dataset.cell = cs;
  let max = 0;
  for (let q = 0; q < n; q++) for (let k = 1; k <= q; k++) max = Math.max(max, patternAt(h, q, k));
  legend($("att-legend"), 0, 1, "rgb(255,255,255), rgb(37,99,235)", [0, 0.25, 0.5, 0.75, 1], `L${a.layer}H${h} weight (max off BOS ${max.toFixed(2)})`, true);
}

/** Marks row `row` and column `col` of the pattern (-1: none). */
function overlay(row, col, cell) {
  const o = $("att-overlay"), cs = state.att.cell, n = state.att.texts.length;
  const ctx = o.getContext("2d");
  ctx.clearRect(0, 0, o.width, o.height);
  ctx.lineWidth = 2;
  if (row >= 0) { ctx.strokeStyle = "rgb(37,99,235)"; ctx.strokeRect(1, row * cs + 1, n * cs - 2, cs - 2); }
  if (col >= 0) { ctx.strokeStyle = "rgb(220,38,38)"; ctx.strokeRect(col * cs + 1, 1, cs - 2, n * cs - 2); }
  if (cell) { ctx.strokeStyle = "#111"; ctx.strokeRect(cell[1] * cs, cell[0] * cs, cs, cs); }
  $("att-pattern").dataset.focusRow = row;
  $("att-pattern").dataset.focusCol = col;
  document.querySelectorAll("#att-pattern .queries > span").forEach((s, i) => s.classList.toggle("focus", i === row));
  document.querySelectorAll("#att-pattern .keys > span").forEach((s, i) => s.classList.toggle("focus", i === col));
}

/** Hovering token i: colours every token by what i attends to (blue) and what attends to i (red). */
function hover(i) {
  const a = state.att, spans = [...$("att-tokens").children], h = a.head;
  a.focus = i;
  const lines = [], from = [];
  spans.forEach((s, j) => {
    s.classList.toggle("focus", j === i);
    s.classList.remove("q-focus", "k-focus");
    const to = j <= i ? patternAt(h, i, j) : 0;
    const fr = j >= i ? patternAt(h, j, i) : 0;
    s.dataset.attnTo = String(to);
    s.dataset.attnFrom = String(fr);
    s.style.background = to >= fr ? `rgba(37, 99, 235, ${to})` : `rgba(220, 38, 38, ${fr})`;
    s.style.color = Math.max(to, fr) > 0.55 ? "#fff" : "";
    if (to > 0.05) lines.push(`${visible(a.texts[j])} ${to.toFixed(2)}`);
    if (fr > 0.05 && j !== i) from.push(`${visible(a.texts[j])} ${fr.toFixed(2)}`);
  });
  $("att-detail").textContent = `L${a.layer}H${h} "${visible(a.texts[i])}" (${i}) attends to: ${lines.join("  ") || "nothing above 0.05"}` +
      ` | attended by: ${from.join("  ") || "nothing above 0.05"}`;
  overlay(i, i, null);
}

/** Hovering pattern cell (q, k): the query and key tokens light up in the text. */
function hoverCell(q, k) {
  const a = state.att, spans = [...$("att-tokens").children];
  spans.forEach((s, j) => {
    s.classList.toggle("q-focus", j === q);
    s.classList.toggle("k-focus", j === k);
  });
  const v = k <= q ? patternAt(a.head, q, k) : 0;
  $("att-detail").textContent = `L${a.layer}H${a.head} query "${visible(a.texts[q])}" (${q}) → key "${visible(a.texts[k])}" (${k}): ${v.toFixed(3)}`;
  $("att-detail").dataset.cell = `${q},${k}`;
  overlay(q, k, [q, k]);
}

function drawGrid() {
  const a = state.att, grid = $("att-grid"), t = state.att.layers[a.layer];
  grid.innerHTML = "";
  const [H, P] = t.shape;
  $("att-grid-title").textContent = `All heads of layer ${a.layer} (click to select)`;
  for (let h = 0; h < H; h++) {
    const fig = document.createElement("figure");
    fig.dataset.head = h;
    if (h === a.head) fig.className = "selected";
    const c = document.createElement("canvas");
    c.width = P;
    c.height = P;
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(P, P);
    for (let q = 0; q < P; q++) for (let k = 0; k < P; k++) {
      const [r, g, b] = blue(k <= q ? patternAt(h, q, k) : 0), o = 4 * (q * P + k);
      img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    fig.appendChild(c);
    const cap = document.createElement("figcaption");
    cap.textContent = `L${a.layer}H${h}`;
    fig.appendChild(cap);
    fig.addEventListener("click", () => { $("att-head").value = h; selectHead(h); });
    grid.appendChild(fig);
  }
}

function selectHead(h) {
  state.att.head = Number(h);
  [...$("att-grid").children].forEach((f) => f.classList.toggle("selected", Number(f.dataset.head) === state.att.head));
  drawPattern();
  hover(state.att.focus >= 0 ? state.att.focus : state.att.texts.length - 1);
}

async function loadLayer(layer) {
  const a = state.att;
  if (!a.layers[layer]) {
    const hook = `blocks.${layer}.attn.hook_pattern`;
    const res = await api("/v1/run", { prompt: a.prompt, cache: [hook] });
    a.layers[layer] = tensor(res, hook);
    if (!a.texts.length) { a.ids = res.tokens; a.texts = await strTokens(res.tokens); }
  }
  a.layer = layer;
}

async function showAttention() {
  const a = state.att;
  if (a.prompt !== $("att-prompt").value) Object.assign(a, { layers: {}, prompt: $("att-prompt").value, texts: [], focus: -1 });
  a.head = Number($("att-head").value);
  await loadLayer(Number($("att-layer").value));
  const spans = tokenSpans($("att-tokens"), a.texts, a.ids);
  spans.forEach((s, i) => s.addEventListener("mouseenter", () => hover(i)));
  drawGrid();
  drawPattern();
  hover(a.focus >= 0 && a.focus < a.texts.length ? a.focus : a.texts.length - 1);
  $("attention").dataset.ready = "1";
}

// ---- logit lens ----

async function showLens() {
  const r = await api("/v1/lens", { prompt: $("lens-prompt").value, topk: 5 });
  const t = document.createElement("table");
  t.className = "lens";
  const head = t.insertRow();
  head.insertCell().textContent = "";
  r.str_tokens.forEach((s, i) => { const th = document.createElement("th"); renderToken(th, s); th.title = `id ${r.tokens[i]}`; head.appendChild(th); });
  r.depths.forEach((label, d) => {
    const row = t.insertRow();
    row.insertCell().textContent = label;
    r.top_tokens[d].forEach((tops, p) => {
      const cell = row.insertCell();
      const probs = r.top_probs[d][p];
      const word = document.createElement("span");
      renderToken(word, tops[0]);
      const num = document.createElement("small");
      num.textContent = probs[0].toFixed(2);
      cell.append(word, num);
      cell.title = tops.map((s, i) => `${visible(s)}  ${probs[i].toFixed(3)}  (id ${r.top_ids[d][p][i]})`).join("\n");
      cell.dataset.prob = String(probs[0]);
      cell.style.background = `rgba(16, 185, 129, ${probs[0]})`;
    });
  });
  $("lens-table").replaceChildren(t);
  legend($("lens-legend"), 0, 1, "rgba(16,185,129,0), rgba(16,185,129,1)", [0, 0.25, 0.5, 0.75, 1], "probability of the top token");
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
  await paintHeatmap(res.tokens, tensor(res, "values").data, neuron < 0 ? `‖${hook}‖` : `${hook}[${neuron}]`);
}

async function showFeatureHeatmap(sae, feature) {
  if (feature < 0) throw new Error("pick a feature id (0 or more) for an SAE");
  const res = await api("/v1/sae/encode", { sae, prompt: $("heat-prompt").value, features: [feature] });
  await paintHeatmap(res.tokens, tensor(res, "acts").data, `${sae} feature ${feature}`);
}

async function paintHeatmap(ids, vals, label) {
  const spans = tokenSpans($("heat-tokens"), await strTokens(ids), ids);
  const max = Math.max(...vals.map(Math.abs)) || 1;
  spans.forEach((s, i) => {
    const v = vals[i] / max;
    s.dataset.value = String(vals[i]);
    s.title = `id ${ids[i]}: ${vals[i].toFixed(4)}`;
    const num = document.createElement("small");
    num.textContent = vals[i].toFixed(2);
    s.appendChild(num);
    s.style.background = v >= 0 ? `rgba(234, 88, 12, ${v})` : `rgba(37, 99, 235, ${-v})`;
  });
  const neg = vals.some((v) => v < 0);
  legend($("heat-legend"), neg ? -max : 0, max, neg ? "rgba(37,99,235,1), rgba(255,255,255,1), rgba(234,88,12,1)" : "rgba(234,88,12,0), rgba(234,88,12,1)",
      [0, 0.25, 0.5, 0.75, 1], label);
  $("heatmap").dataset.ready = "1";
}

// ---- steering playground ----

async function meanAt(hook, text) {
  const res = await api("/v1/run", { prompt: text, bos: false, cache: [{ hook, reduce: "mean", as: "mean" }] });
  return tensor(res, "mean").data;
}

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** The steering vector from the pairs: mean over pairs of mean(towards) − mean(away from), BOS excluded. */
async function pairVector(hook) {
  const pairs = $("steer-pairs").value.split("\n").map((l) => l.trim()).filter((l) => l).map((l) => l.split("|").map((s) => s.trim()));
  if (!pairs.length || pairs.some((p) => p.length !== 2 || !p[0] || !p[1])) throw new Error("each line needs 'towards | away from'");
  const diffs = await Promise.all(pairs.map(async ([plus, minus]) => {
    const [a, b] = await Promise.all([meanAt(hook, plus), meanAt(hook, minus)]);
    return a.map((v, i) => v - b[i]);
  }));
  return diffs[0].map((_, i) => diffs.reduce((s, d) => s + d[i], 0) / diffs.length);
}

async function runSteering() {
  const source = $("steer-source").value, scale = Number($("steer-scale").value), prompt = $("steer-prompt").value;
  let hook = $("steer-hook").value, vector, vnorm;
  if (source === "pairs") {
    vector = await pairVector(hook);
    vnorm = norm(vector);
  } else {
    const [sae, id] = source.split(":").slice(1);
    const f = await api(`/v1/saes/${encodeURIComponent(sae)}/features/${id}`);
    hook = f.hook;
    vector = { ref: source };
    vnorm = norm(f.decoder);
  }
  const res = await api("/v1/run", { prompt, cache: [{ hook, norm: true, reduce: "mean", as: "rnorm" }] });
  const rnorm = tensor(res, "rnorm").data[0];
  const added = vnorm * Math.abs(scale);
  $("steer-norms").textContent = `‖vector‖ ${vnorm.toFixed(2)} × scale ${scale} = ${added.toFixed(2)} added at ${hook}; mean residual norm there on the prompt ${rnorm.toFixed(2)} (ratio ${(added / rnorm).toFixed(2)})`;
  $("steer-norms").dataset.vectorNorm = String(vnorm);
  $("steer-norms").dataset.residNorm = String(rnorm);
  const base = { prompt, max_tokens: Number($("steer-max").value) };
  const steered = Object.assign({}, base, { interventions: [{ hook, op: "add", vector, scale }] });
  const outs = [$("steer-plain"), $("steer-steered")];
  outs.forEach((o) => { o.textContent = prompt; delete o.dataset.done; });
  await Promise.all([base, steered].map((body, i) =>
    stream(body, (piece) => { outs[i].textContent += piece; }).then((done) => { outs[i].dataset.done = "1"; outs[i].dataset.tokens = done.tokens.join(","); })));
}

// ---- SAE features: features on a text, search, dashboards ----

function shade(span, v, max) {
  span.style.background = `rgba(234, 88, 12, ${Math.max(0, v) / (max || 1)})`;
}

function featureLink(sae, id, text) {
  const b = document.createElement("button");
  b.textContent = text;
  b.dataset.feature = id;
  b.addEventListener("click", () => { $("feat-sae").value = sae; $("feat-id").value = id; run("features", showFeature)(); });
  return b;
}

async function featuresOnText() {
  const sae = $("feat-sae").value;
  if (!sae) throw new Error("this server has no SAE with a feature store");
  const res = await api("/v1/sae/encode", { sae, prompt: $("feat-text").value, topk: 5 });
  const vals = tensor(res, "top.values"), idx = tensor(res, "top.indices");
  const k = vals.shape[vals.shape.length - 1];
  const texts = await strTokens(res.tokens);
  const spans = tokenSpans($("feat-text-tokens"), texts, res.tokens);
  const best = new Map();
  spans.forEach((s, p) => {
    const feats = [];
    for (let j = 0; j < k; j++) {
      const v = vals.data[p * k + j], id = idx.data[p * k + j];
      if (v > 0) feats.push([id, v]);
      if (v > 0 && (!best.has(id) || best.get(id) < v)) best.set(id, v);
    }
    s.dataset.features = feats.map(([id]) => id).join(",");
    s.title = `id ${res.tokens[p]}\n` + (feats.map(([id, v]) => `#${id} ${v.toFixed(3)}`).join("\n") || "no feature fires");
    s.addEventListener("click", () => showTokenFeatures(sae, p, feats));
    shade(s, feats.length ? feats[0][1] : 0, Math.max(...vals.data));
  });
  const sorted = [...best.entries()].sort((a, b) => b[1] - a[1]).slice(0, 24);
  $("feat-text-list").replaceChildren(...sorted.map(([id, v]) => featureLink(sae, id, `#${id} ${v.toFixed(2)}`)));
  $("feat-text-box").dataset.ready = "1";
}

function showTokenFeatures(sae, p, feats) {
  $("feat-text-list").replaceChildren(...feats.map(([id, v]) => featureLink(sae, id, `#${id} ${v.toFixed(2)}`)));
  $("feat-text-list").dataset.position = p;
}

/** Histogram of activations (log-spaced bins) as an SVG with labelled axes. */
function histogram(el, bins, bands) {
  const W = 520, H = 150, L = 44, B = 28, max = Math.max(1, ...bins.map((b) => b.count));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  const pw = W - L - 8, ph = H - B - 8, bw = pw / Math.max(1, bins.length);
  bins.forEach((b, i) => {
    const h = (ph * b.count) / max;
    const r = add("rect", { x: L + i * bw, y: 8 + ph - h, width: Math.max(1, bw - 1), height: h, fill: bands.colour(b.hi) });
    r.appendChild(document.createElementNS(ns, "title")).textContent = `${b.lo.toPrecision(3)} – ${b.hi.toPrecision(3)}: ${b.count} tokens`;
  });
  add("line", { x1: L, y1: 8 + ph, x2: L + pw, y2: 8 + ph, stroke: "#555" });
  add("line", { x1: L, y1: 8, x2: L, y2: 8 + ph, stroke: "#555" });
  [0, 0.5, 1].forEach((f) => add("text", { x: L - 4, y: 8 + ph - f * ph + 3, "text-anchor": "end" }, Math.round(f * max)));
  if (bins.length) [0, Math.floor(bins.length / 2), bins.length - 1].forEach((i) =>
    add("text", { x: L + i * bw + bw / 2, y: H - 14, "text-anchor": "middle", class: "xtick" }, bins[i].lo.toPrecision(2)));
  add("text", { x: L + pw / 2, y: H - 2, "text-anchor": "middle" }, "activation (log bins)");
  add("text", { x: 10, y: 8 + ph / 2, transform: `rotate(-90 10 ${8 + ph / 2})`, "text-anchor": "middle" }, "tokens");
  el.replaceChildren(svg);
}

/** Activation bands as fractions of the maximum, as Neuronpedia groups examples. */
function bandsOf(max) {
  const edges = [[0.75, 1.01, "top band: ≥ 75% of max", "#c2410c"], [0.5, 0.75, "50–75% of max", "#ea580c"], [0.25, 0.5, "25–50% of max", "#fb923c"], [0, 0.25, "below 25% of max", "#fed7aa"]];
  return {
    edges,
    of: (v) => edges.findIndex(([lo, hi]) => v / max >= lo && v / max < hi),
    colour: (v) => (edges.find(([lo, hi]) => v / max >= lo && v / max < hi) || edges[0])[3],
  };
}

async function showFeature() {
  const sae = $("feat-sae").value, id = Number($("feat-id").value);
  if (!sae) throw new Error("this server has no SAE with a feature store");
  const f = await api(`/v1/saes/${encodeURIComponent(sae)}/features/${id}`);
  state.feature = { sae, id, f };
  $("feat-stats").textContent = `feature ${id} of ${sae} at ${f.hook}: fires on ${(100 * f.frequency).toFixed(3)}% of tokens (${f.fire_count}), mean ${f.mean_act.toFixed(3)}, max ${f.max_act.toFixed(3)}`;
  const logd = f.frequency > 0 ? Math.log10(f.frequency) : -10;
  const track = document.createElement("div");
  track.className = "track";
  const mark = document.createElement("div");
  mark.className = "mark";
  mark.style.left = `${Math.max(0, Math.min(100, ((logd + 6) / 6) * 100))}%`;
  track.appendChild(mark);
  const lbl = (t) => { const s = document.createElement("span"); s.textContent = t; return s; };
  $("feat-density").replaceChildren(lbl("density 10⁻⁶"), track, lbl(`10⁰ (this feature: 10^${logd.toFixed(2)})`));
  $("feat-density").dataset.log10 = String(logd);
  const bands = bandsOf(f.max_act);
  histogram($("feat-hist"), f.histogram, bands);
  const groups = bands.edges.map(([, , label]) => {
    const div = document.createElement("div");
    div.className = "band";
    const h = document.createElement("h4");
    h.textContent = label;
    div.appendChild(h);
    return div;
  });
  f.examples.forEach((e) => {
    const row = document.createElement("div");
    row.className = "example tokens";
    row.dataset.activation = String(e.activation);
    const spans = tokenSpans(row, e.tokens, e.token_ids);
    spans.forEach((s, i) => { s.dataset.act = String(e.acts[i]); s.title = `id ${e.token_ids ? e.token_ids[i] : "?"}: ${e.acts[i].toFixed(3)}`; shade(s, e.acts[i], f.max_act); });
    spans[e.center].classList.add("focus");
    groups[Math.max(0, bands.of(e.activation))].appendChild(row);
  });
  $("feat-examples").replaceChildren(...groups.filter((g) => g.children.length > 1));
  const list = (el, items) => el.replaceChildren(...items.map((t) => {
    const li = document.createElement("li");
    const w = document.createElement("span");
    w.className = "tok";
    renderToken(w, t.token);
    li.append(w, `  ${t.value.toFixed(3)}`);
    return li;
  }));
  list($("feat-pos"), f.logit_effects.positive);
  list($("feat-neg"), f.logit_effects.negative);
  $("feat-steer").hidden = false;
  $("features").dataset.ready = "1";
}

/** Opens the steering tab with this feature's decoder direction at its SAE's hook. */
function steerWithFeature() {
  const { sae, id, f } = state.feature;
  const ref = `sae:${sae}:${id}`;
  const sel = $("steer-source");
  if (![...sel.options].some((o) => o.value === ref)) sel.add(new Option(`SAE ${sae} feature ${id}`, ref));
  sel.value = ref;
  $("steer-hook").value = f.hook;
  $("steer-scale").value = (2 * f.max_act).toPrecision(2);
  openTab("steer");
}

async function searchFeatures() {
  const sae = $("feat-sae").value, q = $("feat-query").value.trim();
  if (!sae) throw new Error("this server has no SAE with a feature store");
  if (!q) throw new Error("type a token or a piece of context to search for");
  const r = await api(`/v1/saes/${encodeURIComponent(sae)}/search/${encodeURIComponent(q)}`);
  $("feat-results-title").hidden = false;
  $("feat-results").replaceChildren(...r.features.map((f) => {
    const li = document.createElement("li");
    li.textContent = `#${f.id} max ${f.max_act.toFixed(2)} (${f.matches})`;
    li.dataset.feature = f.id;
    li.addEventListener("click", () => { $("feat-id").value = f.id; run("features", showFeature)(); });
    return li;
  }));
  $("feat-results").dataset.query = q;
}

async function loadFeatureList() {
  const sae = $("feat-sae").value;
  if (!sae) return;
  const top = await api(`/v1/saes/${encodeURIComponent(sae)}/features`);
  $("feat-top").replaceChildren(...top.features.slice(0, 20).map((f) => {
    const li = document.createElement("li");
    li.textContent = `#${f.id} ${(100 * f.frequency).toFixed(1)}%`;
    li.addEventListener("click", () => { $("feat-id").value = f.id; run("features", showFeature)(); });
    return li;
  }));
}

// ---- wiring ----

/** Runs an action of a tab: its status line says what is running, shows an error, and is cleared on success. */
function run(tab, fn) {
  return () => {
    status(tab, "running…");
    return fn().then(() => status(tab, ""), (e) => status(tab, e.message, true));
  };
}

function openTab(name) {
  document.querySelectorAll("nav button, .tab").forEach((e) => e.classList.remove("active"));
  document.querySelector(`nav button[data-tab='${name}']`).classList.add("active");
  $(name).classList.add("active");
}

function connectionError(e) {
  const f = $("status");
  f.textContent = e.message;
  f.className = "error";
}

async function init() {
  $("api-key").value = localStorage.getItem("loupe-key") || "";
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
  $("steer-hook").value = `blocks.${Math.max(0, Math.floor(state.info.n_layers / 2) - 1)}.hook_resid_post`;
  $("heat-hook").value = plain.some((h) => h.name === "blocks.0.mlp.hook_post") ? "blocks.0.mlp.hook_post" : plain[0].name;
  state.saes = (await api("/v1/saes")).saes;
  state.saes.forEach((s) => $("heat-hook").add(new Option(`SAE ${s.name} (features at ${s.hook})`, "sae:" + s.name)));
  const withStore = state.saes.filter((s) => s.features);
  fill($("feat-sae"), withStore.map((s) => [s.name, `${s.name} (${s.hook}, ${s.d_sae} features)`]));
  $("feat-none").hidden = withStore.length > 0;
  await loadFeatureList();
  document.body.dataset.ready = "1";
  $("status").textContent = "connected";
  $("status").className = "";
}

$("api-key").addEventListener("change", () => { localStorage.setItem("loupe-key", $("api-key").value); init().catch(connectionError); });
document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => openTab(b.dataset.tab)));
$("att-run").addEventListener("click", run("attention", showAttention));
$("att-head").addEventListener("change", () => state.att.texts.length && selectHead($("att-head").value));
$("att-layer").addEventListener("change", () => state.att.texts.length && run("attention", showAttention)());
$("att-zoom").addEventListener("input", () => state.att.texts.length && selectHead(state.att.head));
$("lens-run").addEventListener("click", run("lens", showLens));
$("heat-run").addEventListener("click", run("heatmap", showHeatmap));
$("steer-run").addEventListener("click", run("steer", runSteering));
$("feat-run").addEventListener("click", run("features", showFeature));
$("feat-search").addEventListener("click", run("features", searchFeatures));
$("feat-text-run").addEventListener("click", run("features", featuresOnText));
$("feat-steer").addEventListener("click", steerWithFeature);
$("feat-sae").addEventListener("change", run("features", loadFeatureList));
window.loupeUi = { blue, visible };
init().catch(connectionError);
