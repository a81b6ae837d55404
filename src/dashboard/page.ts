/**
 * The dashboard page: one self-contained HTML document (style and script
 * inline), so it works with no network beyond the dashboard itself. Every status
 * is written out as text next to its colour and symbol, so the page reads the
 * same without colour.
 */
const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --dim: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; }
header { position: sticky; top: 0; background: Canvas; border-bottom: 1px solid var(--line); padding: 10px 16px; display: flex; flex-wrap: wrap; gap: 12px; align-items: center; z-index: 1; }
h1 { font-size: 16px; margin: 0 12px 0 0; }
#live { font-size: 12px; padding: 2px 8px; border-radius: 10px; border: 1px solid var(--line); }
#counts { display: flex; gap: 8px; flex-wrap: wrap; }
#counts span { font-size: 12px; border: 1px solid var(--line); border-radius: 4px; padding: 2px 6px; }
input, select { font: inherit; padding: 3px 6px; }
main { padding: 8px 16px 32px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
col.addr { width: 15em; }
col.timeline { width: 30%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: 6px 8px; }
th { font-size: 12px; color: var(--dim); font-weight: 600; }
td.addr { font-family: ui-monospace, monospace; white-space: nowrap; }
td.addr small, td.cell small, td.timeline li { color: var(--dim); font-size: 12px; }
td.cell { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
td.timeline { overflow: hidden; }
.st { font-weight: 600; }
.st-SERVING { color: var(--ok); }
.st-NOT_SERVING, .st-UNREACHABLE, .st-SERVICE_UNKNOWN, .st-UNIMPLEMENTED { color: var(--bad); }
.st-UNKNOWN, .st-CONNECTING { color: var(--warn); }
td.timeline ol { margin: 0; padding-left: 16px; }
tr[hidden] { display: none; }
#empty { color: var(--dim); padding: 16px 0; }
`;

const SCRIPT = `
"use strict";
const SYMBOL = { SERVING: "\\u2714", NOT_SERVING: "\\u2716", UNKNOWN: "?", SERVICE_UNKNOWN: "\\u2716", UNIMPLEMENTED: "\\u2716", UNREACHABLE: "\\u26A0", CONNECTING: "\\u2026" };
const ORDER = ["SERVING", "NOT_SERVING", "UNKNOWN", "SERVICE_UNKNOWN", "UNIMPLEMENTED", "UNREACHABLE", "CONNECTING"];
const state = { services: [], backends: new Map(), counts: {} };
const rows = new Map();
const shown = new WeakMap(); // row -> the HTML of its cells as last written
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
const clock = (ms) => new Date(ms).toLocaleTimeString();
function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h";
  return Math.floor(s / 86400) + "d";
}
function cellHtml(service, cell) {
  if (!cell) return '<td class="cell" data-service="' + esc(service) + '">-</td>';
  const rtt = cell.rttMs === undefined ? "" : " \\u00b7 " + cell.rttMs + " ms";
  const title = cell.detail ? ' title="' + esc(cell.detail) + '"' : "";
  return '<td class="cell" data-service="' + esc(service) + '" data-status="' + cell.status + '"' + title + ">" +
    '<span class="st st-' + cell.status + '">' + SYMBOL[cell.status] + " " + cell.status + "</span><br>" +
    '<small>since <time data-since="' + cell.since + '">' + clock(cell.since) + " (" + ago(cell.since) + ")</time>" + rtt + "</small></td>";
}
function rowHtml(backend) {
  const cells = state.services.map((service) => cellHtml(service, backend.cells[service]));
  const recent = backend.timeline.slice(-5).reverse().map((t) =>
    "<li>" + clock(t.at) + " " + esc(t.service === "" ? '""' : t.service) + ": " + t.from + " \\u2192 " + t.to + "</li>").join("");
  return ['<td class="addr">' + esc(backend.address) + "<br><small>" + esc(backend.target) + "</small></td>", ...cells,
    '<td class="timeline"><ol>' + recent + "</ol></td>"];
}
function matches(backend) {
  const query = $("filter").value.trim().toLowerCase();
  const only = $("only").value;
  const statuses = Object.values(backend.cells).map((cell) => cell.status);
  if (only === "unhealthy" && statuses.every((s) => s === "SERVING")) return false;
  if (only === "healthy" && !statuses.every((s) => s === "SERVING")) return false;
  if (query === "") return true;
  return (backend.address + " " + backend.target + " " + statuses.join(" ")).toLowerCase().includes(query);
}
// Each cell is rewritten only when its text changed: a round-trip time touches one cell.
function renderRow(backend) {
  let tr = rows.get(backend.address);
  const html = rowHtml(backend);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.backend = backend.address;
    rows.set(backend.address, tr);
    const body = $("rows");
    let before = null;
    for (const other of body.children) if (other.dataset.backend > backend.address) { before = other; break; }
    tr.innerHTML = html.join("");
    body.insertBefore(tr, before);
  } else {
    const before = shown.get(tr);
    if (!before || before.length !== html.length) tr.innerHTML = html.join("");
    else html.forEach((cellHtml, i) => { if (before[i] !== cellHtml) tr.cells[i].outerHTML = cellHtml; });
  }
  shown.set(tr, html);
  tr.hidden = !matches(backend);
}
function renderCounts() {
  $("counts").innerHTML = ORDER.filter((s) => state.counts[s]).map((s) =>
    '<span class="st-' + s + '" data-count="' + s + '">' + SYMBOL[s] + " " + s + ": " + state.counts[s] + "</span>").join("");
  $("empty").hidden = state.backends.size > 0;
}
function renderAll() {
  $("cols").innerHTML = '<col class="addr">' + state.services.map(() => "<col>").join("") + '<col class="timeline">';
  $("head").innerHTML = "<th>Backend</th>" + state.services.map((s) => "<th>" + esc(s === "" ? '"" (server)' : s) + "</th>").join("") + "<th>Recent changes</th>";
  $("rows").textContent = "";
  rows.clear();
  for (const backend of state.backends.values()) renderRow(backend);
  renderCounts();
}
function applyFilter() { for (const backend of state.backends.values()) rows.get(backend.address).hidden = !matches(backend); }
$("filter").addEventListener("input", applyFilter);
$("only").addEventListener("change", applyFilter);
setInterval(() => { for (const t of document.querySelectorAll("time[data-since]")) t.textContent = clock(+t.dataset.since) + " (" + ago(+t.dataset.since) + ")"; }, 5000);
const events = new EventSource("events");
events.addEventListener("open", () => { $("live").textContent = "live"; });
events.addEventListener("error", () => { $("live").textContent = "reconnecting\\u2026"; });
events.addEventListener("snapshot", (e) => {
  const snapshot = JSON.parse(e.data);
  state.services = snapshot.services;
  state.counts = snapshot.counts;
  state.backends = new Map(snapshot.backends.map((b) => [b.address, b]));
  pending.clear();
  renderAll();
  $("live").textContent = "live";
});
// Updates are applied once per frame: a burst of events costs one layout.
const pending = new Map();
let frame = 0;
function applyPending() {
  frame = 0;
  for (const backend of pending.values()) {
    if (backend.removed) {
      state.backends.delete(backend.address);
      rows.get(backend.address)?.remove();
      rows.delete(backend.address);
    } else {
      state.backends.set(backend.address, backend);
      renderRow(backend);
    }
  }
  pending.clear();
  renderCounts();
}
events.addEventListener("update", (e) => {
  const update = JSON.parse(e.data);
  state.counts = update.counts;
  for (const backend of update.backends) pending.set(backend.address, backend);
  frame ||= requestAnimationFrame(applyPending);
});
`;

/** The page served at `/`. */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gRPC health dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>gRPC health</h1>
  <span id="live">connecting\u2026</span>
  <div id="counts" aria-label="counts per status"></div>
  <label>Filter <input id="filter" type="search" placeholder="address, target or status"></label>
  <label>Show <select id="only"><option value="all">all</option><option value="unhealthy">not all SERVING</option><option value="healthy">all SERVING</option></select></label>
</header>
<main>
<table>
  <colgroup id="cols"></colgroup>
  <thead><tr id="head"></tr></thead>
  <tbody id="rows"></tbody>
</table>
<p id="empty">No backends yet.</p>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
