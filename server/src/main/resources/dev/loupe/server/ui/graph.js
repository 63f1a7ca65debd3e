// Loupe web UI, attribution graph tab: a node-link view of /v1/attribute laid out by layer (rows) and position
// (columns), with node details, pinning, supernodes and feature interventions (/v1/features/intervene); QK
// attribution of an attention score is graph-qk.js.
"use strict";

const graph = { data: null, byId: new Map(), clicked: null, pinned: [], supernodes: [], hidden: new Set() };
const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function nodeType(n) {
  return n.feature_type === "cross layer transcoder" ? "feature" : n.feature_type === "mlp reconstruction error" ? "error"
    : n.feature_type === "embedding" ? "embedding" : n.feature_type === "supernode" ? "supernode" : "logit";
}

function nodeLabel(n) {
  const t = nodeType(n);
  if (t === "feature") return `L${n.layer} F${n.feature} @${n.ctx_idx} (act ${(+n.activation).toFixed(3)})`;
  if (t === "error") return `error L${n.layer} @${n.ctx_idx}`;
  if (t === "embedding") return `token "${graph.data.metadata.prompt_tokens[n.ctx_idx]}" @${n.ctx_idx}`;
  if (t === "supernode") return `supernode ${n.name} (${n.members.length} nodes)`;
  return n.clerp;
}

/** Lays out every node: row by layer (E at the bottom, logits on top), column by position, spread within a cell. */
function layout(nodes, nPos, nLayers) {
  const svg = $("graph-svg"), w = +svg.getAttribute("width"), h = +svg.getAttribute("height");
  const rows = nLayers + 2, rowH = (h - 40) / rows, colW = (w - 20) / nPos;
  const row = (n) => n.layer === "E" ? 0 : +n.layer >= nLayers + 1 ? rows - 1 : +n.layer + 1;
  const cells = new Map();
  nodes.forEach((n) => { const k = row(n) + ":" + n.ctx_idx; if (!cells.has(k)) cells.set(k, []); cells.get(k).push(n); });
  for (const list of cells.values()) {
    list.forEach((n, i) => {
      n.x = 10 + colW * n.ctx_idx + colW * (i + 1) / (list.length + 1);
      n.y = h - 30 - rowH * (row(n) + 0.5);
    });
  }
  return colW;
}

function render() {
  const svg = $("graph-svg"), d = graph.data;
  svg.innerHTML = "";
  const nPos = d.metadata.prompt_tokens.length, nLayers = Math.max(0, ...d.nodes.filter((n) => n.layer !== "E").map((n) => +n.layer)) - 1;
  const colW = layout(allNodes(), nPos, nLayers);
  const only = $("graph-only-pinned").checked;
  const visible = (id) => !graph.hidden.has(id) && (!only || graph.pinned.includes(id) || graph.supernodes.some((s) => s.id === id));
  const maxW = Math.max(1e-9, ...links().map((l) => Math.abs(l.weight)));
  for (const l of links()) {
    const s = graph.byId.get(l.source), t = graph.byId.get(l.target);
    if (!s || !t || !visible(s.node_id) || !visible(t.node_id)) continue;
    svg.appendChild(svgEl("line", { class: "link", x1: s.x, y1: s.y, x2: t.x, y2: t.y, "data-source": l.source, "data-target": l.target,
      stroke: l.weight >= 0 ? "#2563eb" : "#dc2626", "stroke-width": 0.5 + 3 * Math.abs(l.weight) / maxW }));
  }
  for (const n of allNodes()) {
    if (!visible(n.node_id)) continue;
    const classes = ["node", nodeType(n)];
    if (graph.pinned.includes(n.node_id)) classes.push("pinned");
    if (graph.clicked === n.node_id) classes.push("clicked");
    if (graph.qkPair?.query === n.node_id) classes.push("qk-query");
    if (graph.qkPair?.key === n.node_id) classes.push("qk-key");
    const c = svgEl("circle", { class: classes.join(" "), cx: n.x, cy: n.y, r: nodeType(n) === "supernode" ? 9 : 6, "data-id": n.node_id });
    if (n.members) c.setAttribute("data-members", n.members.join(","));
    c.appendChild(svgEl("title", {})).textContent = nodeLabel(n);
    c.addEventListener("click", run("graph", () => clickNode(n.node_id)));
    svg.appendChild(c);
  }
  d.metadata.prompt_tokens.forEach((t, p) => {
    const label = svgEl("text", { class: "tok-label", x: 10 + colW * (p + 0.5), y: +svg.getAttribute("height") - 10, "text-anchor": "middle", "data-pos": p });
    label.textContent = t.length > 10 ? t.slice(0, 9) + "…" : t;
    label.addEventListener("click", (e) => qkPosition(p, e.shiftKey));
    svg.appendChild(label);
  });
  qkMarkTokens();
}

/** Graph nodes with supernodes standing in for their members. */
function allNodes() {
  return graph.data.nodes.filter((n) => !graph.hidden.has(n.node_id)).concat(graph.supernodes);
}

/** Links with each supernode member replaced by its supernode (weights summed, links inside a supernode dropped). */
function links() {
  const owner = new Map();
  graph.supernodes.forEach((s) => s.members.forEach((m) => owner.set(m, s.id)));
  if (owner.size === 0) return graph.data.links;
  const merged = new Map();
  for (const l of graph.data.links) {
    const s = owner.get(l.source) || l.source, t = owner.get(l.target) || l.target;
    if (s === t) continue;
    const k = s + "→" + t;
    merged.set(k, { source: s, target: t, weight: (merged.get(k)?.weight || 0) + l.weight });
  }
  return [...merged.values()];
}

function listLinks(ol, items, key) {
  ol.innerHTML = "";
  items.slice(0, 10).forEach((l) => {
    const li = document.createElement("li");
    const other = graph.byId.get(l[key]);
    li.dataset.id = l[key];
    li.dataset.weight = l.weight;
    li.textContent = `${l.weight >= 0 ? "+" : ""}${l.weight.toFixed(4)}  ${other ? nodeLabel(other) : l[key]}`;
    li.addEventListener("click", run("graph", () => clickNode(l[key])));
    ol.appendChild(li);
  });
}

async function clickNode(id) {
  graph.clicked = id;
  const n = graph.byId.get(id);
  $("graph-detail").textContent = nodeLabel(n);
  $("graph-detail").dataset.id = id;
  const ls = links(), byWeight = (a, b) => Math.abs(b.weight) - Math.abs(a.weight);
  listLinks($("graph-inputs"), ls.filter((l) => l.target === id).sort(byWeight), "source");
  listLinks($("graph-outputs"), ls.filter((l) => l.source === id).sort(byWeight), "target");
  $("graph-pin").disabled = false;
  $("graph-pin").textContent = graph.pinned.includes(id) ? "Unpin" : "Pin";
  const isFeature = nodeType(n) === "feature";
  $("graph-intervene").disabled = !isFeature;
  ["graph-promotes", "graph-suppresses", "graph-logits", "graph-clean", "graph-contexts", "graph-feature-stats"].forEach((e) => { $(e).innerHTML = ""; });
  render();
  if (isFeature) {
    const f = await api(`/v1/transcoders/${n.layer}/${n.feature}`);
    fillTokens($("graph-promotes"), f.promotes.slice(0, 5), (t) => t.value.toFixed(3));
    fillTokens($("graph-suppresses"), f.suppresses.slice(0, 5), (t) => t.value.toFixed(3));
    showContexts(f.dashboard);
  }
  $("graph").dataset.clicked = id;
}

/** A transcoder feature's dashboard from its layer's feature store: frequency and top activating contexts, shaded per token. */
function showContexts(d) {
  if (!d) {
    $("graph-feature-stats").textContent = "no feature store for this layer (loupe sae features --transcoders)";
    return;
  }
  $("graph-feature-stats").textContent = `fires on ${(100 * d.frequency).toFixed(3)}% of tokens, max ${d.max_act.toFixed(3)}; top contexts:`;
  $("graph-contexts").replaceChildren(...d.examples.slice(0, 8).map((e) => {
    const row = document.createElement("div");
    row.className = "example tokens";
    row.dataset.activation = e.activation;
    const spans = tokenSpans(row, e.tokens, e.token_ids);
    spans.forEach((s, i) => { s.dataset.act = e.acts[i]; shade(s, e.acts[i], d.max_act); });
    spans[e.center].classList.add("focus");
    return row;
  }));
}

function fillTokens(ol, items, fmt) {
  ol.innerHTML = "";
  items.forEach((t) => {
    const li = document.createElement("li");
    li.dataset.id = t.id;
    li.dataset.value = t.prob !== undefined ? t.prob : t.value;
    li.textContent = `${JSON.stringify(t.token)} ${fmt(t)}`;
    ol.appendChild(li);
  });
}

function togglePin() {
  const id = graph.clicked;
  if (!id) return;
  graph.pinned = graph.pinned.includes(id) ? graph.pinned.filter((p) => p !== id) : graph.pinned.concat([id]);
  $("graph-pin").textContent = graph.pinned.includes(id) ? "Unpin" : "Pin";
  const ol = $("graph-pinned");
  ol.innerHTML = "";
  graph.pinned.forEach((p) => { const li = document.createElement("li"); li.dataset.id = p; li.textContent = nodeLabel(graph.byId.get(p)); ol.appendChild(li); });
  render();
}

/** Groups the pinned graph nodes into one supernode drawn at their mean position (qParams.supernodes holds [name, ...ids]). */
function groupPinned() {
  const members = graph.pinned.filter((p) => graph.data.nodes.some((n) => n.node_id === p));
  if (members.length < 2) throw new Error("pin at least two nodes to group them");
  const name = $("graph-group-name").value.trim() || "group";
  const ns = members.map((m) => graph.byId.get(m));
  const s = { node_id: "super_" + name + "_" + graph.supernodes.length, id: null, name, members, feature_type: "supernode",
    layer: ns[0].layer, ctx_idx: Math.round(ns.reduce((a, n) => a + n.ctx_idx, 0) / ns.length) };
  s.id = s.node_id;
  graph.supernodes.push(s);
  graph.byId.set(s.node_id, s);
  members.forEach((m) => graph.hidden.add(m));
  graph.pinned = graph.pinned.filter((p) => !members.includes(p));
  graph.data.qParams.supernodes.push([name].concat(members));
  const li = document.createElement("li");
  li.dataset.id = s.node_id;
  li.dataset.members = members.join(",");
  li.textContent = `${name}: ${members.join(", ")}`;
  $("graph-supernodes").appendChild(li);
  $("graph-pinned").innerHTML = "";
  render();
}

async function runGraph() {
  $("graph").dataset.ready = "0";
  const body = { prompt: $("graph-prompt").value, node_threshold: +$("graph-node-t").value, edge_threshold: +$("graph-edge-t").value };
  graph.data = await api("/v1/attribute", body);
  graph.byId = new Map(graph.data.nodes.map((n) => [n.node_id, n]));
  Object.assign(graph, { clicked: null, pinned: [], supernodes: [], hidden: new Set(), qkPair: null });
  ["graph-pinned", "graph-supernodes", "graph-inputs", "graph-outputs"].forEach((e) => { $(e).innerHTML = ""; });
  const m = graph.data.metadata;
  $("graph-scores").textContent = `replacement score ${m.replacement_score.toFixed(3)} · completeness ${m.completeness_score.toFixed(3)} · ${graph.data.nodes.length} nodes · ${graph.data.links.length} links`;
  qkReset(m.prompt_ids.length);
  render();
  $("graph").dataset.ready = "1";
}

async function runIntervention() {
  const n = graph.byId.get(graph.clicked);
  $("graph").dataset.intervened = "0";
  const r = await api("/v1/features/intervene", {
    tokens: graph.data.metadata.prompt_ids, top_k: 5, freeze_attention: $("graph-freeze").checked,
    edits: [{ layer: +n.layer, position: n.ctx_idx, feature: n.feature, op: "set", value: +$("graph-value").value }] });
  fillTokens($("graph-clean"), r.clean, (t) => t.prob.toFixed(4));
  fillTokens($("graph-logits"), r.edited, (t) => t.prob.toFixed(4));
  $("graph").dataset.intervened = "1";
}

$("graph-run").addEventListener("click", run("graph", runGraph));
$("graph-pin").addEventListener("click", togglePin);
$("graph-group").addEventListener("click", () => { try { groupPinned(); status("graph", ""); } catch (e) { status("graph", e.message, true); } });
$("graph-intervene").addEventListener("click", run("graph", runIntervention));
$("graph-only-pinned").addEventListener("change", () => graph.data && render());
