// Loupe web UI, attribution graph tab: QK attribution (/v1/attribute/qk) — one head's attention score from a query
// to a key position split over pairs of graph nodes, listed beside the graph; a clicked pair is marked in it.
"use strict";

/** After a new graph: the query at the last token, the key at 0, nothing marked. */
function qkReset(positions) {
  $("qk-query").value = positions - 1;
  $("qk-query").max = positions - 1;
  $("qk-key").value = 0;
  $("qk-key").max = positions - 1;
  $("qk-run").disabled = false;
  ["qk-pairs", "qk-query-sources", "qk-key-sources"].forEach((e) => { $(e).innerHTML = ""; });
  $("qk-score").textContent = "";
}

/** A click on token p sets the key position; with shift, the query position. */
function qkPosition(p, query) {
  $(query ? "qk-query" : "qk-key").value = p;
  qkMarkTokens();
}

function qkMarkTokens() {
  document.querySelectorAll("#graph-svg text.tok-label").forEach((t) => {
    t.classList.toggle("qk-query", +t.dataset.pos === +$("qk-query").value);
    t.classList.toggle("qk-key", +t.dataset.pos === +$("qk-key").value);
  });
}

function qkItem(text, value, data) {
  const li = document.createElement("li");
  Object.assign(li.dataset, data, { value });
  li.textContent = `${value >= 0 ? "+" : ""}${(+value).toFixed(4)}  ${text}`;
  return li;
}

async function runQk() {
  $("graph").dataset.qk = "0";
  const r = await api("/v1/attribute/qk", { tokens: graph.data.metadata.prompt_ids, layer: +$("qk-layer").value, head: +$("qk-head").value,
    query_position: +$("qk-query").value, key_position: +$("qk-key").value, top_k: 10 });
  $("qk-score").textContent = `layer ${r.layer} head ${r.head}: ${JSON.stringify(r.query_token)} @${r.query_position} → ${JSON.stringify(r.key_token)} @${r.key_position}: score ${r.score.toFixed(4)} (biases ${r.bias_term.toFixed(4)})`;
  $("qk-score").dataset.score = r.score;
  $("qk-pairs").replaceChildren(...r.pairs.map((p) => {
    const li = qkItem(`${p.query.label} × ${p.key.label}`, p.value, { query: p.query.node_id, key: p.key.node_id });
    li.addEventListener("click", () => qkMark(p.query.node_id, p.key.node_id));
    return li;
  }));
  $("qk-query-sources").replaceChildren(...r.query_sources.map((s) => qkItem(s.label, s.value, { id: s.node_id })));
  $("qk-key-sources").replaceChildren(...r.key_sources.map((s) => qkItem(s.label, s.value, { id: s.node_id })));
  graph.qkPair = null;
  render();
  $("graph").dataset.qk = "1";
}

/** Marks a pair's query-side and key-side nodes in the graph (those the pruned graph kept). */
function qkMark(query, key) {
  graph.qkPair = { query, key };
  render();
  document.querySelectorAll("#qk-pairs li").forEach((li) => li.classList.toggle("selected", li.dataset.query === query && li.dataset.key === key));
  $("graph").dataset.qkPair = query + "|" + key;
}

$("qk-run").addEventListener("click", run("graph", runQk));
