// cucme-lab dashboard: draws the lab from one event stream (a snapshot, then coalesced
// updates). No build step, no library, nothing fetched from outside: it works offline.
"use strict";

const state = { phones: {}, topology: null, calls: [], rollout: null, guided: null,
  config: null, logSeq: 0 };
// what the benchmark and the tests read: updates applied and each one's render time
// (renderMs: an update's longest frame; totalMs: until the page reflects it fully; frameMs: each
// frame's work)
window.dashboardStats = { snapshots: 0, updates: 0, renderMs: [], totalMs: [], frameMs: [], frameSizes: [],
  framesBy: { frame: 0, timer: 0 },
  latencyMs: [], pendingMs: [], sizes: [], lastApplied: 0 };
const LOG_KEPT = 1000;
const ICONS = {
  lock: '<svg class="icon" viewBox="0 0 16 16" aria-label="lock"><rect x="3" y="7" width="10" ' +
    'height="8" rx="1" fill="#1d4ed8"/><path d="M5 7V5a3 3 0 0 1 6 0v2" stroke="#1d4ed8" ' +
    'stroke-width="2" fill="none"/></svg>',
  shield: '<svg class="icon" viewBox="0 0 16 16" aria-label="shield"><path d="M8 1l6 2v5c0 ' +
    '3.5-2.6 6-6 7-3.4-1-6-3.5-6-7V3z" fill="#15803d"/></svg>',
};
const STAGE_COLOURS = { registered: "#15803d", failed: "#b91c1c", "not registered": "#9ca3af",
  off: "#6b7280", enrolling: "#7c3aed", "waiting-auth-string": "#b45309" };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "html") node.innerHTML = v; // constant icons only, never lab text
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function icon(name) { return ICONS[name] ? el("span", { html: ICONS[name] }) : null; }

function toast(text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 3000);
}

// --- topology -----------------------------------------------------------------------------
function renderTopology() {
  const topo = state.topology;
  if (!topo) return;
  document.getElementById("hostname").textContent = topo.hostname;
  const pill = (s) => el("span", { class: "pill " +
    (["up", "listening", "running"].includes(s) ? "ok" : s.startsWith("admin") ? "bad" : "warn"),
    text: s });
  // unaddressed ports in one line: the addressed interfaces are the topology
  const shown = topo.interfaces.filter((i) => i.state !== "unassigned");
  const idle = topo.interfaces.filter((i) => i.state === "unassigned").map((i) => i.name);
  const ifaces = el("ul", {}, ...shown.map((i) =>
    el("li", {}, el("span", { text: `${i.name} ${i.address}` }), pill(i.state))),
    idle.length ? el("li", { class: "muted", text: `unassigned: ${idle.join(", ")}` }) : null);
  const services = el("ul", {}, ...topo.services.map((s) =>
    el("li", { title: s.bound ? `bound ${s.bound}` : "" },
      el("span", { text: (s.transport === "none" ? s.name
        : `${s.name} ${s.address}:${s.port} ${s.transport}`) +
        (s.restarts ? ` (${s.restarts} restarts)` : "") }), pill(s.state))));
  const vlans = {};
  for (const p of Object.values(state.phones)) {
    if (p.simulated) (vlans[p.vlan || "no VLAN"] ||= []).push(p.device);
  }
  const vlanList = el("div", { class: "vlans" }, ...Object.entries(vlans).map(([v, list]) =>
    el("div", { text: `${v}: ${list.length} phone(s): ${list.join(", ")}` })));
  const box = document.getElementById("topology");
  box.replaceChildren(el("div", { class: "topo" },
    el("div", {}, el("h3", { text: "Interfaces" }), ifaces),
    el("div", {}, el("h3", { text: "Services" }), services)), vlanList);
}

// --- phones -------------------------------------------------------------------------------
function phoneCard(p) {
  const reg = p.registration;
  const screen = el("div", { class: "screen" },
    el("div", { class: "status", id: `status-${p.device}`, text: p.status || "(no status)" }),
    el("div", { class: "lines" }, ...(p.lines || []).map((l) =>
      el("div", { text: `Line ${l.line}: ${l.number}` }))),
    ...(p.calls || []).map((c) => el("div", { class: "call" }, icon(c.icon),
      el("span", { text: `${c.state} ${c.name || ""} ${c.other || ""}`.replace(/\s+/g, " ") +
        (c.prompt ? ` "${c.prompt}"` : "") }))),
  );
  const facts = el("div", { class: "facts" },
    el("span", { text: `state ${p.state}` }),
    el("span", { text: `security ${p.security}` }), icon(p.icon),
    el("span", { text: `mode ${p.mode}` }),
    el("span", { text: `trust list ${p.trust_list ? "installed" : "none"}` }),
    el("span", { text: `cert ${p.certificate}`, title: p.issuer || "" }),
    reg ? el("span", { text: `router: ${reg.transport} ${reg.security}${reg.cipher ?
      " " + reg.cipher : ""}` }) : el("span", { text: "router: not registered" }));
  const off = Object.entries(p.hardening || {}).filter(([, v]) => v === "disabled")
    .map(([k]) => k);
  const hard = el("div", { class: "hard", text: off.length ? `hardened: ${off.join(", ")} off` :
    "hardening: none applied" });
  const why = p.failed ? el("div", { class: "why", id: `why-${p.device}` },
    el("strong", { text: `Failed: ${p.status}` }),
    el("pre", { text: (p.explanation || []).join("\n") || "(no router log line names it)" }))
    : null;
  const dev = p.device;
  const controls = el("div", { class: "controls" },
    el("button", { "data-action": "power-cycle", "data-device": dev, id: `power-${dev}`,
      text: "Power cycle" }),
    el("input", { id: `digits-${dev}`, placeholder: "digits", inputmode: "numeric" }),
    el("button", { "data-action": "dial", "data-device": dev, id: `dial-${dev}`, text: "Dial" }),
    el("button", { "data-action": "answer", "data-device": dev, id: `answer-${dev}`,
      text: "Answer" }),
    el("button", { "data-action": "hangup", "data-device": dev, id: `hangup-${dev}`,
      text: "Hang up" }),
    el("input", { id: `auth-${dev}`, placeholder: "CAPF string" }),
    el("button", { "data-action": "key", "data-device": dev, id: `key-${dev}`, text: "Key in" }));
  return el("div", { class: "phone" + (p.failed ? " failed" : ""), id: `phone-${dev}`,
    "data-state": p.state },
    el("div", { class: "head" }, el("strong", { text: `${p.model} ${dev}` }),
      el("span", { text: `${p.address} ${p.vlan || ""}` })),
    screen, facts, hard, why, controls);
}

function tileLook(p) {
  const reg = p.registration;
  return { colour: STAGE_COLOURS[p.stage] || "#2563eb",
    title: `${p.device} ephone ${p.ephone ?? "-"}: ${p.stage}` +
      (reg ? ` (${reg.transport} ${reg.security})` : "") };
}

function fleetTile(p) {
  const look = tileLook(p);
  return el("span", { id: `phone-${p.device}`, class: "tile", "data-stage": p.stage,
    title: look.title, style: `background:${look.colour}` });
}

function renderPhone(p) {
  const old = document.getElementById(`phone-${p.device}`);
  if (old && !p.simulated && old.classList.contains("tile")) { // a fleet tile: in place
    const look = tileLook(p);
    old.dataset.stage = p.stage;
    old.title = look.title;
    old.style.background = look.colour;
    return;
  }
  const fresh = p.simulated ? phoneCard(p) : fleetTile(p);
  // the controls stay the same elements across a redraw: what a user types, the focus and a
  // click under way are kept
  const controls = old && old.querySelector(".controls");
  if (controls && p.simulated) fresh.querySelector(".controls").replaceWith(controls);
  if (old) old.replaceWith(fresh);
  else document.getElementById(p.simulated ? "phones" : "fleet").append(fresh);
}

function removePhone(device) {
  const old = document.getElementById(`phone-${device}`);
  if (old) old.remove();
}

function renderPhonesCount() {
  const all = Object.values(state.phones);
  const simulated = all.filter((p) => p.simulated).length;
  document.getElementById("phones-count").textContent =
    `${all.length} known, ${simulated} simulated in this lab`;
}

// --- calls, rollout, guided, audit ---------------------------------------------------------
function renderCalls() {
  const body = document.querySelector("#calls tbody");
  const rows = state.calls.map((c) => el("tr", {},
    el("td", { text: c.device }), el("td", { text: String(c.line) }),
    el("td", { text: c.state }), el("td", { text: `${c.name || ""} ${c.other || ""}` }),
    el("td", {}, icon(c.icon), el("span", { text: ` ${c.security}` })),
    el("td", { text: c.media ? `${c.srtp ? "SRTP" : "RTP"} sent ${c.media.sent} received ` +
      `${c.media.received} lost ${c.media.lost}` : "" })));
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 6,
    text: "No calls" }))]));
}

function renderRollout() {
  const r = state.rollout;
  if (!r) return;
  document.getElementById("rollout-bar").style.width = `${r.percent}%`;
  document.getElementById("rollout-text").textContent =
    `${r.done} of ${r.total} phones registered as their ephone asks (${r.percent}%), ` +
    `${r.secure} secure`;
  document.getElementById("rollout-stages").replaceChildren(...Object.entries(r.stages)
    .map(([k, v]) => el("li", { class: "pill", "data-stage": k, text: `${k}: ${v}` })));
}

function renderGuided() {
  const g = state.guided;
  const panel = document.getElementById("guided-panel");
  panel.hidden = !g;
  if (!g) return;
  document.getElementById("guided-title").textContent = g.title || "";
  document.getElementById("guided-bar").style.width = `${g.percent}%`;
  const limit = g.time_limit ? ` of ${Math.round(g.time_limit / 60)} min` : "";
  document.getElementById("guided-text").textContent =
    `${g.percent}% complete, ${Math.round((g.elapsed || 0) / 60)} min${limit}`;
  document.getElementById("guided-objectives").replaceChildren(...(g.objectives || []).map((o) =>
    el("li", { class: o.done ? "done" : "open", title: o.hint || "" },
      el("span", { text: `${o.done ? "\u2713" : "\u2717"} ${o.text}` }),
      o.done ? null : el("div", { class: "hint", text: o.hint ? `Hint: ${o.hint}` : "" }))));
}

async function loadAudit() {
  const box = document.getElementById("audit");
  try {
    const response = await fetch("/api/audit");
    const a = await response.json();
    if (!a.available) { box.replaceChildren(el("p", { text: a.reason })); return; }
    box.replaceChildren(el("p", {}, el("strong", { text: `Score ${a.score}/100` }),
      el("span", { text: `, ${a.findings.length} finding(s)` })),
      ...(a.findings || []).map((f) => el("div", { class: `finding ${f.severity}` },
        el("div", { text: `[${f.severity}] ${f.title} (${f.document} ${f.section})` }),
        el("div", { text: f.why }), el("pre", { text: (f.fix || []).join("\n") }))));
  } catch (e) {
    box.replaceChildren(el("p", { text: `The audit could not be fetched: ${e}` }));
  }
}

// --- log timeline ---------------------------------------------------------------------------
function severityOf(line) {
  const m = /%[A-Z0-9_]+-(\d)-/.exec(line);
  return m ? Number(m[1]) : 7;
}

function logFilter() {
  return { text: document.getElementById("log-filter").value.trim().toLowerCase(),
    max: Number(document.getElementById("log-severity").value) };
}

function logVisible(li, filter) {
  return Number(li.dataset.sev) <= filter.max &&
    (!filter.text || li.textContent.toLowerCase().includes(filter.text));
}

function followLog() {
  const list = document.getElementById("log");
  if (document.getElementById("log-follow").checked) list.scrollTop = list.scrollHeight;
}

function appendLog(entries, follow = true) {
  const list = document.getElementById("log");
  const filter = logFilter();
  // a burst longer than the list keeps: only its newest lines are drawn
  const fresh = entries.filter(([seq]) => seq > state.logSeq).slice(-LOG_KEPT);
  const fragment = document.createDocumentFragment();
  for (const [seq, line] of fresh) {
    state.logSeq = seq;
    const sev = severityOf(line);
    const li = el("li", { class: `sev-${sev}`, "data-sev": sev, "data-seq": seq, text: line });
    if (!logVisible(li, filter)) li.classList.add("hidden");
    fragment.append(li);
  }
  list.append(fragment);
  const extra = list.childElementCount - LOG_KEPT;
  if (extra > 0) { // the oldest lines go in one removal, not one at a time
    const range = document.createRange();
    range.setStartBefore(list.firstElementChild);
    range.setEndAfter(list.children[extra - 1]);
    range.deleteContents();
  }
  if (follow) followLog();
}

function refilterLog() {
  const filter = logFilter();
  for (const li of document.getElementById("log").children) {
    li.classList.toggle("hidden", !logVisible(li, filter));
  }
}

// --- applying what the server sends ----------------------------------------------------------
function applySections(msg) {
  if (msg.topology) state.topology = msg.topology;
  if (msg.calls) { state.calls = msg.calls; renderCalls(); }
  if (msg.rollout) { state.rollout = msg.rollout; renderRollout(); }
  if ("guided" in msg) { state.guided = msg.guided; renderGuided(); }
  if ("config" in msg && msg.config !== state.config) {
    const first = state.config === null;
    state.config = msg.config;
    if (!first) { clearTimeout(applySections.audit); applySections.audit = setTimeout(loadAudit, 500); }
  }
}

function measure(apply, sentAt, size) {
  // layout left pending by work outside the updates (the audit panel redrawn, a filter typed)
  // is laid out first and counted apart: an update's render time is its own
  const pendingFrom = performance.now();
  void document.body.offsetHeight;
  const started = performance.now();
  const stats = window.dashboardStats;
  stats.pendingMs.push(started - pendingFrom);
  if (stats.pendingMs.length > 5000) stats.pendingMs.shift();
  // from the lab's update (its clock, this machine's) to the page having it
  if (sentAt) stats.latencyMs.push(Date.now() - sentAt * 1000);
  if (stats.latencyMs.length > 5000) stats.latencyMs.shift();
  apply();
  void document.body.offsetHeight; // the layout the update causes belongs to its render time
  const ms = performance.now() - started;
  stats.renderMs.push(ms);
  if (stats.renderMs.length > 5000) stats.renderMs.shift();
  stats.sizes.push(size || {});  // what each update carried, beside its render time
  if (stats.sizes.length > 5000) stats.sizes.shift();
  stats.lastApplied = Date.now();
}

function onSnapshot(msg) {
  queue.phones.clear(); queue.removed.clear(); queue.log = []; queue.sections = [];
  queue.updates = []; queue.topology = queue.count = false;
  measure(() => {
    state.phones = msg.phones;
    state.logSeq = Math.min(state.logSeq, msg.log.length ? msg.log[0][0] - 1 : state.logSeq);
    document.getElementById("phones").replaceChildren();
    document.getElementById("fleet").replaceChildren();
    for (const p of Object.values(msg.phones)) renderPhone(p);
    applySections(msg);
    renderTopology();
    renderPhonesCount();
    appendLog(msg.log);
  });
  queue.logSeq = state.logSeq;
  window.dashboardStats.snapshots += 1;
}

// An update is applied across animation frames, a bounded slice of its phone tiles and log
// lines in each, so no update holds the page however much it carries. Each frame's work (its
// DOM changes and the layout they cause) is measured; an update's render time is the longest
// frame that worked on it, and its total the time from its arrival until the page reflects it
// fully (all that was queued when it arrived or after, until the queue ran dry).
const FRAME_TARGET_MS = 16; // a frame's work, layout included, the slicing aims under
const queue = { phones: new Map(), removed: new Set(), log: [], logSeq: 0, sections: [],
  topology: false, count: false, updates: [], scheduled: false, timer: 0, slice: 120 };

function schedule() {
  if (queue.scheduled) return;
  queue.scheduled = true;
  requestAnimationFrame(() => frame("frame"));
  // a hidden or busy page gets few animation frames: a timer applies the queue there
  queue.timer = setTimeout(() => frame("timer"), 34);
}

function frame(by) {
  if (!queue.scheduled) return; // the other of the animation frame and the timer ran it
  window.dashboardStats.framesBy[by] += 1;
  queue.scheduled = false;
  clearTimeout(queue.timer);
  const stats = window.dashboardStats;
  // layout left pending by work outside the updates (the audit panel redrawn, a filter typed)
  // is laid out first and counted apart: a frame's render time is its own
  const pendingFrom = performance.now();
  void document.body.offsetHeight;
  const started = performance.now();
  stats.pendingMs.push(started - pendingFrom);
  if (stats.pendingMs.length > 5000) stats.pendingMs.shift();
  for (const msg of queue.sections) applySections(msg);
  queue.sections = [];
  for (const device of queue.removed) removePhone(device);
  queue.removed.clear();
  let left = queue.slice;
  const sliced = left;
  for (const [device, p] of queue.phones) {
    if (left <= 0 || ((left & 15) === 0 && performance.now() - started > FRAME_TARGET_MS / 2)) {
      break;
    }
    queue.phones.delete(device);
    renderPhone(p);
    left -= 1;
  }
  // the topology lists the lab's own phones by VLAN: a fleet tile's change leaves it as it is
  if (queue.topology) { renderTopology(); queue.topology = false; }
  if (queue.count) { renderPhonesCount(); queue.count = false; }
  const lines = [];
  while (queue.log.length && lines.length < Math.max(left, 20) &&
         performance.now() - started < FRAME_TARGET_MS / 2) {
    const chunk = queue.log.splice(0, Math.min(25, Math.max(left, 20) - lines.length));
    appendLog(chunk, false);
    lines.push(...chunk);
  }
  if (lines.length) followLog();
  const scripted = performance.now() - started;
  void document.body.offsetHeight; // the layout the frame causes belongs to its render time
  const now = performance.now();
  const ms = now - started;
  // the next slice: smaller after a slow frame, larger after a quick one
  if (ms > FRAME_TARGET_MS) queue.slice = Math.max(20, Math.floor(queue.slice / 2));
  else if (ms < FRAME_TARGET_MS / 2) queue.slice = Math.min(250, Math.ceil(queue.slice * 1.25));
  stats.frameMs.push(ms);
  // what each frame drew and its script time (the rest: the style and layout it caused)
  stats.frameSizes.push({ phones: sliced - Math.max(left, 0), log: lines.length,
    scriptMs: scripted });
  if (stats.frameMs.length > 5000) { stats.frameMs.shift(); stats.frameSizes.shift(); }
  for (const u of queue.updates) u.longest = Math.max(u.longest, ms);
  if (queue.phones.size || queue.log.length) { schedule(); return; }
  for (const u of queue.updates) { // the page now reflects every update it had
    stats.renderMs.push(u.longest);
    stats.totalMs.push(now - u.received);
    stats.sizes.push(u.size); // what each update carried, beside its render time
    stats.updates += 1;
  }
  for (const key of ["renderMs", "totalMs", "sizes"]) {
    if (stats[key].length > 5000) stats[key].splice(0, stats[key].length - 5000);
  }
  queue.updates = [];
  stats.lastApplied = Date.now();
}

function onUpdate(msg) {
  const stats = window.dashboardStats;
  // from the lab's update (its clock, this machine's) to the page having it
  if (msg.time) stats.latencyMs.push(Date.now() - msg.time * 1000);
  if (stats.latencyMs.length > 5000) stats.latencyMs.shift();
  for (const [device, p] of Object.entries(msg.phones || {})) {
    queue.count ||= !(device in state.phones);
    queue.topology ||= Boolean(p.simulated);
    state.phones[device] = p;
    queue.removed.delete(device);
    queue.phones.delete(device); // queued again at the end: its newest state, drawn once
    queue.phones.set(device, p);
  }
  for (const device of msg.removed || []) {
    delete state.phones[device];
    queue.phones.delete(device);
    queue.removed.add(device);
    queue.topology = queue.count = true;
  }
  if (msg.topology) queue.topology = true;
  queue.sections.push(msg);
  if (msg.log) {
    for (const entry of msg.log) {
      if (entry[0] > queue.logSeq) { queue.log.push(entry); queue.logSeq = entry[0]; }
    }
    // lines the list would drop as soon as drawn are not drawn
    if (queue.log.length > LOG_KEPT) queue.log.splice(0, queue.log.length - LOG_KEPT);
  }
  queue.updates.push({ received: performance.now(), longest: 0,
    size: { phones: Object.keys(msg.phones || {}).length, log: (msg.log || []).length } });
  schedule();
}

function connect() {
  const pill = document.getElementById("connection");
  const source = new EventSource("/events");
  source.addEventListener("open", () => { pill.textContent = "live"; pill.className = "pill ok"; });
  source.addEventListener("error", () => {
    pill.textContent = "reconnecting"; pill.className = "pill warn";
  });
  source.addEventListener("snapshot", (e) => onSnapshot(JSON.parse(e.data)));
  source.addEventListener("update", (e) => onUpdate(JSON.parse(e.data)));
}

// --- controls ----------------------------------------------------------------------------------
async function control(action, device) {
  let body = "";
  if (action === "dial") body = JSON.stringify({ digits: document.getElementById(`digits-${device}`).value });
  if (action === "key") body = JSON.stringify({ digits: document.getElementById(`auth-${device}`).value });
  try {
    const response = await fetch(`/api/phones/${encodeURIComponent(device)}/${action}`,
      { method: "POST", headers: { "Content-Type": "application/json" }, body });
    const answer = await response.json();
    toast(response.ok ? `${device}: ${answer.control}` : `${device}: ${answer.error}`);
  } catch (e) {
    toast(`${device}: ${e}`);
  }
}

document.addEventListener("click", (e) => {
  const button = e.target.closest("button[data-action]");
  if (button) control(button.dataset.action, button.dataset.device);
});
document.getElementById("log-filter").addEventListener("input", refilterLog);
document.getElementById("log-severity").addEventListener("change", refilterLog);
document.getElementById("audit-refresh").addEventListener("click", loadAudit);
loadAudit();
connect();
