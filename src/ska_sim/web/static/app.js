// ska-sim planning page: vanilla JavaScript, no libraries, no requests outside this server.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

let pending = null; // a file write waiting for confirmation
const S = {
  token: "", client: "", desc: null, week: null, group: 0,
  vectors: {}, orig: {}, mode: {}, fields: {}, fieldOrig: {},
  runSeq: 0, timer: null, lastResult: null, undo: null, scenarios: [],
};

// ------------------------------------------------------------------ helpers
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid);
  return e;
}
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
const pct = (x) => (x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%");
function fmt(x, unit) {
  if (x === null || x === undefined) return "–";
  if (unit === "share") return pct(x);
  if (unit === "s") return x.toFixed(0) + " s";
  if (unit === "h") return x.toFixed(1) + " h";
  return Math.round(x).toLocaleString("en");
}
function fmtDiff(x, unit) {
  if (x === null || x === undefined) return "–";
  const sign = x > 0 ? "+" : x < 0 ? "−" : "±";
  const a = Math.abs(x);
  if (unit === "share") return sign + (100 * a).toFixed(1) + " pp";
  if (unit === "s") return sign + a.toFixed(1) + " s";
  if (unit === "h") return sign + a.toFixed(1) + " h";
  return sign + a.toFixed(a < 10 ? 1 : 0);
}
const LABELS = {
  service_level: "Service level", answer_rate: "Answer rate", fcr: "FCR", abandon_rate: "Abandon rate",
  asa_s: "Average speed of answer", offered: "Calls offered", answered: "Answered", abandoned: "Abandoned",
  occupancy: "Occupancy", repeat_calls: "Repeat calls", redials: "Redials", waiting_hours: "Waiting hours",
  abandon_rate_max: "Abandon rate", asa_max_s: "ASA",
};
const label = (k) => LABELS[k.split(":")[0]] + (k.includes(":") ? " (" + k.split(":")[1] + ")" : "");

async function api(name, body) {
  const opts = { headers: { "X-Ska-Token": S.token } };
  let url = "/api/" + name;
  if (body === undefined || body.query) {
    if (body && body.query) url += "?" + new URLSearchParams(body.query);
  } else {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  let data;
  try { data = await r.json(); } catch (e) { data = { error: "the server did not answer with JSON (" + r.status + ")" }; }
  return { status: r.status, data };
}
function status(text) { $("status").textContent = text; }

// ------------------------------------------------------------------ the plan
function plan() {
  const edits = {};
  for (const [k, v] of Object.entries(S.fields)) if (v !== S.fieldOrig[k]) edits[k] = v;
  for (const [k, v] of Object.entries(S.vectors)) {
    const o = S.orig[k];
    if (!o || o.length !== v.length || o.some((x, i) => x !== v[i])) edits[k] = v;
  }
  const p = { scenario: S.desc.name, week: S.week, edits, client: S.client };
  const reps = $("replications").value.trim(), seed = $("seed").value.trim();
  if (reps) p.replications = reps;
  if (seed) p.seed = seed;
  return p;
}

function schedule(delay = 250) {
  clearTimeout(S.timer);
  S.timer = setTimeout(run, delay);
}

// ------------------------------------------------------------------ loading
async function loadScenarios(select) {
  const r = await api("scenarios");
  if (r.status !== 200) { showGeneral([r.data.error]); return; }
  S.scenarios = r.data.scenarios;
  $("workdir").textContent = r.data.workdir;
  for (const id of ["scenario", "other"]) {
    const sel = $(id);
    sel.replaceChildren();
    for (const s of S.scenarios) {
      sel.append(el("option", { value: s.name, disabled: s.error ? true : undefined,
        text: s.name + (s.title ? " — " + s.title : "") + (s.error ? " (invalid)" : "") }));
    }
  }
  const want = select || (S.desc && S.desc.name) || r.data.default || (S.scenarios[0] || {}).name;
  if (want) { $("scenario").value = want; await openScenario(want); }
}

async function openScenario(name, week) {
  const r = await api("scenario", { query: week ? { name, week } : { name } });
  if (r.status !== 200) { showGeneral(r.data.problems ? r.data.problems.map((p) => p.message) : [r.data.error]); return; }
  const d = r.data;
  S.desc = d; S.week = week || null; S.group = 0; S.vectors = {}; S.orig = {}; S.mode = {}; S.fields = {}; S.fieldOrig = {};
  S.undo = null; $("undo-help").hidden = true; $("help-result").textContent = "";
  pending = null; $("confirm").hidden = true; $("file-result").textContent = ""; fileError("");
  $("compare-table").replaceChildren();
  $("replications").value = S.repsOverride || d.replications; $("seed").value = d.seed;
  const wk = $("week");
  wk.replaceChildren(el("option", { value: "", text: `as saved: ${d.window.start}, ${d.window.days} days` }));
  for (const w of d.window.weeks) wk.append(el("option", { value: w, text: "week of " + w }));
  wk.value = S.week || "";
  for (const g of d.grids) for (const row of g.rows) {
    const vk = row.weekday_key, dk = row.date_key;
    if (!(vk in S.vectors)) { S.vectors[vk] = row.weekday_values.map(String); S.orig[vk] = S.vectors[vk].slice(); }
    if (row.key === dk && !(dk in S.vectors)) { S.vectors[dk] = row.values.map(String); S.orig[dk] = S.vectors[dk].slice(); }
    S.mode[g.block + "|" + row.date] = row.key === dk ? "date" : "weekday";
  }
  for (const f of d.fields) { S.fields[f.key] = String(f.value); S.fieldOrig[f.key] = String(f.value); }
  for (const t of d.call_types) {
    S.fields[t.talk_key] = String(t.talk); S.fieldOrig[t.talk_key] = String(t.talk);
    S.fields[t.resolved_key] = String(t.resolved); S.fieldOrig[t.resolved_key] = String(t.resolved);
  }
  for (const f of (d.forecast ? d.forecast.days : [])) {
    const v = f.override ? String(f.calls) : "";
    S.fields[f.override_key] = v; S.fieldOrig[f.override_key] = v;
  }
  $("other").value = (S.scenarios.find((s) => s.name !== name && !s.error) || {}).name || "";
  renderFields(); renderForecast(); renderGrid(); run();
}

// ------------------------------------------------------------------ fields
function fieldInput(key, cls) {
  const inp = el("input", { "data-key": key, class: cls || "num", value: S.fields[key], "aria-label": key });
  inp.addEventListener("input", () => {
    S.fields[key] = inp.value.trim();
    inp.classList.toggle("changed", S.fields[key] !== S.fieldOrig[key]);
    schedule();
  });
  return inp;
}
function renderFields() {
  const box = $("fields");
  box.replaceChildren();
  for (const f of S.desc.fields) {
    box.append(el("div", { class: "field" }, el("label", { text: f.label }), fieldInput(f.key),
      el("span", { class: "hint", text: f.hint }), el("div", { class: "field-error", "data-error-for": f.key })));
  }
  const t = $("call-types");
  t.replaceChildren(el("tr", {}, el("th", { text: "call type" }), el("th", { text: "share" }),
    el("th", { text: "talk, mean (s)" }), el("th", { text: "resolved" }), el("th", { text: "handle time (s)" })));
  for (const ct of S.desc.call_types) {
    t.append(el("tr", {}, el("td", { text: ct.name }), el("td", { text: pct(ct.share) }),
      el("td", {}, fieldInput(ct.talk_key)), el("td", {}, fieldInput(ct.resolved_key)),
      el("td", { text: ct.aht_s.toFixed(0) })));
    if (ct.note) t.append(el("tr", {}, el("td", { colspan: 5, class: "hint", text: ct.note })));
    t.append(el("tr", {}, el("td", { colspan: 5, class: "field-error", "data-error-for": ct.talk_key })));
    t.append(el("tr", {}, el("td", { colspan: 5, class: "field-error", "data-error-for": ct.resolved_key })));
  }
  const aht = S.desc.call_types.reduce((a, c) => a + c.share * c.aht_s, 0);
  const res = S.desc.call_types.reduce((a, c) => a + c.share * c.resolved, 0);
  $("types-summary").textContent = `As saved: weighted handle time ${aht.toFixed(0)} s, resolved at first answer ${pct(res)}.`;
}

// the forecast behind the week: its bands and effects, and a manager's override per day
function renderForecast() {
  const fc = S.desc.forecast;
  $("forecast-section").hidden = !fc;
  const t = $("forecast");
  t.replaceChildren();
  if (!fc) return;
  $("forecast-note").textContent = fc.note;
  const n = (x) => (x === null || x === undefined ? "–" : Math.round(x).toLocaleString("en"));
  t.append(el("tr", {}, ...["date", "forecast", "80% interval", "95% interval", "effects that apply",
    "override (first calls)"].map((h) => el("th", { text: h }))));
  for (const f of fc.days) {
    const inp = fieldInput(f.override_key);
    inp.placeholder = n(f.forecast === null ? f.calls : f.forecast);
    const mark = el("span", { class: "override-mark", "data-override": f.date, text: "override" });
    const row = el("tr", { "data-forecast-date": f.date }, el("td", { text: `${f.weekday} ${f.date}` }),
      el("td", { text: n(f.forecast) }), el("td", { text: `${n(f.low_80)} – ${n(f.high_80)}` }),
      el("td", { text: `${n(f.low_95)} – ${n(f.high_95)}` }),
      el("td", { text: (f.effects.join("; ") || "–") + (f.closed ? "; closed in the forecast" : "")
        + (f.open ? "" : "; the calendar closes it") }),
      el("td", {}, inp, " ", mark));
    const mark_it = () => { const on = S.fields[f.override_key] !== ""; mark.hidden = !on; row.classList.toggle("overridden", on); };
    inp.addEventListener("input", mark_it);
    t.append(row, el("tr", {}, el("td", { colspan: 6, class: "field-error", "data-error-for": f.override_key })));
    mark_it();
  }
}

// ------------------------------------------------------------------ the grid
function rowSpec(grid, row) {
  const mode = S.mode[grid.block + "|" + row.date];
  if (mode === "date") return { key: row.date_key, first: row.open_slots[0] };
  return { key: row.weekday_key, first: row.weekday_first_slot };
}
function renderGrid() {
  const d = S.desc, tabs = $("group-tabs");
  tabs.replaceChildren();
  if (d.grids.length > 1) {
    d.grids.forEach((g, i) => tabs.append(el("button", { type: "button", class: i === S.group ? "active" : "",
      text: g.group, onclick: () => { S.group = i; renderGrid(); } })));
  }
  const grid = d.grids[S.group];
  const t = $("grid");
  t.replaceChildren();
  const head = el("tr", {}, el("th", { text: "" }), el("th", { text: "" }));
  for (const s of d.slots) head.append(el("th", { text: s.time }));
  t.append(head);
  for (const row of grid.rows) {
    const spec = rowSpec(grid, row);
    const tr = el("tr", { "data-date": row.date });
    const canToggle = row.key !== row.date_key;
    const mode = S.mode[grid.block + "|" + row.date];
    tr.append(el("td", { class: "label", text: row.weekday[0].toUpperCase() + row.weekday.slice(1) + " " + row.date }));
    tr.append(el("td", {}, canToggle ? el("button", {
      type: "button", class: "mode", title: "edit every " + row.weekday + " (staffing by weekday) or this date only ([staffing.dates])",
      text: mode === "date" ? "this date" : "every " + row.weekday,
      onclick: () => toggleMode(grid, row) }) : el("span", { class: "note", text: "this date" })));
    const open = new Set(row.open_slots);
    const vec = S.vectors[spec.key];
    for (const s of d.slots) {
      const i = s.slot - spec.first;
      const inRange = open.has(s.slot) && vec && i >= 0 && i < vec.length;
      const inp = el("input", { class: "cell", "data-key": spec.key, "data-index": i, "data-slot": s.slot,
        "aria-label": `${row.date} ${s.time}`, value: inRange ? vec[i] : "", disabled: inRange ? undefined : true });
      if (inRange) { cellEvents(inp); markCell(inp); }
      tr.append(el("td", {}, inp));
    }
    tr.append(el("td", { class: "row-error", "data-error-for": spec.key }));
    t.append(tr);
  }
  showProblems(S.lastProblems || []);
}
function markCell(inp) {
  const k = inp.dataset.key, i = +inp.dataset.index;
  const o = S.orig[k];
  inp.classList.toggle("changed", !o || o[i] !== S.vectors[k][i]);
}
function setCell(key, i, value) {
  S.vectors[key][i] = value;
  for (const c of document.querySelectorAll(`#grid input[data-key="${CSS.escape(key)}"][data-index="${i}"]`)) {
    if (c.value !== value) c.value = value;
    markCell(c);
  }
}
function toggleMode(grid, row) {
  const id = grid.block + "|" + row.date;
  if (S.mode[id] === "date") {
    S.mode[id] = "weekday";
    delete S.vectors[row.date_key];
  } else {
    const wk = S.vectors[row.weekday_key];
    S.vectors[row.date_key] = row.open_slots.map((s) => wk[s - row.weekday_first_slot] ?? "0");
    S.mode[id] = "date";
  }
  renderGrid(); schedule(50);
}
let drag = null;
function cellEvents(inp) {
  inp.addEventListener("input", () => { setCell(inp.dataset.key, +inp.dataset.index, inp.value.trim()); schedule(); });
  inp.addEventListener("pointerdown", (e) => {
    if (document.activeElement === inp) return; // typing in it
    drag = { src: inp, y: e.clientY, start: parseInt(inp.value, 10) || 0, moved: false, value: inp.value };
    e.preventDefault();
  });
}
document.addEventListener("pointermove", (e) => {
  if (!drag) return;
  const under = document.elementFromPoint(e.clientX, e.clientY);
  if (under && under !== drag.src && under.classList && under.classList.contains("cell") && !under.disabled) {
    drag.moved = true; // paint: copy the dragged value into the cells passed over
    setCell(under.dataset.key, +under.dataset.index, drag.value);
    return;
  }
  const dy = drag.y - e.clientY;
  if (Math.abs(dy) > 4 && under === drag.src) {
    drag.moved = true;
    drag.value = String(Math.max(0, drag.start + Math.round(dy / 8)));
    setCell(drag.src.dataset.key, +drag.src.dataset.index, drag.value);
  }
});
document.addEventListener("pointerup", () => {
  if (!drag) return;
  const d = drag; drag = null;
  if (d.moved) schedule(50); else { d.src.focus(); d.src.select(); }
});

// ------------------------------------------------------------------ errors
function showGeneral(messages) {
  const box = $("general-errors");
  box.replaceChildren(...messages.map((m) => el("div", { text: m })));
}
function showProblems(problems) {
  S.lastProblems = problems;
  for (const e of document.querySelectorAll("[data-error-for]")) e.textContent = "";
  for (const e of document.querySelectorAll("input.invalid")) e.classList.remove("invalid");
  const general = [];
  for (const p of problems) {
    const spots = p.field ? document.querySelectorAll(`[data-error-for="${CSS.escape(p.field)}"]`) : [];
    if (!spots.length) { general.push(p.message); continue; }
    for (const s of spots) s.textContent = (s.textContent ? s.textContent + " " : "") + p.message;
    for (const i of document.querySelectorAll(`input[data-key="${CSS.escape(p.field)}"]`)) {
      if (!i.classList.contains("cell") || !/^\d+$/.test(i.value) || p.message.includes(`(got ${i.value})`)) i.classList.add("invalid");
    }
  }
  showGeneral(general);
}

// ------------------------------------------------------------------ running
let pollTimer = null;
function startProgress() {
  stopProgress();
  pollTimer = setTimeout(async function poll() {
    const r = await api("progress", { query: { client: S.client } });
    if (r.status === 200 && r.data.total) {
      $("progress").hidden = false;
      $("progress-bar").style.width = (100 * r.data.done / r.data.total).toFixed(0) + "%";
      $("progress-text").textContent = `${r.data.done}/${r.data.total} ${r.data.phase}`;
    }
    if (pollTimer !== null) pollTimer = setTimeout(poll, 300);
  }, 700);
}
function stopProgress() {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = null;
  $("progress").hidden = true;
}
async function call(name, body, what) {
  const seq = ++S.runSeq;
  status(what + "…");
  document.body.dataset.busy = "1";
  startProgress();
  let r;
  try { r = await api(name, body); } catch (e) { r = { status: 0, data: { error: "no answer from the server: " + e.message } }; }
  if (seq !== S.runSeq) return null; // a newer edit took over
  stopProgress();
  delete document.body.dataset.busy;
  if (r.data.superseded) return null;
  if (r.status === 422 || r.data.invalid) { showProblems(r.data.problems); status("fix the marked fields"); return null; }
  if (r.status !== 200) { showProblems([]); showGeneral([r.data.error]); status("error"); return null; }
  showProblems([]);
  return r.data;
}
async function run() {
  clearTimeout(S.timer);
  const t0 = performance.now();
  const data = await call("run", { plan: plan() }, "simulating");
  if (!data) return;
  S.lastResult = data;
  renderResult(data);
  status(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s (server ${data.elapsed_s.toFixed(2)} s)`);
  document.body.dataset.runs = String((+document.body.dataset.runs || 0) + 1);
}

// ------------------------------------------------------------------ results
function renderResult(r) {
  $("reps-note").textContent = `${r.replications} replications, seed ${r.seed}; 95% intervals`
    + (r.forecast_note ? `; ${r.forecast_note}` : "");
  const box = $("targets");
  box.replaceChildren();
  for (const t of r.targets) {
    box.append(el("div", { class: "target", "data-target": t.kpi },
      el("div", { class: "name", text: label(t.kpi) }),
      el("div", { class: "value", "data-kpi": t.kpi, "data-value": t.mean, text: pct(t.mean) }),
      el("div", { class: "ci", text: `95% interval ${pct(t.ci_low)} – ${pct(t.ci_high)}` }),
      el("div", { class: "goal", text: "target " + t.target }),
      el("div", { class: "status " + t.status, "data-status": t.kpi, text: t.status + (t.reading ? " — " + t.reading : "") })));
  }
  const k = $("kpis");
  k.replaceChildren(el("tr", {}, el("th", { text: "KPI" }), el("th", { text: "mean" }), el("th", { text: "95% interval" })));
  for (const [name, v] of Object.entries(r.kpis)) {
    k.append(el("tr", {}, el("td", { text: label(name) }),
      el("td", { "data-kpi-row": name, "data-value": v.mean, text: fmt(v.mean, v.unit) }),
      el("td", { text: `${fmt(v.ci_low, v.unit)} – ${fmt(v.ci_high, v.unit)}` })));
  }
  const c = $("cost"), a = r.cost, b = r.saved_cost;
  c.replaceChildren(el("tr", {}, el("th", { text: "" }), el("th", { text: "this plan" }), el("th", { text: "saved plan" }),
    el("th", { text: "change" })));
  const over = a.window ? ` (${a.window})` : "";
  const norm = a.working_time_norm_hours !== undefined && a.working_time_norm_hours !== null
    ? `FTE (paid hours / ${a.working_time_norm_hours} h, the norm of ${a.window})` : "FTE (paid hours / working-time norm)";
  const roster = a.basis && a.basis.startsWith("roster");
  const paidName = roster ? "paid hours: the contracts of the people employed" + over : "paid hours (shrinkage chain)" + over;
  const rows = [["phone_hours", "agent-hours on the phones" + over, "h"], ["hours_at_work", "hours at work" + over, "h"],
    ["paid_hours", paidName, "h"], ["fte", norm, "fte"],
    ["heads", roster ? "heads: people employed" : "heads (FTE / FTE per person, rounded up)", "heads"],
    ["eur_per_month", "euros a month (FTE x month norm x EUR/h)", "eur"]];
  if (roster) rows.push(["leave_hours", "of which on leave (paid)", "h"],
    ["contracted_hours_not_rostered", "contracted hours not rostered (paid, not used)", "h"]);
  for (const [key, name, unit] of rows) {
    if (a[key] === undefined) continue;
    const f = (x) => (x === null || x === undefined ? "–" : unit === "h" ? x.toFixed(1) + " h" : unit === "fte" ? x.toFixed(2)
      : unit === "eur" ? Math.round(x).toLocaleString("en") + " EUR" : String(x));
    const d = a[key] != null && b[key] != null ? a[key] - b[key] : null;
    c.append(el("tr", {}, el("td", { text: name }), el("td", { "data-cost": key, "data-value": a[key], text: f(a[key]) }),
      el("td", { text: f(b[key]) }),
      el("td", { text: d === null ? "–" : (d > 0 ? "+" : d < 0 ? "−" : "±") + f(Math.abs(d)) })));
  }
  renderDiff(r); drawChart(r); drawHeatmap(r);
}
function renderDiff(r) {
  const t = $("diff");
  t.replaceChildren(el("tr", {}, el("th", { text: "KPI" }), el("th", { text: "saved" }), el("th", { text: "this plan" }),
    el("th", { text: "change (95% interval)" })));
  if (r.same_as_saved) {
    t.append(el("tr", {}, el("td", { colspan: 4, text: "No edits: this is the saved plan." })));
  }
  for (const d of r.diff) {
    const ci = d.ci_low === null ? "" : ` (${fmtDiff(d.ci_low, d.unit)} to ${fmtDiff(d.ci_high, d.unit)})`;
    t.append(el("tr", {}, el("td", { text: label(d.kpi) }), el("td", { text: fmt(d.saved, d.unit) }),
      el("td", { text: fmt(d.plan, d.unit) }),
      el("td", { class: d.significant ? "sig" : "", "data-diff": d.kpi, "data-value": d.diff,
        text: fmtDiff(d.diff, d.unit) + ci + (d.significant ? " *" : "") })));
  }
  t.append(el("tr", {}, el("td", { colspan: 4, class: "note",
    text: "* the interval excludes 0: a real difference, not noise." })));
}

function drawChart(r) {
  const iv = r.intervals, n = iv.time.length;
  const W = 1100, H = 360, L = 44, R = 10, top1 = 10, h1 = 130, top2 = 175, h2 = 150;
  const x = (i) => L + (i + 0.5) * (W - L - R) / n, bw = Math.max(1, (W - L - R) / n - 1);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "per-interval chart" });
  const maxC = Math.max(1, ...iv.offered.map((v) => v || 0), ...iv.agents);
  const y1 = (v) => top1 + h1 - (v / maxC) * h1, y2 = (v) => top2 + h2 - v * h2;
  for (const [v, y] of [[0, y1(0)], [Math.round(maxC / 2), y1(maxC / 2)], [Math.round(maxC), y1(maxC)]]) {
    s.append(svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#eee" }));
    const t = svg("text", { x: L - 4, y: y + 3, "text-anchor": "end" }); t.textContent = v; s.append(t);
  }
  for (const v of [0, 0.5, 1]) {
    s.append(svg("line", { x1: L, x2: W - R, y1: y2(v), y2: y2(v), stroke: "#eee" }));
    const t = svg("text", { x: L - 4, y: y2(v) + 3, "text-anchor": "end" }); t.textContent = (v * 100) + "%"; s.append(t);
  }
  iv.offered.forEach((v, i) => {
    const rect = svg("rect", { x: x(i) - bw / 2, y: y1(v || 0), width: bw, height: Math.max(0, y1(0) - y1(v || 0)), fill: "#c8d1dc" });
    const tt = svg("title", {}); tt.textContent = `${iv.date[i]} ${iv.time[i]}: ${(v || 0).toFixed(1)} offered, ${iv.agents[i]} agents, `
      + `service level ${pct(iv.service_level[i])}, ${r.erlang.label || "Erlang C"} ${pct(iv.erlang_c_service_level[i])}`;
    rect.append(tt); s.append(rect);
  });
  const path = (vals, y) => {
    let d = "", pen = false;
    vals.forEach((v, i) => {
      if (v === null || v === undefined || (i > 0 && iv.date[i] !== iv.date[i - 1])) pen = false;
      if (v === null || v === undefined) return;
      d += (pen ? "L" : "M") + x(i).toFixed(1) + "," + y(v).toFixed(1);
      pen = true;
    });
    return d;
  };
  s.append(svg("path", { d: path(iv.agents, y1), stroke: "#1f5fa8", "stroke-width": 2, fill: "none" }));
  // service level band, per day
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || iv.date[i] !== iv.date[start]) {
      const idx = [...Array(i - start).keys()].map((k) => k + start).filter((k) => iv.service_level_ci_low[k] !== null);
      if (idx.length) {
        const up = idx.map((k) => `${x(k).toFixed(1)},${y2(iv.service_level_ci_high[k]).toFixed(1)}`);
        const down = idx.slice().reverse().map((k) => `${x(k).toFixed(1)},${y2(iv.service_level_ci_low[k]).toFixed(1)}`);
        s.append(svg("path", { d: "M" + up.join("L") + "L" + down.join("L") + "Z", fill: "#c9dcf2", stroke: "none" }));
      }
      if (i < n) {
        s.append(svg("line", { x1: x(i) - (W - L - R) / n / 2, x2: x(i) - (W - L - R) / n / 2, y1: top1, y2: top2 + h2, stroke: "#ddd" }));
      }
      const lab = svg("text", { x: x(start), y: H - 6 }); lab.textContent = iv.weekday[start] + " " + iv.date[start].slice(5);
      s.append(lab);
      start = i;
    }
  }
  s.append(svg("line", { x1: L, x2: W - R, y1: y2(r.target_service_level), y2: y2(r.target_service_level),
    stroke: "#b3261e", "stroke-dasharray": "5,4" }));
  s.append(svg("path", { d: path(iv.erlang_c_service_level, y2), stroke: "#d9730d", "stroke-width": 1.5,
    "stroke-dasharray": "4,3", fill: "none" }));
  s.append(svg("path", { d: path(iv.service_level, y2), stroke: "#1f2328", "stroke-width": 2, fill: "none" }));
  const box = $("chart");
  box.replaceChildren(s, el("div", { class: "legend" },
    el("span", {}, el("i", { class: "offered" }), "offered calls"), el("span", {}, el("i", { class: "agents" }), "agents"),
    el("span", {}, el("i", { class: "sl" }), "service level (simulated)"), el("span", {}, el("i", { class: "band" }), "95% band"),
    el("span", {}, el("i", { class: "target-line" }), `target ${pct(r.target_service_level)} in ${r.threshold_s} s`),
    el("span", {}, el("i", { class: "erlang" }), `${r.erlang.label || "Erlang C"} (window ${pct(r.erlang.service_level)})`
      + Object.entries(r.erlang.left_out || {}).map(([g, why]) => `; left out: ${g} (${why})`).join(""))));
}

function drawHeatmap(r) {
  const iv = r.intervals, times = [...new Set(iv.time)].sort(), dates = [...new Set(iv.date)];
  const t = el("table");
  const head = el("tr", {}, el("th", { text: "" }));
  for (const tm of times) head.append(el("th", { text: tm }));
  t.append(head);
  const target = r.target_service_level;
  for (const d of dates) {
    const tr = el("tr", {});
    const i0 = iv.date.indexOf(d);
    tr.append(el("th", { text: iv.weekday[i0] + " " + d.slice(5) }));
    for (const tm of times) {
      let i = -1;
      for (let k = i0; k < iv.date.length && iv.date[k] === d; k++) if (iv.time[k] === tm) { i = k; break; }
      const td = el("td", { text: i < 0 ? "" : pct(iv.service_level[i]).replace(".0%", "%") });
      if (i >= 0 && iv.service_level[i] !== null) {
        const v = iv.service_level[i], g = Math.max(0, Math.min(1, (v - (target - 0.3)) / 0.3));
        td.style.background = `hsl(${(g * 120).toFixed(0)}, 65%, ${v >= target ? 78 : 72}%)`;
        td.title = `${d} ${tm}: ${pct(v)} (${iv.agents[i]} agents, ${iv.offered[i].toFixed(1)} offered)`;
      }
      tr.append(td);
    }
    t.append(tr);
  }
  $("heatmap").replaceChildren(t, el("p", { class: "note", text: `green: at or above the ${pct(target)} target; red: 30 points or more below` }));
}

// ------------------------------------------------------------------ staffing help
function applyRows(res) {
  const gridIdx = res.group ? S.desc.grids.findIndex((g) => g.group === res.group) : 0;
  const grid = S.desc.grids[gridIdx];
  S.undo = { vectors: JSON.parse(JSON.stringify(S.vectors)), fields: { ...S.fields } };
  for (const row of grid.rows) {
    const values = res.dates[row.date];
    if (!values) continue;
    const spec = rowSpec(grid, row);
    row.open_slots.forEach((slot, j) => { if (values[j] !== undefined) S.vectors[spec.key][slot - spec.first] = String(values[j]); });
  }
  // the requirement is agents on the phones: with a staffing scale other than 1 it becomes 1
  if ("staffing.scale" in S.fields && parseFloat(S.fields["staffing.scale"]) !== 1) S.fields["staffing.scale"] = "1";
  S.group = gridIdx;
  renderFields(); renderGrid();
  $("undo-help").hidden = false;
  const c = res.cost;
  let text = `${res.what}: paid agent-hours ${c.paid_hours_before.toFixed(1)} → ${c.paid_hours_after.toFixed(1)} h `
    + `(${c.paid_hours_change >= 0 ? "+" : "−"}${Math.abs(c.paid_hours_change).toFixed(1)} h, FTE ${c.fte_change >= 0 ? "+" : "−"}${Math.abs(c.fte_change).toFixed(2)}).`;
  if (res.buys && res.buys.service_level_change !== undefined) {
    text += ` By the marginal table they buy service level ${fmtDiff(res.buys.service_level_change, "share")}`
      + ` (${fmtDiff(res.buys.service_level_change_ci_low, "share")} to ${fmtDiff(res.buys.service_level_change_ci_high, "share")}).`;
  }
  if (res.verdict) text += ` Simulated before saving: ${res.verdict}.`;
  $("help-result").textContent = text;
  run();
}
async function help(name, body, what) {
  const data = await call(name, { plan: plan(), group: S.desc.grids[S.group].group, ...body }, what);
  if (data) applyRows(data); else status("");
}
$("fill-erlang").addEventListener("click", () => help("fill", { method: "erlang" }, "Erlang requirement"));
$("fill-sim").addEventListener("click", () => help("fill", { method: "simulation" }, "simulation requirement"));
$("fill-confidence").addEventListener("click", () => help("fill", { method: "confidence", confidence: $("confidence").value },
  "the plan for a chance of meeting every target"));
$("add-best").addEventListener("click", () => help("add_best", { k: $("k").value }, "marginal value"));
$("undo-help").addEventListener("click", () => {
  if (!S.undo) return;
  S.vectors = S.undo.vectors; S.fields = S.undo.fields; S.undo = null;
  $("undo-help").hidden = true; $("help-result").textContent = "";
  renderFields(); renderForecast(); renderGrid(); run();
});

// ------------------------------------------------------------------ files
function fileError(msg) { $("file-errors").textContent = msg || ""; }
async function preview(name, duplicate) {
  fileError(""); $("file-result").textContent = "";
  const p = duplicate ? { scenario: S.desc.name } : plan();
  const r = await api("preview", { plan: p, name });
  if (r.status === 422) { fileError(r.data.problems.map((x) => x.message).join("; ")); return; }
  if (r.status !== 200) { fileError(r.data.error); return; }
  if (r.data.exists && !r.data.diff) { $("file-result").textContent = `${r.data.name} already holds this plan: nothing to write.`; return; }
  pending = { name: r.data.name, duplicate, overwrite: r.data.exists };
  $("confirm-text").textContent = r.data.exists
    ? `${r.data.name} exists. Overwrite it with these changes?` : `Write the new file ${r.data.name}?`;
  $("diff-text").textContent = r.data.diff;
  $("confirm").hidden = false;
}
$("save").addEventListener("click", () => preview(S.desc.name, false));
$("save-as").addEventListener("click", () => preview($("save-name").value.trim(), false));
$("duplicate").addEventListener("click", () => preview($("save-name").value.trim(), true));
$("confirm-no").addEventListener("click", () => { pending = null; $("confirm").hidden = true; });
$("confirm-yes").addEventListener("click", async () => {
  if (!pending) return;
  const p = pending.duplicate ? { scenario: S.desc.name } : plan();
  const r = await api("save", { plan: p, name: pending.name, overwrite: pending.overwrite, duplicate: pending.duplicate });
  $("confirm").hidden = true;
  const name = pending.name; pending = null;
  if (r.status !== 200) { fileError(r.data.error || (r.data.problems || []).map((x) => x.message).join("; ")); return; }
  $("file-result").textContent = r.data.written ? `Written: ${name}. It is now the saved plan.` : `${name}: nothing to write.`;
  await loadScenarios(name);
});
$("compare").addEventListener("click", async () => {
  fileError("");
  const data = await call("compare", { plan: plan(), other: $("other").value }, "comparing");
  if (!data) { status(""); return; }
  status(data.per_open_day ? "compared (different windows: counts and hours per open day)" : "compared");
  const t = $("compare-table");
  t.replaceChildren(el("tr", {}, el("th", { text: "KPI" }), el("th", { text: data.labels[0] }), el("th", { text: data.labels[1] }),
    el("th", { text: "difference (95% interval)" })));
  for (const row of data.rows) {
    const sig = row["1:significant"];
    t.append(el("tr", {}, el("td", { text: label(row.kpi) }), el("td", { text: fmt(row["0:mean"], row.unit) }),
      el("td", { text: fmt(row["1:mean"], row.unit) }),
      el("td", { class: sig ? "sig" : "", text: `${fmtDiff(row["1:diff"], row.unit)} (${fmtDiff(row["1:diff_ci_low"], row.unit)} to `
        + `${fmtDiff(row["1:diff_ci_high"], row.unit)})${sig ? " *" : ""}` })));
  }
});
$("export").addEventListener("click", async () => {
  fileError("");
  const data = await call("export", { plan: plan() }, "exporting");
  if (!data) { status(""); return; }
  status("exported");
  const box = $("file-result");
  box.replaceChildren(`Written to ${data.folder}/: `);
  for (const f of data.files) {
    box.append(el("a", { href: `/${data.folder}/${f}?token=${encodeURIComponent(S.token)}`, target: "_blank", rel: "noopener", text: f }), " ");
  }
});

// ------------------------------------------------------------------ start
$("scenario").addEventListener("change", () => openScenario($("scenario").value));
$("week").addEventListener("change", () => openScenario(S.desc.name, $("week").value || null));
$("replications").addEventListener("input", () => schedule(400));
$("seed").addEventListener("input", () => schedule(400));

(function start() {
  const q = new URLSearchParams(location.search);
  S.token = q.get("token") || sessionStorage.getItem("ska-token") || "";
  sessionStorage.setItem("ska-token", S.token);
  S.client = sessionStorage.getItem("ska-client") || Math.random().toString(36).slice(2, 12);
  sessionStorage.setItem("ska-client", S.client);
  if (/^\d{1,3}$/.test(q.get("replications") || "")) S.repsOverride = q.get("replications");
  loadScenarios(q.get("scenario"));
})();
