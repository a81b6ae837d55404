/**
 * The dashboard page: one self-contained HTML document with exactly one inline
 * `<style>` ({@link PAGE_STYLE}) and one inline `<script>` ({@link PAGE_SCRIPT}),
 * so it works with no network beyond the dashboard itself and a strict
 * Content-Security-Policy can allow both by hash. No inline event handlers and
 * no `style` attributes: the script sets element styles through the CSSOM.
 *
 * What it shows: a summary per service; problems first (unresolved targets,
 * then backends with a cell not SERVING), then the rest, grouped by target in
 * natural address order; a status and a 10-minute state timeline per cell; the
 * newest changes of the whole fleet. Every status is written out next to its
 * colour and symbol, and timeline segments differ in shape, so the page reads
 * the same without colour. Backend-controlled text (services, targets, status
 * messages, resolver errors) is only ever set as text, never as markup.
 *
 * Built to stay smooth at thousands of backends: only the rows on screen exist
 * (fixed row height, recycled elements), server events are applied once per
 * animation frame, the order is rebuilt only when a backend's problem state or
 * the fleet changes, and nothing reads layout while writing it.
 */

/** The page's only stylesheet, exported so a Content-Security-Policy can allow it by hash. */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --dim: #6e7781; --line: #d0d7de; --hi: #fff8c5; --row: 26px; }
@media (prefers-color-scheme: dark) { :root { --ok: #3fb950; --bad: #f85149; --warn: #d29922; --dim: #8b949e; --line: #30363d; --hi: #3b2e00; } }
* { box-sizing: border-box; }
html, body { height: 100%; }
body { font: 13px/1.3 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; display: flex; flex-direction: column; }
header { border-bottom: 1px solid var(--line); padding: 8px 12px; display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; }
h1 { font-size: 15px; margin: 0; }
h2 { font-size: 13px; margin: 0; padding: 6px 10px; border-bottom: 1px solid var(--line); }
#live { font-size: 12px; padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); }
#shown { color: var(--dim); font-size: 12px; }
input, select { font: inherit; padding: 2px 6px; }
#filter { width: 18em; }
#summary { display: flex; flex-wrap: wrap; gap: 6px 8px; padding: 6px 12px; border-bottom: 1px solid var(--line); }
#summary > div { border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; white-space: nowrap; max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
#summary > div.problem { border-color: var(--bad); border-width: 1px 1px 1px 4px; }
#summary .n { font-weight: 600; }
#summary .rest { color: var(--dim); }
#summary .problem .rest { color: var(--bad); }
#content { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(0, 1fr) 22em; }
#scroller { overflow: auto; position: relative; min-height: 0; }
#head { position: sticky; top: 0; z-index: 1; height: var(--row); display: grid; grid-template-columns: var(--cols); align-items: center; background: Canvas; border-bottom: 1px solid var(--line); font-size: 12px; color: var(--dim); font-weight: 600; }
#head > div { padding: 0 8px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
#head small { font-weight: 400; }
#spacer { position: relative; }
.row { position: absolute; top: 0; left: 0; right: 0; height: var(--row); display: grid; grid-template-columns: var(--cols); align-items: center; border-bottom: 1px solid var(--line); contain: strict; white-space: nowrap; }
.row > div { padding: 0 8px; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.row.section > div, .row.group > div, .row.target > div { grid-column: 1 / -1; }
.row.target .name { margin-right: 1em; }
.row.section { font-weight: 600; background: color-mix(in srgb, Canvas 92%, CanvasText); }
.row.group { font-size: 12px; color: var(--dim); }
.row.group .name { font-family: ui-monospace, monospace; color: CanvasText; }
.row.problem { box-shadow: inset 4px 0 var(--bad); }
.row.target { background: var(--hi); }
.addr { font-family: ui-monospace, monospace; }
.cell { display: flex; align-items: center; gap: 6px; }
.st { flex: none; font-weight: 600; }
.s-SERVING { color: var(--ok); }
.s-NOT_SERVING, .s-UNREACHABLE, .s-SERVICE_UNKNOWN, .s-UNIMPLEMENTED, .s-UNRESOLVED { color: var(--bad); }
.s-UNKNOWN, .s-CONNECTING { color: var(--warn); }
.tl { flex: 0 1 92px; min-width: 24px; height: 14px; position: relative; border: 1px solid var(--line); }
.seg { position: absolute; bottom: 0; min-width: 2px; }
.seg.s-SERVING { height: 5px; background: var(--ok); }
.seg.s-NOT_SERVING, .seg.s-SERVICE_UNKNOWN, .seg.s-UNIMPLEMENTED { top: 0; background: repeating-linear-gradient(135deg, var(--bad) 0 2px, transparent 2px 4px); }
.seg.s-UNREACHABLE { top: 0; background: var(--bad); }
.seg.s-UNKNOWN { top: 0; background: repeating-linear-gradient(90deg, var(--warn) 0 1px, transparent 1px 3px); }
.seg.s-CONNECTING { height: 3px; background: repeating-linear-gradient(90deg, var(--dim) 0 2px, transparent 2px 4px); }
.meta { flex: 1 1 0; color: var(--dim); font-size: 12px; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.flips { font-weight: 600; color: var(--warn); }
aside { border-left: 1px solid var(--line); display: flex; flex-direction: column; min-height: 0; }
#changes { list-style: none; margin: 0; padding: 0; overflow: auto; flex: 1; font-size: 12px; }
#changes li { padding: 3px 10px; border-bottom: 1px solid var(--line); cursor: pointer; }
#changes li > * { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#changes li > div + div { padding-left: 1em; }
#changes li:hover { background: var(--hi); }
#changes time { color: var(--dim); }
#changes .a { font-family: ui-monospace, monospace; }
#empty, #nochanges { color: var(--dim); padding: 8px 12px; margin: 0; }
[hidden] { display: none !important; }
@media (max-width: 900px) { #content { grid-template-columns: 1fr; grid-template-rows: minmax(0, 1fr) 30vh; } aside { border-left: 0; border-top: 1px solid var(--line); } }
`;

/**
 * The page's only script, exported so a Content-Security-Policy can allow it by
 * hash. Written as ES2020 in one string; it talks to `events` (SSE: `snapshot`,
 * `update`, `rtt`, `target`) and to nothing else.
 */
export const PAGE_SCRIPT = String.raw`
"use strict";
// Every row of the list is this tall (px), the same as --row in the style: the list knows
// where each row is without asking the layout.
const ROW = 26;
const OVERSCAN = 6;
const WINDOW_MS = 10 * 60 * 1000; // the timeline's span
const SLOTS = 60; // the timeline's resolution: one slot shows the worst status in its 10 s
const HISTORY_CAP = 400; // transitions kept per backend
const CHANGES_SHOWN = 100;
const SYMBOL = { SERVING: "✔", NOT_SERVING: "✖", UNKNOWN: "?", SERVICE_UNKNOWN: "✖", UNIMPLEMENTED: "✖", UNREACHABLE: "⚠", CONNECTING: "…", UNRESOLVED: "⚠" };
const ORDER = ["SERVING", "NOT_SERVING", "UNKNOWN", "SERVICE_UNKNOWN", "UNIMPLEMENTED", "UNREACHABLE", "CONNECTING"];
// How bad a status is, for a timeline slot that saw several.
const WORSE = { SERVING: 0, CONNECTING: 1, UNKNOWN: 2, UNIMPLEMENTED: 3, SERVICE_UNKNOWN: 4, NOT_SERVING: 5, UNREACHABLE: 6 };
const $ = (id) => document.getElementById(id);
const scroller = $("scroller"), spacer = $("spacer"), filterInput = $("filter"), onlySelect = $("only");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
function setClass(node, name) { if (node.className !== name) node.className = name; }
function setData(node, key, value) { if (node.dataset[key] !== value) node.dataset[key] = value; }
const serviceName = (service) => (service === "" ? '"" (server)' : service);
const statusText = (status) => (SYMBOL[status] || "") + " " + status;
const number = (n) => n.toLocaleString("en-US");

// Natural order: IPv4 by number, then IPv6 by number, then names with digit runs as numbers
// (127.0.0.2 before 127.0.0.10, host-9 before host-10). The key compares as a plain string.
function pad(text, width) { return String(text).padStart(width, "0"); }
function expandIPv6(text) {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const part = (s) => (s === "" ? [] : s.split(":"));
  const head = part(halves[0]), tail = halves.length === 2 ? part(halves[1]) : [];
  const last = halves.length === 2 ? tail : head;
  const dotted = last.length ? last[last.length - 1] : "";
  if (dotted.includes(".")) {
    const o = dotted.split(".").map(Number);
    if (o.length !== 4 || o.some((x) => !(x >= 0 && x < 256))) return null;
    last.splice(-1, 1, ((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const groups = head.concat(new Array(halves.length === 2 ? missing : 0).fill("0"), tail);
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => pad(g, 4)).join(":");
}
function naturalKey(text) {
  const lower = String(text).toLowerCase().replace(/^dns:(\/\/[^/]*\/)?/, "");
  let m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d{1,5}))?$/.exec(lower);
  if (m) return "1" + [m[1], m[2], m[3], m[4]].map((o) => pad(o, 3)).join(".") + ":" + pad(m[5] || 0, 5);
  m = /^\[([0-9a-f:.]+)(?:%[^\]]*)?\](?::(\d{1,5}))?$/.exec(lower) || /^([0-9a-f]*:[0-9a-f:.]*)()$/.exec(lower);
  const v6 = m && expandIPv6(m[1]);
  if (v6) return "2" + v6 + ":" + pad(m[2] || 0, 5);
  return "3" + lower.replace(/\d+/g, (d) => pad(d.replace(/^0+(?=\d)/, ""), 12));
}
const byKey = (a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0);

// ---- state ----------------------------------------------------------------------------
const fleet = {
  services: [],
  backends: new Map(), // address -> entry
  groups: new Map(), // target -> group
  groupOrder: [],
  targets: new Map(), // target -> FleetTarget
  perService: new Map(), // service -> { status: count }
  clockOffset: 0, // the server's clock minus ours
};
const now = () => Date.now() + fleet.clockOffset;
let changes = []; // newest first, without start-up transitions
let freshChanges = [];
let orderDirty = true, summaryDirty = true, changesDirty = true, groupsDirty = true;
let items = []; // the rows of the list, in order
let tick = 0; // advances each second: times and timelines move on
const sections = ["problems", "changed", "steady"].map((band) => ({ kind: "section", key: "s:" + band, text: "" }));
const recent = new Set(); // entries with a change in the window

// 0: a cell not SERVING; 1: SERVING, changed within the window; 2: steady.
function bandOf(entry) {
  if (isProblem(entry.data)) return 0;
  return entry.lastChange > now() - WINDOW_MS ? 1 : 2;
}
function isProblem(data) {
  for (const service of fleet.services) {
    const cell = data.cells[service];
    if (cell && cell.status !== "SERVING") return true;
  }
  return false;
}
function searchText(data) {
  let text = data.address + " " + data.target;
  for (const service of fleet.services) {
    const cell = data.cells[service];
    if (cell) text += " " + service + " " + cell.status + (cell.detail ? " " + cell.detail : "");
  }
  return text.toLowerCase();
}
function count(data, delta) {
  for (const service of fleet.services) {
    const cell = data.cells[service];
    if (!cell) continue;
    const counts = fleet.perService.get(service);
    counts[cell.status] = (counts[cell.status] || 0) + delta;
  }
}
function groupFor(target) {
  let group = fleet.groups.get(target);
  if (!group) {
    group = { target, sortKey: naturalKey(target), members: [], sorted: true, inBand: [0, 0, 0] };
    group.headers = [0, 1, 2].map((band) => ({ kind: "group", key: "g" + band + ":" + target, band, group }));
    fleet.groups.set(target, group);
    groupsDirty = true;
  }
  return group;
}
function leaveGroup(entry) {
  const group = fleet.groups.get(entry.data.target);
  if (!group) return;
  const at = group.members.indexOf(entry);
  if (at !== -1) group.members.splice(at, 1);
  if (group.members.length === 0) { fleet.groups.delete(group.target); groupsDirty = true; }
}
// New transitions of a backend: those of its (server-side, bounded) timeline after the last one we have.
function mergeHistory(entry, timeline) {
  const history = entry.history;
  const last = history.length ? history[history.length - 1] : null;
  const fresh = [];
  for (let i = timeline.length - 1; i >= 0; i -= 1) {
    const t = timeline[i];
    if (last && (t.at < last.at || (t.at === last.at && known(history, t)))) break;
    fresh.push(t);
  }
  fresh.reverse();
  for (const t of fresh) {
    history.push(t);
    if (t.from === "CONNECTING") continue;
    freshChanges.push({ at: t.at, address: entry.address, service: t.service, from: t.from, to: t.to });
    if (t.at > entry.lastChange) entry.lastChange = t.at;
  }
  const oldest = now() - WINDOW_MS;
  let drop = Math.max(0, history.length - HISTORY_CAP);
  while (drop < history.length && history[drop].at < oldest - 60000) drop += 1;
  if (drop > 0) history.splice(0, drop);
}
function known(history, t) {
  for (let j = history.length - 1; j >= 0 && history[j].at === t.at; j -= 1) {
    const h = history[j];
    if (h.service === t.service && h.from === t.from && h.to === t.to) return true;
  }
  return false;
}
// Whether only round-trip times differ (what most updates carry): nothing to count, sort or search again.
function sameButRtt(before, data) {
  if (before.target !== data.target) return false;
  const a = before.timeline || [], b = data.timeline || [];
  if (a.length !== b.length || (a.length && a[a.length - 1].at !== b[b.length - 1].at)) return false;
  for (const service of fleet.services) {
    const x = before.cells[service], y = data.cells[service];
    if (!x || !y) { if (x !== y) return false; continue; }
    if (x.status !== y.status || x.since !== y.since || x.detail !== y.detail) return false;
  }
  return true;
}
function upsert(data) {
  let entry = fleet.backends.get(data.address);
  if (entry && sameButRtt(entry.data, data)) {
    entry.data = data;
    entry.version += 1;
    return;
  }
  if (!entry) {
    entry = { kind: "backend", key: "b:" + data.address, address: data.address, sortKey: naturalKey(data.address),
      data: null, history: [], band: 2, lastChange: 0, search: "", version: 0 };
    fleet.backends.set(data.address, entry);
  } else {
    count(entry.data, -1);
    if (entry.data.target !== data.target) { leaveGroup(entry); entry.data = null; }
  }
  if (!entry.data) {
    const group = groupFor(data.target);
    group.members.push(entry);
    group.sorted = false;
    orderDirty = true;
  }
  count(data, 1);
  mergeHistory(entry, data.timeline || []);
  entry.data = data;
  entry.version += 1;
  const band = bandOf(entry);
  if (band !== entry.band) { entry.band = band; orderDirty = true; }
  if (entry.lastChange > now() - WINDOW_MS) recent.add(entry);
  const search = searchText(data);
  if (search !== entry.search) { entry.search = search; if (query) orderDirty = true; }
  summaryDirty = true;
}
function remove(address) {
  const entry = fleet.backends.get(address);
  if (!entry) return;
  count(entry.data, -1);
  leaveGroup(entry);
  recent.delete(entry);
  fleet.backends.delete(address);
  orderDirty = summaryDirty = true;
}
function setTarget(target) {
  target.sortKey = naturalKey(target.target);
  target.kind = "target";
  target.key = "t:" + target.target;
  target.version = 0;
  fleet.targets.set(target.target, target);
  orderDirty = summaryDirty = true;
}
const unresolved = (t) => Boolean(t.error) || !t.addresses || t.addresses.length === 0;

function resetServices(services) {
  fleet.services = services.slice();
  fleet.backends.clear();
  fleet.groups.clear();
  recent.clear();
  fleet.perService = new Map(services.map((s) => [s, {}]));
  changes = [];
  freshChanges = [];
  for (const row of shown.values()) row.remove();
  shown.clear();
  const head = $("head");
  head.textContent = "";
  head.appendChild(el("div", "", "Backend"));
  for (const service of services) {
    const cell = el("div");
    cell.dataset.service = service;
    cell.appendChild(el("span", "", serviceName(service)));
    cell.appendChild(el("small", "", " · status, last 10 min"));
    cell.title = serviceName(service);
    head.appendChild(cell);
  }
  scroller.style.setProperty("--cols", "minmax(10em, 15em) repeat(" + Math.max(1, services.length) + ", minmax(0, 1fr))");
  groupsDirty = orderDirty = summaryDirty = changesDirty = true;
}

// ---- order and filter -------------------------------------------------------------------
// The filter: every word of it must appear in the backend's address, target, services, statuses or messages.
let query = "", words = [];
const matchesText = (text) => words.every((word) => text.includes(word));
function matchesTarget(target) {
  return query === "" || matchesText((target.target + " " + (target.error || "") + " unresolved").toLowerCase());
}
const needsHeader = (group) => group.members.length > 1 || group.members[0].address !== group.target;
const VIEW = { all: [true, true, true], problems: [true, false, false], changed: [true, true, false], serving: [false, true, true] };
const plural = (n, one, many) => number(n) + " " + (n === 1 ? one : many || one + "s");
// The list, in three bands: problems (unresolved targets, then backends with a cell not SERVING),
// backends SERVING now that changed within the timeline's window (a flapping one shows here),
// and the steady rest; within a band, by target, then natural address order.
function rebuild() {
  orderDirty = false;
  const view = VIEW[onlySelect.value] || VIEW.all;
  if (groupsDirty) { fleet.groupOrder = [...fleet.groups.values()].sort(byKey); groupsDirty = false; }
  for (const group of fleet.groupOrder) {
    if (!group.sorted) { group.members.sort(byKey); group.sorted = true; }
    group.inBand = [0, 0, 0];
    for (const entry of group.members) group.inBand[entry.band] += 1;
  }
  const list = [];
  const shownIn = [0, 0, 0];
  let targets = 0;
  const empty = fleet.backends.size === 0 && fleet.targets.size === 0;
  for (let band = 0; band < 3 && !empty; band += 1) {
    if (!view[band]) continue;
    const start = list.length;
    list.push(sections[band]);
    if (band === 0) {
      for (const target of [...fleet.targets.values()].filter(unresolved).sort(byKey)) {
        if (matchesTarget(target)) { list.push(target); targets += 1; }
      }
    }
    for (const group of fleet.groupOrder) {
      if (group.inBand[band] === 0) continue;
      let header = !needsHeader(group);
      for (const entry of group.members) {
        if (entry.band !== band || (query && !matchesText(entry.search))) continue;
        if (!header) { list.push(group.headers[band]); header = true; }
        list.push(entry);
        shownIn[band] += 1;
      }
    }
    // The problems band always says whether there are any; the others only show when they hold something.
    if (band > 0 && shownIn[band] === 0) list.length = start;
  }
  const [problems, changed, steady] = shownIn;
  sections[0].text = problems + targets === 0
    ? (query ? "✔ No problems match the filter" : "✔ No problems: every backend SERVING")
    : "Problems: " + [targets ? plural(targets, "target") + " unresolved" : "", problems ? plural(problems, "backend") + " not all SERVING" : ""].filter(Boolean).join(" · ");
  sections[1].text = "↕ SERVING now, changed in the last 10 min: " + plural(changed, "backend");
  sections[2].text = (changed ? "✔ SERVING, no change in the last 10 min: " : "✔ All SERVING: ") + plural(steady, "backend");
  items = list;
  spacer.style.height = items.length * ROW + "px";
  setText($("shown"), "showing " + number(problems + changed + steady) + " of " + plural(fleet.backends.size, "backend"));
  $("empty").hidden = !empty;
}
// Backends whose last change leaves the window move from "changed" to "steady".
function ageOut() {
  const oldest = now() - WINDOW_MS;
  for (const entry of recent) {
    if (entry.lastChange > oldest) continue;
    recent.delete(entry);
    if (entry.band === 1) { entry.band = 2; orderDirty = true; }
  }
}

// ---- rows ---------------------------------------------------------------------------------
const shown = new Map(); // item key -> row element on screen
const spare = [];
let viewHeight = 600, scrollTop = 0;
const headHeight = ROW;
function ago(ms) {
  const s = Math.max(0, Math.round((now() - ms) / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h";
  return Math.floor(s / 86400) + "d";
}
const clock = (ms) => new Date(ms).toLocaleTimeString(); // the dashboard's clock, as its logs and metrics have it
function build(row, item) {
  row.textContent = "";
  row.kind = item.kind;
  row.services = fleet.services;
  if (item.kind === "backend") {
    row.appendChild(el("div", "addr"));
    for (const service of fleet.services) {
      const cell = el("div", "cell");
      cell.dataset.service = service;
      cell.append(el("div", "tl"), el("span", "st"), el("span", "meta"));
      row.appendChild(cell);
    }
  } else if (item.kind === "target") {
    row.appendChild(el("div"));
    row.firstChild.append(el("span", "name addr"), el("span", "st s-UNRESOLVED", statusText("UNRESOLVED")), el("span", "note"));
  } else {
    row.appendChild(el("div"));
    if (item.kind === "group") row.firstChild.append(el("span", "name"), el("span", "note"));
  }
}
function draw(row, item) {
  if (row.kind !== item.kind || row.services !== fleet.services) build(row, item);
  if (item.kind === "backend") drawBackend(row, item);
  else if (item.kind === "target") drawTarget(row, item);
  else if (item.kind === "group") drawGroup(row, item);
  else { setClass(row, "row section"); setText(row.firstChild, item.text); }
}
function drawBackend(row, entry) {
  const data = entry.data;
  setClass(row, entry.band === 0 ? "row backend problem" : "row backend");
  setData(row, "backend", data.address);
  const addr = row.firstChild;
  setText(addr, data.address);
  addr.title = data.address + (data.target !== data.address ? " (" + data.target + ")" : "");
  const t = now();
  let node = addr.nextSibling;
  for (const service of fleet.services) {
    const cell = data.cells[service];
    const [tl, st, meta] = node.children;
    if (!cell) {
      delete node.dataset.status;
      setText(st, "-");
      setText(meta, "");
      tl.textContent = "";
    } else {
      setData(node, "status", cell.status);
      setClass(st, "st s-" + cell.status);
      setText(st, statusText(cell.status));
      const flips = drawTimeline(tl, entry, service, cell, t);
      let text = ago(cell.since);
      if (cell.rttMs !== undefined) text += " · " + cell.rttMs + " ms";
      if (flips > 0) text = "↕" + flips + " · " + text;
      if (cell.detail) text += " · " + cell.detail;
      setText(meta, text);
      const title = serviceName(service) + ": " + cell.status + " since " + clock(cell.since) +
        (flips ? ", " + flips + " change" + (flips === 1 ? "" : "s") + " in the last 10 min" : "") + (cell.detail ? "\n" + cell.detail : "");
      if (node.title !== title) node.title = title;
    }
    node = node.nextSibling;
  }
}
// Draws the last WINDOW_MS of one cell as slots, each showing the worst status seen in it; returns the changes in the window.
const slots = new Array(SLOTS);
function drawTimeline(tl, entry, service, cell, t) {
  const from = t - WINDOW_MS, width = WINDOW_MS / SLOTS;
  slots.fill(-1);
  let state = null, start = from, flips = 0;
  const mark = (a, b, status) => {
    if (b <= a) return;
    const first = Math.max(0, Math.floor((a - from) / width)), last = Math.min(SLOTS - 1, Math.ceil((b - from) / width) - 1);
    for (let k = first; k <= last; k += 1) if (slots[k] === -1 || WORSE[status] > WORSE[slots[k]]) slots[k] = status;
  };
  for (const transition of entry.history) {
    if (transition.service !== service || transition.at <= from) continue;
    if (state === null) {
      state = transition.from;
      if (state === "CONNECTING") start = transition.at; // before the first answer: nothing known to draw
    }
    mark(start, transition.at, state);
    start = transition.at;
    state = transition.to;
    if (transition.from !== "CONNECTING") flips += 1;
  }
  if (state === null && cell.status === "CONNECTING") start = Math.max(from, cell.since);
  mark(start, t, cell.status);
  let n = 0;
  for (let k = 0; k < SLOTS; ) {
    const status = slots[k];
    let end = k + 1;
    while (end < SLOTS && slots[end] === status) end += 1;
    if (status !== -1) {
      let seg = tl.children[n];
      if (!seg) seg = tl.appendChild(el("div"));
      setClass(seg, "seg s-" + status);
      const left = (k * 100) / SLOTS + "%", w = ((end - k) * 100) / SLOTS + "%";
      if (seg.style.left !== left) seg.style.left = left;
      if (seg.style.width !== w) seg.style.width = w;
      n += 1;
    }
    k = end;
  }
  while (tl.children.length > n) tl.lastChild.remove();
  return flips;
}
function drawTarget(row, target) {
  setClass(row, "row target problem");
  setData(row, "target", target.target);
  const [name, , note] = row.firstChild.children;
  setText(name, target.target);
  const parts = [""];
  if (target.error) parts.push(target.error);
  else parts.push("resolves to no address");
  if (target.addresses && target.addresses.length) parts.push("keeping " + target.addresses.length + " address(es) found before");
  if (target.nextAttemptAt !== undefined) {
    const s = Math.max(0, Math.ceil((target.nextAttemptAt - now()) / 1000));
    parts.push(s > 0 ? "retry in " + s + "s" : "retrying now");
  }
  parts.push(target.lastResolvedAt !== undefined ? "last resolved " + ago(target.lastResolvedAt) + " ago" : "never resolved");
  setText(note, parts.join(" · "));
  row.firstChild.title = target.target + (target.error ? "\n" + target.error : "");
}
const GROUP_NOTE = [" not all SERVING", " SERVING now, changed in the last 10 min", " all SERVING"];
function drawGroup(row, header) {
  const group = header.group;
  setClass(row, "row group");
  setData(row, "group", group.target);
  const [name, note] = row.firstChild.children;
  setText(name, group.target);
  const total = group.members.length;
  const target = fleet.targets.get(group.target);
  let text = " — " + number(group.inBand[header.band]) + " of " + plural(total, "address", "addresses") + GROUP_NOTE[header.band];
  if (target && target.error) text += " · ⚠ " + target.error;
  setText(note, text);
}
function render() {
  const top = Math.max(0, Math.min(scrollTop - headHeight, items.length * ROW - viewHeight));
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + viewHeight) / ROW) + OVERSCAN);
  const keep = new Map();
  for (let i = first; i < last; i += 1) {
    const row = shown.get(items[i].key);
    if (row) { keep.set(items[i].key, row); shown.delete(items[i].key); }
  }
  for (const row of shown.values()) spare.push(row);
  shown.clear();
  for (let i = first; i < last; i += 1) {
    const item = items[i];
    let row = keep.get(item.key);
    if (!row) {
      row = spare.pop() || null;
      if (!row) { row = el("div", "row"); row.kind = ""; }
      row.item = null;
      if (!row.parentNode) spacer.appendChild(row);
    }
    shown.set(item.key, row);
    if (row.at !== i) { row.style.transform = "translateY(" + i * ROW + "px)"; row.at = i; }
    if (item.kind !== "backend" || row.item !== item || row.version !== item.version || row.tick !== tick) {
      draw(row, item);
      row.item = item;
      row.version = item.version;
      row.tick = tick;
    }
  }
  for (const row of spare) if (row.parentNode) row.remove();
}

// ---- summary and changes ----------------------------------------------------------------------
function renderSummary() {
  summaryDirty = false;
  const box = $("summary");
  const parts = [];
  for (const service of fleet.services) {
    const counts = fleet.perService.get(service) || {};
    let total = 0;
    for (const status of ORDER) total += counts[status] || 0;
    const serving = counts.SERVING || 0;
    const rest = ORDER.filter((s) => s !== "SERVING" && counts[s]).map((s) => number(counts[s]) + " " + statusText(s));
    parts.push({ key: "s:" + service, service, name: serviceName(service), n: number(serving) + "/" + number(total) + " SERVING", rest: rest.length ? " · " + rest.join(" · ") : "", problem: serving < total });
  }
  const targets = fleet.targets.size;
  const bad = [...fleet.targets.values()].filter(unresolved).length;
  if (targets > 0) parts.push({ key: "targets", name: "targets", n: number(targets - bad) + "/" + number(targets) + " resolved", rest: bad ? " · " + number(bad) + " " + statusText("UNRESOLVED") : "", problem: bad > 0 });
  while (box.children.length > parts.length) box.lastChild.remove();
  parts.forEach((part, i) => {
    let node = box.children[i];
    if (!node) { node = box.appendChild(el("div")); node.append(el("b"), " ", el("span", "n"), el("span", "rest")); }
    setClass(node, part.problem ? "problem" : "");
    if (part.service !== undefined) setData(node, "service", part.service);
    else setData(node, "summary", part.key);
    setText(node.children[0], part.name);
    setText(node.children[1], part.n);
    setText(node.children[2], part.rest);
  });
}
function renderChanges() {
  changesDirty = false;
  if (freshChanges.length) {
    freshChanges.sort((a, b) => b.at - a.at);
    changes = freshChanges.concat(changes).slice(0, CHANGES_SHOWN);
    changes.sort((a, b) => b.at - a.at);
    freshChanges = [];
  }
  const list = $("changes");
  while (list.children.length > changes.length) list.lastChild.remove();
  changes.forEach((change, i) => {
    let li = list.children[i];
    if (!li) {
      li = list.appendChild(el("li"));
      const when = el("div"), what = el("div");
      when.append(el("time"), " ", el("span", "a"), " ", el("span", "svc"), " ");
      what.append(el("span"), " → ", el("span"));
      li.append(when, what);
    }
    if (li.change === change) return;
    li.change = change;
    li.dataset.address = change.address;
    const [when, what] = li.children;
    const [time, addr, svc] = when.children;
    const [from, to] = what.children;
    setText(time, clock(change.at));
    setText(addr, change.address);
    setText(svc, serviceName(change.service) + ":");
    setClass(from, "s-" + change.from);
    setText(from, statusText(change.from));
    setClass(to, "s-" + change.to);
    setText(to, statusText(change.to));
  });
  $("nochanges").hidden = changes.length > 0;
}

// ---- events -----------------------------------------------------------------------------
const pending = new Map();
const pendingTargets = new Map();
let frame = 0;
function flush() {
  frame = 0;
  for (const [address, data] of pending) { if (data.removed) remove(address); else upsert(data); }
  pending.clear();
  for (const target of pendingTargets.values()) setTarget(target);
  pendingTargets.clear();
  if (freshChanges.length) changesDirty = true;
  if (orderDirty) rebuild();
  render();
  if (summaryDirty) renderSummary();
  if (changesDirty) renderChanges();
}
const schedule = () => { frame = frame || requestAnimationFrame(flush); };
function applySnapshot(snapshot) {
  fleet.clockOffset = snapshot.generatedAt - Date.now();
  if (snapshot.services.join("\n") !== fleet.services.join("\n") || fleet.services.length !== snapshot.services.length) resetServices(snapshot.services);
  pending.clear();
  pendingTargets.clear();
  const seen = new Set();
  for (const backend of snapshot.backends) { upsert(backend); seen.add(backend.address); }
  for (const address of [...fleet.backends.keys()]) if (!seen.has(address)) remove(address);
  fleet.targets.clear();
  for (const target of snapshot.targets || []) setTarget(target);
  orderDirty = summaryDirty = changesDirty = true;
  cancelAnimationFrame(frame);
  flush();
}
const events = new EventSource("events");
events.addEventListener("open", () => { $("live").textContent = "live"; });
events.addEventListener("error", () => { $("live").textContent = "reconnecting…"; });
events.addEventListener("snapshot", (e) => { applySnapshot(JSON.parse(e.data)); $("live").textContent = "live"; });
events.addEventListener("update", (e) => {
  for (const backend of JSON.parse(e.data).backends) pending.set(backend.address, backend);
  schedule();
});
// Round-trip times alone: [address, service, ms or null] tuples. Nothing to count, sort or
// search again: the cell takes the time and its row, if on screen, is drawn again.
events.addEventListener("rtt", (e) => {
  for (const [address, service, rttMs] of JSON.parse(e.data)) {
    const queued = pending.get(address);
    const entry = fleet.backends.get(address);
    const data = queued || (entry && entry.data);
    const cell = data && data.cells && data.cells[service];
    if (!cell) continue;
    if (rttMs === null) delete cell.rttMs; else cell.rttMs = rttMs;
    if (!queued) entry.version += 1;
  }
  schedule();
});
events.addEventListener("target", (e) => {
  const target = JSON.parse(e.data);
  pendingTargets.set(target.target, target);
  schedule();
});

// ---- interaction --------------------------------------------------------------------------
function refilter() {
  query = filterInput.value.trim().toLowerCase();
  words = query.split(/\s+/).filter(Boolean);
  scroller.scrollTop = scrollTop = 0;
  rebuild();
  render();
}
filterInput.addEventListener("input", refilter);
onlySelect.addEventListener("change", refilter);
// The scroll position is read in the scroll event (layout is clean then), never while rows are written.
let scrollFrame = 0;
scroller.addEventListener("scroll", () => {
  scrollTop = scroller.scrollTop;
  scrollFrame = scrollFrame || requestAnimationFrame(() => { scrollFrame = 0; render(); });
}, { passive: true });
new ResizeObserver((entries) => { viewHeight = entries[0].contentRect.height; schedule(); }).observe(scroller);
$("changes").addEventListener("click", (e) => {
  const li = e.target.closest("li");
  if (!li) return;
  filterInput.value = li.dataset.address;
  refilter();
});
setInterval(() => {
  tick += 1;
  ageOut();
  if (orderDirty) rebuild();
  render();
}, 1000);
`;

/** The page served at `/`. */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gRPC health dashboard</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
  <h1>gRPC health</h1>
  <span id="live" role="status">connecting\u2026</span>
  <label>Filter <input id="filter" type="search" placeholder="address, target, service, status" autocomplete="off"></label>
  <label>Show <select id="only"><option value="all">all</option><option value="problems">problems</option><option value="changed">problems + changed</option><option value="serving">SERVING</option></select></label>
  <span id="shown"></span>
</header>
<section id="summary" aria-label="SERVING per service"></section>
<div id="content">
  <div id="scroller" tabindex="0" aria-label="backends, problems first">
    <div id="head"></div>
    <div id="spacer"></div>
    <p id="empty">No backends yet.</p>
  </div>
  <aside aria-label="latest changes">
    <h2>Latest changes <small>(start-up not shown; click to filter)</small></h2>
    <ol id="changes"></ol>
    <p id="nochanges">No changes yet.</p>
  </aside>
</div>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
