// ska-sim planning page: vanilla JavaScript, no libraries, no requests outside this server.
// Every text the page shows comes from the catalogue of its language (i18n.js, t("key")).
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

let pending = null; // a file write waiting for confirmation
const S = {
  token: "", client: "", desc: null, week: null, group: 0,
  vectors: {}, orig: {}, mode: {}, fields: {}, fieldOrig: {},
  runSeq: 0, timer: null, lastResult: null, lastHelp: null, undo: null, scenarios: [],
};
// the accuracy settings: how many times the window is simulated (the scenario's own is "normal")
const ACCURACY = { quick: () => 5, normal: () => S.desc.replications, precise: () => Math.min(200, 3 * S.desc.replications) };

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
function fmt(x, unit) {
  if (x === null || x === undefined) return "–";
  if (unit === "share") return pct(x);
  if (unit === "s") return num(x, 0) + " s";
  if (unit === "h") return num(x, 1) + " h";
  return num(x, 0);
}
function fmtDiff(x, unit) {
  if (x === null || x === undefined) return "–";
  const a = Math.abs(x);
  if (unit === "share") return signed(t("unit.points", { n: num(100 * a, 1) }), x);
  if (unit === "s") return signed(num(a, 1) + " s", x);
  if (unit === "h") return signed(num(a, 1) + " h", x);
  return signed(num(a, a < 10 ? 1 : 0), x);
}
// a KPI's name (a heading) and its words in a sentence; "service_level:ru" is a language's
function label(k) {
  const [kpi, lang] = k.split(":");
  return t("kpi." + kpi) + (lang ? " (" + t("lang.calls", { lang }) + ")" : "");
}
function words(kpi, lang) { return t("kpiw." + kpi) + (lang ? " (" + t("lang.calls", { lang }) + ")" : ""); }
// a call type's or group's name in the page's language (the scenario's display_name), else its id
function shownName(id, display) { return (display && display[I18N.lang]) || id; }
function typeName(id) {
  const ct = S.desc && S.desc.call_types.find((c) => c.name === id);
  return ct ? shownName(ct.name, ct.display_name) : id;
}
// the measured window in the page's language: its first and last date
function windowText() {
  const rows = S.desc.grids[0].rows;
  if (!rows.length) return "";
  const a = rows[0].date, b = rows[rows.length - 1].date;
  return a === b ? date(a) : `${date(a)} – ${date(b)}`;
}
function groupName(id) {
  const g = S.desc && S.desc.grids.find((x) => x.group === id);
  return g ? shownName(g.group, g.display_name) : id;
}

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
  try { data = await r.json(); } catch (e) { data = { error: "", code: "not_json", params: { status: r.status } }; }
  return { status: r.status, data };
}
function status(text) { $("status").textContent = text; }
// a 4xx/5xx answer in words: its machine key (code, params) translated; the server's own line as a tooltip
function errorText(data) {
  if (data && data.code) {
    const params = { ...(data.params || {}) };  // dates in the page's format
    for (const [k, v] of Object.entries(params)) if (/^\d{4}-\d{2}-\d{2}$/.test(String(v))) params[k] = date(v);
    return t("error." + data.code, { field: fieldName(data.field), ...params });
  }
  return t("error.general");
}
function fieldName(key) {
  if (!key) return "";
  const known = { k: "help.k", confidence: "help.confidence", replications: "head.replications", seed: "head.seed",
    name: "files.name", scenario: "head.scenario", other: "files.compare_with", week: "head.week" };
  return known[key] ? t(known[key]) : key;
}

// ------------------------------------------------------------------ the plan
function plan() {
  const edits = {};
  for (const [k, v] of Object.entries(S.fields)) if (v !== S.fieldOrig[k]) edits[k] = typedNumber(v);
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
  stale(); // what is computing is for a plan no longer on the page: never shown
  S.timer = setTimeout(run, delay);
}

// ------------------------------------------------------------------ accuracy
function renderAccuracy() {
  const sel = $("accuracy"), reps = $("replications").value.trim();
  sel.replaceChildren();
  const half = S.lastResult ? halfWidth(S.lastResult) : null;
  let chosen = "custom";
  for (const [name, n] of Object.entries(ACCURACY)) {
    const r = n();
    const width = half === null ? "" : " — " + t("accuracy.width", { points: num(100 * half.h * Math.sqrt(half.n / r), 1) });
    sel.append(el("option", { value: name, text: t("accuracy." + name, { n: r }) + width }));
    if (String(r) === reps && chosen === "custom") chosen = name;
  }
  if (chosen === "custom") sel.append(el("option", { value: "custom", text: t("accuracy.custom", { n: reps }) }));
  sel.value = chosen;
  $("accuracy-note").textContent = half === null ? "" : t("accuracy.now", { points: num(100 * half.h, 1) });
}
// the service level's 95% interval half-width at the replications of a result (narrows as 1/sqrt(n))
function halfWidth(r) {
  const v = (r.targets || []).find((x) => x.kpi === "service_level");
  if (!v || v.ci_low === null || v.ci_high === null || r.replications < 2) return null;
  return { h: (v.ci_high - v.ci_low) / 2, n: r.replications };
}

// ------------------------------------------------------------------ loading
async function loadScenarios(select) {
  const r = await api("scenarios");
  if (r.status !== 200) { showGeneral([errorText(r.data)]); return; }
  S.scenarios = r.data.scenarios;
  $("workdir").textContent = r.data.workdir;
  renderScenarioLists();
  const want = select || (S.desc && S.desc.name) || r.data.default || (S.scenarios[0] || {}).name;
  if (want) { $("scenario").value = want; await openScenario(want); }
}
function renderScenarioLists() {
  for (const id of ["scenario", "other"]) {
    const sel = $(id), was = sel.value;
    sel.replaceChildren();
    for (const s of S.scenarios) {
      sel.append(el("option", { value: s.name, disabled: s.error ? true : undefined,
        text: s.name + (s.title ? " — " + s.title : "") + (s.error ? " (" + t("head.invalid") + ")" : "") }));
    }
    if (was) sel.value = was;
  }
}

async function openScenario(name, week) {
  const r = await api("scenario", { query: week ? { name, week, today: todayISO() } : { name, today: todayISO() } });
  if (r.status !== 200) { showGeneral(r.data.problems ? r.data.problems.map(problemText) : [errorText(r.data)]); return; }
  const d = r.data;
  S.desc = d; S.week = d.week === undefined ? week || null : d.week; S.group = 0; S.vectors = {}; S.orig = {}; S.mode = {}; S.fields = {}; S.fieldOrig = {};
  S.undo = null; S.lastHelp = null; $("undo-help").hidden = true; $("help-result").textContent = ""; showHelpWarning(null);
  pending = null; $("confirm").hidden = true; $("file-result").textContent = ""; fileError("");
  $("compare-table").replaceChildren();
  $("replications").value = S.repsOverride || d.replications; $("seed").value = d.seed;
  for (const g of d.grids) for (const row of g.rows) {
    const vk = row.weekday_key, dk = row.date_key;
    if (!(vk in S.vectors)) { S.vectors[vk] = row.weekday_values.map(String); S.orig[vk] = S.vectors[vk].slice(); }
    if (row.key === dk && !(dk in S.vectors)) { S.vectors[dk] = row.values.map(String); S.orig[dk] = S.vectors[dk].slice(); }
    S.mode[g.block + "|" + row.date] = row.key === dk ? "date" : "weekday";
  }
  for (const f of d.fields) { S.fields[f.key] = String(f.value); S.fieldOrig[f.key] = String(f.value); }
  for (const c of d.call_types) {
    S.fields[c.talk_key] = String(c.talk); S.fieldOrig[c.talk_key] = String(c.talk);
    S.fields[c.resolved_key] = String(c.resolved); S.fieldOrig[c.resolved_key] = String(c.resolved);
  }
  for (const f of (d.forecast ? d.forecast.days : [])) {
    const v = f.override ? String(f.calls) : "";
    S.fields[f.override_key] = v; S.fieldOrig[f.override_key] = v;
  }
  $("other").value = (S.scenarios.find((s) => s.name !== name && !s.error) || {}).name || "";
  S.lastResult = null;
  renderAll(); run();
  return true;
}
// everything drawn from the scenario and the last answers, in the page's language
function renderAll() {
  if (!S.desc) return;
  $("confidence").value = shownNumber(typedNumber($("confidence").value));
  renderScenarioLists(); renderWeeks(); renderAccuracy(); renderFields(); renderForecast(); renderGrid();
  $("no-costs").hidden = S.desc.costs;
  if (S.lastResult) renderResult(S.lastResult);
  if (S.lastHelp) showHelp(S.lastHelp);
}

// ------------------------------------------------------------------ fields
function fieldInput(key, cls) {
  const inp = el("input", { "data-key": key, class: cls || "num", value: shownNumber(S.fields[key]), "aria-label": key });
  inp.classList.toggle("changed", S.fields[key] !== S.fieldOrig[key]);
  inp.addEventListener("input", () => {
    S.fields[key] = typedNumber(inp.value);
    inp.classList.toggle("changed", S.fields[key] !== S.fieldOrig[key]);
    schedule();
  });
  return inp;
}
const FIELD_NAMES = { "arrivals.volume_scale": "volume_scale", "staffing.scale": "staffing_scale", "patience.mean_s": "patience" };
function renderFields() {
  const box = $("fields");
  box.replaceChildren();
  for (const f of S.desc.fields) {
    const name = FIELD_NAMES[f.key] || f.key;
    let hint = t("field." + name + ".hint");
    if (f.own && f.own.length) hint += " " + t("field.patience.own", { types: f.own.map(typeName).join(", ") });
    box.append(el("div", { class: "field" }, el("label", { text: t("field." + name) }), fieldInput(f.key),
      el("span", { class: "hint", text: hint }), el("div", { class: "field-error", "data-error-for": f.key })));
  }
  const tb = $("call-types");
  tb.replaceChildren(el("tr", {}, ...["types.type", "types.share", "types.talk", "types.resolved", "types.aht"]
    .map((k) => el("th", { text: t(k) }))));
  for (const c of S.desc.call_types) {
    tb.append(el("tr", { "data-type": c.name }, el("td", { class: "type-name", text: shownName(c.name, c.display_name) }),
      el("td", { text: pct(c.share) }), el("td", {}, fieldInput(c.talk_key)), el("td", {}, fieldInput(c.resolved_key)),
      el("td", { text: num(c.aht_s, 0) })));
    if (c.periods) tb.append(el("tr", {}, el("td", { colspan: 5, class: "hint", text: t("types.period_note", { periods: c.periods }) })));
    tb.append(el("tr", {}, el("td", { colspan: 5, class: "field-error", "data-error-for": c.talk_key })));
    tb.append(el("tr", {}, el("td", { colspan: 5, class: "field-error", "data-error-for": c.resolved_key })));
  }
  const aht = S.desc.call_types.reduce((a, c) => a + c.share * c.aht_s, 0);
  const res = S.desc.call_types.reduce((a, c) => a + c.share * c.resolved, 0);
  $("types-summary").textContent = t("types.summary", { aht: num(aht, 0), resolved: pct(res) });
  showProblems(S.lastProblems || []);
}

// the forecast behind the week: its bands and effects, and a manager's override per day
function renderForecast() {
  const fc = S.desc.forecast;
  $("forecast-section").hidden = !fc;
  const tb = $("forecast");
  tb.replaceChildren();
  if (!fc) return;
  $("forecast-note").textContent = forecastText(fc.facts);
  tb.append(el("tr", {}, ...["forecast.date", "forecast.forecast", "forecast.i80", "forecast.i95", "forecast.effects",
    "forecast.override"].map((h) => el("th", { text: t(h) }))));
  for (const f of fc.days) {
    const inp = fieldInput(f.override_key);
    inp.placeholder = num(f.forecast === null ? f.calls : f.forecast, 0);
    const mark = el("span", { class: "override-mark", "data-override": f.date, text: t("forecast.overridden") });
    const row = el("tr", { "data-forecast-date": f.date }, el("td", { text: `${weekday(f.weekday)} ${date(f.date)}` }),
      el("td", { text: num(f.forecast, 0) }), el("td", { text: `${num(f.low_80, 0)} – ${num(f.high_80, 0)}` }),
      el("td", { text: `${num(f.low_95, 0)} – ${num(f.high_95, 0)}` }),
      el("td", { text: (f.effects.join("; ") || "–") + (f.closed ? "; " + t("forecast.closed") : "")
        + (f.open ? "" : "; " + t("forecast.calendar_closed")) }),
      el("td", {}, inp, " ", mark));
    const markIt = () => { const on = S.fields[f.override_key] !== ""; mark.hidden = !on; row.classList.toggle("overridden", on); };
    inp.addEventListener("input", markIt);
    tb.append(row, el("tr", {}, el("td", { colspan: 6, class: "field-error", "data-error-for": f.override_key })));
    markIt();
  }
}

// the forecast behind the window in words: its file, the open days it gives (overridden), its uncertainty
function forecastText(f) {
  return t("forecast.note", { file: f.file, days: f.days })
    + (f.overridden ? " " + t("forecast.note_overridden", { n: f.overridden }) : "")
    + (f.warmup_days ? "; " + t("forecast.note_warmup", { n: f.warmup_days }) : "")
    + "; " + t(f.uncertainty ? "forecast.note_uncertainty" : "forecast.note_mean");
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
      "data-group": g.group, text: shownName(g.group, g.display_name), onclick: () => { S.group = i; renderGrid(); } })));
  }
  $("grid-note").textContent = t("grid.note");
  const grid = d.grids[S.group];
  const tb = $("grid");
  tb.replaceChildren();
  const head = el("tr", {}, el("th", { text: "" }), el("th", { text: "" }));
  for (const s of d.slots) head.append(el("th", { text: s.time }));
  tb.append(head);
  for (const row of grid.rows) {
    const spec = rowSpec(grid, row);
    const tr = el("tr", { "data-date": row.date });
    const canToggle = row.key !== row.date_key;
    const mode = S.mode[grid.block + "|" + row.date];
    tr.append(el("td", { class: "label", text: weekday(row.weekday) + " " + date(row.date) }));
    tr.append(el("td", {}, canToggle ? el("button", {
      type: "button", class: "mode", title: t("grid.mode_title", { weekday: weekdayFull(row.weekday) }),
      text: mode === "date" ? t("grid.this_date") : t("grid.every", { weekday: weekdayFull(row.weekday) }),
      onclick: () => toggleMode(grid, row) }) : el("span", { class: "note", text: t("grid.this_date") })));
    const open = new Set(row.open_slots);
    const vec = S.vectors[spec.key];
    for (const s of d.slots) {
      const i = s.slot - spec.first;
      const inRange = open.has(s.slot) && vec && i >= 0 && i < vec.length;
      const inp = el("input", { class: "cell", "data-key": spec.key, "data-index": i, "data-slot": s.slot,
        "aria-label": `${date(row.date)} ${s.time}`, value: inRange ? vec[i] : "", disabled: inRange ? undefined : true });
      if (inRange) { cellEvents(inp); markCell(inp); }
      tr.append(el("td", {}, inp));
    }
    tr.append(el("td", { class: "row-error", "data-error-for": spec.key }));
    tb.append(tr);
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
// a problem with a value, in words: what is wrong (its machine key) and, away from its field, which field
function problemText(p) {
  const params = { ...(p.params || {}) };
  for (const k of ["limit", "got", "lo", "hi"]) if (params[k] !== undefined && /^-?[\d.]+$/.test(String(params[k]))) params[k] = shownNumber(params[k]);
  return t("problem." + (p.code || "invalid"), params);
}
function showProblems(problems) {
  S.lastProblems = problems;
  for (const e of document.querySelectorAll("[data-error-for]")) { e.textContent = ""; e.removeAttribute("title"); }
  for (const e of document.querySelectorAll("input.invalid")) e.classList.remove("invalid");
  const general = [];
  for (const p of problems) {
    const spots = p.field ? document.querySelectorAll(`[data-error-for="${CSS.escape(p.field)}"]`) : [];
    const text = problemText(p);
    if (!spots.length) { general.push(p.field ? t("problem.in_field", { field: p.path || p.field, text }) : text); continue; }
    for (const s of spots) {
      s.textContent = (s.textContent ? s.textContent + " " : "") + text;
      if (!p.code || p.code === "invalid") s.title = p.message.replace(/^--set [^:]*: /, ""); // the reason, for a value of no known form
    }
    for (const i of document.querySelectorAll(`input[data-key="${CSS.escape(p.field)}"]`)) {
      const got = (p.params || {}).got;
      if (!i.classList.contains("cell") || !/^\d+$/.test(i.value) || (got !== undefined && got === i.value)) i.classList.add("invalid");
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
      $("progress-text").textContent = `${r.data.done}/${r.data.total} ${t("phase." + r.data.phase.replace(/ /g, "_"))}`;
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
  try { r = await api(name, body); } catch (e) { r = { status: 0, data: { code: "no_answer", params: {} } }; }
  if (seq !== S.runSeq) return null; // a newer edit took over
  stopProgress();
  delete document.body.dataset.busy;
  if (r.data.superseded) return null;
  if (r.status === 422 || r.data.invalid) { showProblems(r.data.problems); status(t("status.fix")); return null; }
  if (r.status !== 200) {
    showProblems([]);
    if (r.data.field === "k" || r.data.field === "confidence" || r.data.field === "unit") $("help-error").textContent = errorText(r.data);
    else showGeneral([errorText(r.data)]);
    status(t("status.error")); return null;
  }
  showProblems([]); $("help-error").textContent = "";
  return r.data;
}
// an edit is answered in stages (POST /api/stages, one JSON document per line): an estimate from its
// first simulation runs, the figures over more of them, narrowing in place, the last one complete
function stale() {
  if (!S.abort) return;
  S.abort.abort(); S.abort = null; ++S.runSeq;
}
async function run() {
  clearTimeout(S.timer);
  stale();
  const t0 = performance.now(), seq = ++S.runSeq, ctrl = new AbortController(), sent = plan();
  S.abort = ctrl;
  status(t("status.simulating") + "…");
  document.body.dataset.busy = "1";
  document.body.dataset.sent = String(seq);
  startProgress();
  const done = (text) => {
    if (seq !== S.runSeq) return;
    stopProgress(); delete document.body.dataset.busy; S.abort = null;
    if (text) status(text);
  };
  let r;
  try {
    r = await fetch("/api/stages", { method: "POST", signal: ctrl.signal,
      headers: { "X-Ska-Token": S.token, "Content-Type": "application/json" }, body: JSON.stringify({ plan: sent }) });
  } catch (e) {
    if (seq === S.runSeq) { showGeneral([t("error.no_answer")]); done(t("status.error")); }
    return;
  }
  if (seq !== S.runSeq) { ctrl.abort(); return; }
  if (!(r.headers.get("content-type") || "").startsWith("application/x-ndjson")) {
    let data;
    try { data = await r.json(); } catch (e) { data = { code: "not_json", params: { status: r.status } }; }
    if (seq !== S.runSeq) return;
    done();
    if (r.status === 200 && data.invalid) { showProblems(data.problems); status(t("status.fix")); return; }
    showProblems([]); showGeneral([errorText(data)]); status(t("status.error"));
    return;
  }
  const reader = r.body.getReader(), decoder = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (seq !== S.runSeq) { ctrl.abort(); return; }
      buf += decoder.decode(value || new Uint8Array(), { stream: !end });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const doc = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (doc.superseded) { done(); return; }
        if (doc.error !== undefined) { showGeneral([errorText(doc)]); done(t("status.error")); return; }
        showStage(doc, sent, t0);
        if (doc.stage === "complete") { done(); return; }
      }
      if (end) { done(); return; }
    }
  } catch (e) {
    if (seq === S.runSeq) { showGeneral([t("error.no_answer")]); done(t("status.error")); }
  }
}
// one stage of an edit's answer drawn in place: marked as an estimate, narrowing, or complete
function showStage(doc, sent, t0) {
  showProblems([]); showGeneral([]); $("help-error").textContent = "";
  S.lastResult = doc;
  renderResult(doc);
  renderAccuracy();
  const s = num((performance.now() - t0) / 1000, 2);
  status(doc.stage === "complete" ? t("status.done", { s }) : t("stage.status_" + doc.stage, { s }));
  const shown = JSON.parse(document.body.dataset.shown || "[]").slice(-19);
  shown.push({ edits: JSON.stringify(sent.edits), stage: doc.stage, replications: doc.replications,
    badge: $("stage-badge").hidden ? "" : $("stage-badge").textContent });
  document.body.dataset.shown = JSON.stringify(shown);
  if (doc.stage === "complete") document.body.dataset.runs = String((+document.body.dataset.runs || 0) + 1);
}

// ------------------------------------------------------------------ verdicts in words
function bound(v) {
  const f = (x) => (v.unit === "share" ? pct(x, 0) : num(x, 0) + " s");
  if (v.benchmark_high !== null && v.benchmark_high !== undefined) return t("target.benchmark", { low: f(v.low), high: f(v.benchmark_high) });
  if (v.low !== null && v.high !== null && v.low !== undefined && v.high !== undefined) return f(v.low) + "–" + f(v.high);
  return v.low !== null && v.low !== undefined ? "≥ " + f(v.low) : "≤ " + f(v.high);
}
function missBound(v) { return v.low !== null && v.low !== undefined && v.high === null && v.benchmark_high === null ? fmt(v.low, v.unit).replace(/[.,]0%$/, "%") : bound(v); }
// the warning of a plan that misses a target by its simulated mean, one sentence per target missed; null when none
function missWarning(verdicts) {
  const missed = (verdicts || []).filter((v) => !v.met);
  if (!missed.length) return null;
  return missed.map((v) => t(v.days ? "warn.miss" : "warn.miss_nodays", {
    target: missBound(v), kpi: words(v.kpi, v.language), mean: fmt(v.mean, v.unit), days_met: v.days_met, days: v.days,
  })).join(" ");
}
function verdictLine(verdicts) {
  const list = (verdicts || []).map((v) => `${words(v.kpi, v.language)} ${fmt(v.mean, v.unit)}`).join(", ");
  if ((verdicts || []).some((v) => !v.met)) return t("verdict.misses", { list });
  const unsure = (verdicts || []).some((v) => v.status !== "PASS");
  return t("verdict.meets", { list }) + (unsure ? " " + t("verdict.uncertain") : "");
}
function showWarning(box, text) { box.hidden = !text; box.textContent = text || ""; }

// ------------------------------------------------------------------ results
function renderResult(r) {
  const stage = r.stage || "complete";
  $("reps-note").textContent = (stage === "complete" ? t("kpi.reps_note", { n: r.replications, seed: r.seed })
    : t("stage." + stage, { k: r.replications, n: r.replications_target, seed: r.seed }))
    + (r.forecast_facts ? "; " + forecastText(r.forecast_facts) : "");
  $("kpi-section").dataset.stage = stage;  // an estimate is drawn as one (style.css), the final figures plainly
  $("stage-badge").hidden = stage === "complete";
  $("stage-badge").textContent = stage === "complete" ? "" : t("stage.badge_" + stage);
  const box = $("targets");
  box.replaceChildren();
  for (const v of r.verdicts) {
    const key = v.language ? `${v.kpi}:${v.language}` : v.kpi;
    if (r.written && key === "written_on_time") continue;  // shown in the written requests' card
    const days = v.days ? " · " + t("target.days", { met: v.days_met, days: v.days }) : "";
    box.append(el("div", { class: "target", "data-target": key },
      el("div", { class: "name", text: label(key) }),
      el("div", { class: "value", "data-kpi": key, "data-value": v.mean, text: fmt(v.mean, v.unit) }),
      el("div", { class: "ci", text: t("target.interval", { low: fmt(v.ci_low, v.unit), high: fmt(v.ci_high, v.unit) }) }),
      el("div", { class: "goal", text: t("target.goal", { bound: bound(v) }) + days }),
      el("div", { class: "status " + v.status, "data-status": key, "data-verdict": v.status, text: t("status." + v.status) })));
  }
  if (r.written) {  // beside the calls' service-level card
    const card = writtenCard(r.written, r.verdicts.find((v) => v.kpi === "written_on_time"));
    const sl = box.querySelector('[data-target="service_level"]');
    if (sl) sl.after(card); else box.prepend(card);
  }
  showWarning($("warning"), missWarning(r.verdicts));
  renderPeople(r);
  const k = $("kpis");
  k.replaceChildren(el("tr", {}, el("th", { text: t("kpis.kpi") }), el("th", { text: t("kpis.mean") }),
    el("th", { text: t("kpis.interval") })));
  for (const [name, v] of Object.entries(r.kpis)) {
    k.append(el("tr", {}, el("td", { text: label(name) }),
      el("td", { "data-kpi-row": name, "data-value": v.mean, text: fmt(v.mean, v.unit) }),
      el("td", { text: `${fmt(v.ci_low, v.unit)} – ${fmt(v.ci_high, v.unit)}` })));
  }
  renderCost(r); renderDiff(r); drawChart(r); drawHeatmap(r);
}
// [[written]]: the share done by the deadline with its interval against the target (its verdict as the
// calls' cards have it), the backlog at the window's end and the items past their deadline
function writtenCard(w, v) {
  const on = w.on_time;
  const days = v && v.days ? " · " + t("target.days", { met: v.days_met, days: v.days }) : "";
  return el("div", { class: "target written", "data-target": "written_on_time", "data-written": "1" },
    el("div", { class: "name", text: t("written.title") }),
    el("div", { class: "value", "data-kpi": "written_on_time", "data-value": on.mean, text: fmt(on.mean, "share") }),
    el("div", { class: "ci", text: t("target.interval", { low: fmt(on.ci_low, "share"), high: fmt(on.ci_high, "share") }) }),
    el("div", { class: "goal", text: v ? t("target.goal", { bound: bound(v) }) + days : t("written.no_target") }),
    el("div", { class: "ci", "data-written-backlog": w.backlog.mean, text: t("written.backlog", { n: fmt(w.backlog.mean, "items") }) }),
    el("div", { class: "ci", "data-written-past": w.past_deadline.mean,
      text: t("written.past_deadline", { n: fmt(w.past_deadline.mean, "items") }) }),
    v ? el("div", { class: "status " + v.status, "data-status": "written_on_time", "data-verdict": v.status,
      text: t("status." + v.status) }) : null);
}
// people and money beside the service level: this plan, the saved plan and the change (plan/plan.py's figures)
const PEOPLE_ROWS = [["paid_hours", "people.paid_hours", "h"], ["paid_hours_per_month", "people.paid_month", "h"],
  ["fte", "people.fte", "fte"], ["heads", "people.heads", "heads"], ["eur_per_week", "people.eur_week", "eur"],
  ["eur_per_month", "people.eur_month", "eur"]];
function peopleValue(x, unit) {
  if (x === null || x === undefined) return "–";
  return unit === "h" ? num(x, 0) + " h" : unit === "fte" ? num(x, 1) : unit === "eur" ? eur(x) : num(x, 0);
}
function renderPeople(r) {
  const a = r.cost, b = r.saved_cost, tb = $("people");
  tb.replaceChildren(el("tr", {}, el("th", { text: "" }), el("th", { text: t("people.this_plan") }),
    el("th", { text: t("people.saved_plan") }), el("th", { text: t("people.change") })));
  for (const [key, name, unit] of PEOPLE_ROWS) {
    if (unit === "eur" && !S.desc.costs) continue;
    const d = a[key] !== null && b[key] !== null && a[key] !== undefined && b[key] !== undefined ? a[key] - b[key] : null;
    tb.append(el("tr", {}, el("td", { text: t(name, { window: windowText() }) }),
      el("td", { "data-people": key, "data-value": a[key], text: peopleValue(a[key], unit) }),
      el("td", { text: peopleValue(b[key], unit) }),
      el("td", { "data-people-change": key, "data-value": d, text: d === null ? "–" : signed(peopleValue(Math.abs(d), unit), d) })));
  }
  $("no-costs").hidden = S.desc.costs;
}
function renderCost(r) {
  const c = $("cost"), a = r.cost, b = r.saved_cost;
  c.replaceChildren(el("tr", {}, el("th", { text: "" }), el("th", { text: t("people.this_plan") }),
    el("th", { text: t("people.saved_plan") }), el("th", { text: t("people.change") })));
  const roster = a.basis && a.basis.startsWith("roster");
  const rows = [["phone_hours", "cost.phone_hours", "h"], ["hours_at_work", "cost.at_work", "h"],
    ["paid_hours", roster ? "cost.paid_roster" : "cost.paid_chain", "h"], ["fte", "cost.fte", "fte"],
    ["heads", roster ? "cost.heads_roster" : "cost.heads_chain", "heads"]];
  if (roster) rows.push(["leave_hours", "cost.leave", "h"], ["contracted_hours_not_rostered", "cost.not_rostered", "h"]);
  for (const [key, name, unit] of rows) {
    if (a[key] === undefined) continue;
    const f = (x) => (x === null || x === undefined ? "–" : unit === "h" ? num(x, 1) + " h" : unit === "fte" ? num(x, 2) : num(x, 0));
    const d = a[key] != null && b[key] != null ? a[key] - b[key] : null;
    c.append(el("tr", {}, el("td", { text: t(name, { window: windowText(), norm: num(a.working_time_norm_hours, 0) }) }),
      el("td", { "data-cost": key, "data-value": a[key], text: f(a[key]) }), el("td", { text: f(b[key]) }),
      el("td", { text: d === null ? "–" : signed(f(Math.abs(d)), d) })));
  }
}
function renderDiff(r) {
  const tb = $("diff");
  tb.replaceChildren(el("tr", {}, el("th", { text: t("kpis.kpi") }), el("th", { text: t("diff.saved") }),
    el("th", { text: t("people.this_plan") }), el("th", { text: t("diff.change") })));
  if (r.same_as_saved) tb.append(el("tr", {}, el("td", { colspan: 4, "data-same": "1", text: t("diff.same") })));
  for (const d of r.diff) {
    const ci = d.ci_low === null ? "" : " " + t("diff.range", { low: fmtDiff(d.ci_low, d.unit), high: fmtDiff(d.ci_high, d.unit) });
    tb.append(el("tr", {}, el("td", { text: label(d.kpi) }), el("td", { text: fmt(d.saved, d.unit) }),
      el("td", { text: fmt(d.plan, d.unit) }),
      el("td", { class: d.significant ? "sig" : "", "data-diff": d.kpi, "data-value": d.diff,
        text: fmtDiff(d.diff, d.unit) + ci + (d.significant ? " *" : "") })));
  }
  tb.append(el("tr", {}, el("td", { colspan: 4, class: "note", text: t("diff.star") })));
}

// the Erlang C line's name: on the whole pool, per agent group, or the inbound groups pooled
function erlangName(r) {
  const c = r.erlang.compares;
  return t(c === "per group" ? "chart.erlang_per_group" : c === "inbound groups pooled" ? "chart.erlang_pooled" : "chart.erlang_c");
}
function drawChart(r) {
  const iv = r.intervals, n = iv.time.length;
  const W = 1100, H = 360, L = 44, R = 10, top1 = 10, h1 = 130, top2 = 175, h2 = 150;
  const x = (i) => L + (i + 0.5) * (W - L - R) / n, bw = Math.max(1, (W - L - R) / n - 1);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("chart.heading") });
  const maxC = Math.max(1, ...iv.offered.map((v) => v || 0), ...iv.agents);
  const y1 = (v) => top1 + h1 - (v / maxC) * h1, y2 = (v) => top2 + h2 - v * h2;
  for (const [v, y] of [[0, y1(0)], [Math.round(maxC / 2), y1(maxC / 2)], [Math.round(maxC), y1(maxC)]]) {
    s.append(svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#eee" }));
    const tx = svg("text", { x: L - 4, y: y + 3, "text-anchor": "end" }); tx.textContent = num(v, 0); s.append(tx);
  }
  for (const v of [0, 0.5, 1]) {
    s.append(svg("line", { x1: L, x2: W - R, y1: y2(v), y2: y2(v), stroke: "#eee" }));
    const tx = svg("text", { x: L - 4, y: y2(v) + 3, "text-anchor": "end" }); tx.textContent = pct(v, 0); s.append(tx);
  }
  iv.offered.forEach((v, i) => {
    const rect = svg("rect", { x: x(i) - bw / 2, y: y1(v || 0), width: bw, height: Math.max(0, y1(0) - y1(v || 0)), fill: "#c8d1dc" });
    const tt = svg("title", {});
    tt.textContent = t("chart.tooltip", { date: date(iv.date[i]), time: iv.time[i], offered: num(v || 0, 1), agents: iv.agents[i],
      sl: pct(iv.service_level[i]), erlang: erlangName(r), erlang_sl: pct(iv.erlang_c_service_level[i]) });
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
  let start = 0; // the service level's band, per day
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
      const lab = svg("text", { x: x(start), y: H - 6 }); lab.textContent = weekday(iv.weekday[start]) + " " + shortDate(iv.date[start]);
      s.append(lab);
      start = i;
    }
  }
  s.append(svg("line", { x1: L, x2: W - R, y1: y2(r.target_service_level), y2: y2(r.target_service_level),
    stroke: "#b3261e", "stroke-dasharray": "5,4" }));
  s.append(svg("path", { d: path(iv.erlang_c_service_level, y2), stroke: "#d9730d", "stroke-width": 1.5,
    "stroke-dasharray": "4,3", fill: "none" }));
  s.append(svg("path", { d: path(iv.service_level, y2), stroke: "#1f2328", "stroke-width": 2, fill: "none" }));
  const leftOut = Object.keys(r.erlang.left_out || {}).map((g) => "; " + t("chart.left_out", { group: groupName(g) })).join("");
  $("chart").replaceChildren(s, el("div", { class: "legend" },
    el("span", {}, el("i", { class: "offered" }), t("chart.offered")), el("span", {}, el("i", { class: "agents" }), t("chart.agents")),
    el("span", {}, el("i", { class: "sl" }), t("chart.sl")), el("span", {}, el("i", { class: "band" }), t("chart.band")),
    el("span", {}, el("i", { class: "target-line" }), t("chart.target", { target: pct(r.target_service_level, 0), s: r.threshold_s })),
    el("span", {}, el("i", { class: "erlang" }), t("chart.erlang", { erlang: erlangName(r), sl: pct(r.erlang.service_level) }) + leftOut)));
}

function drawHeatmap(r) {
  const iv = r.intervals, times = [...new Set(iv.time)].sort(), dates = [...new Set(iv.date)];
  const tb = el("table");
  const head = el("tr", {}, el("th", { text: "" }));
  for (const tm of times) head.append(el("th", { text: tm }));
  tb.append(head);
  const target = r.target_service_level;
  for (const d of dates) {
    const tr = el("tr", {});
    const i0 = iv.date.indexOf(d);
    tr.append(el("th", { text: weekday(iv.weekday[i0]) + " " + shortDate(d) }));
    for (const tm of times) {
      let i = -1;
      for (let k = i0; k < iv.date.length && iv.date[k] === d; k++) if (iv.time[k] === tm) { i = k; break; }
      const td = el("td", { text: i < 0 ? "" : pct(iv.service_level[i], 0) });
      if (i >= 0 && iv.service_level[i] !== null) {
        const v = iv.service_level[i], g = Math.max(0, Math.min(1, (v - (target - 0.3)) / 0.3));
        td.style.background = `hsl(${(g * 120).toFixed(0)}, 65%, ${v >= target ? 78 : 72}%)`;
        td.title = t("heat.tooltip", { date: date(d), time: tm, sl: pct(v), agents: iv.agents[i], offered: num(iv.offered[i], 1) });
      }
      tr.append(td);
    }
    tb.append(tr);
  }
  $("heatmap").replaceChildren(tb, el("p", { class: "note", text: t("heat.note", { target: pct(target, 0) }) }));
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
  S.lastHelp = res;
  showHelp(res);
  run();
}
// what a help button did, in words: its people and money before and after, where it put them, its verdict
function showHelp(res) {
  const b = res.cost.before, a = res.cost.after;
  const rows = PEOPLE_ROWS.filter(([key, , unit]) => !(unit === "eur" && !S.desc.costs) && b && a && b[key] !== undefined);
  const change = rows.map(([key, name, unit]) => {
    const d = a[key] !== null && b[key] !== null ? a[key] - b[key] : null;
    return `${t(name, { window: windowText() })}: ${peopleValue(b[key], unit)} → ${peopleValue(a[key], unit)}`
      + (d === null ? "" : ` (${signed(peopleValue(Math.abs(d), unit), d)})`);
  });
  const box = $("help-result");
  box.replaceChildren(el("div", { "data-help-what": res.kind, text: helpWhat(res) + ": " + change.join("; ") + "." }));
  if (res.where) box.append(el("div", { "data-help-where": "1", text: whereText(res) }));
  if (res.buys && res.buys.service_level_change !== undefined) {
    box.append(el("div", { text: t("help.buys", { change: fmtDiff(res.buys.service_level_change, "share"),
      low: fmtDiff(res.buys.service_level_change_ci_low, "share"), high: fmtDiff(res.buys.service_level_change_ci_high, "share") }) }));
  }
  if (res.chance) {
    box.append(el("div", { text: t("help.chance", { plan: pct(res.chance.plan, 0), filled: pct(res.chance.filled, 0) })
      + (res.chance.met ? "" : " " + t("help.chance_not_met")) }));
  }
  if (res.verdicts) box.append(el("div", { "data-help-verdict": "1", text: t("help.simulated", { verdict: verdictLine(res.verdicts) }) }));
  if (res.forecast_facts) box.append(el("div", { text: forecastText(res.forecast_facts) }));
  showHelpWarning(res.verdicts ? missWarning(res.verdicts) : null);
}
function showHelpWarning(text) { showWarning($("help-warning"), text); }
function helpWhat(res) {
  const k = res.k, n = num(Math.abs(k || 0), 0);
  if (res.kind === "people") return t(k > 0 ? "help.what_people" : "help.what_people_less", { n });
  if (res.kind === "agents") return t(k > 0 ? "help.what_agents" : "help.what_agents_less", { n });
  return t("help.what_" + res.kind, { q: res.q ? pct(res.q, 0) : "", factor: res.factor ? num(res.factor, 2) : "" });
}
// where the added people went: the group, and per day the clock times whose agents changed (runs joined)
function whereText(res) {
  const days = res.where.map((d) => {
    const runs = [];
    for (const s of d.slots) {
      const last = runs[runs.length - 1];
      if (last && last.change === s.change && slotAfter(last.to) === s.time) last.to = s.time;
      else runs.push({ from: s.time, to: s.time, change: s.change });
    }
    const wd = weekday(["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(isoDate(d.date).getUTCDay() + 6) % 7]);
    return `${wd} ${shortDate(d.date)}: ` + runs.map((x) => (x.from === x.to ? x.from : `${x.from}–${x.to}`)
      + " " + (x.change > 0 ? "+" : "−") + Math.abs(x.change)).join(", ");
  });
  if (!days.length) return t("help.where_none");
  const group = res.group ? t("help.where_group", { group: groupName(res.group) }) + " " : "";
  return group + t("help.where", { days: days.join("; ") });
}
function slotAfter(time) {
  const [h, m] = time.split(":").map(Number), step = S.desc.interval_min, total = h * 60 + m + step;
  return String(Math.floor(total / 60)).padStart(2, "0") + ":" + String(total % 60).padStart(2, "0");
}
async function help(name, body, what, extra) {
  clearTimeout(S.timer); // the edits waiting to be simulated are in this plan: the help's answer simulates them
  $("help-error").textContent = "";
  const data = await call(name, { plan: plan(), group: S.desc.grids[S.group].group, ...body }, what);
  if (data) applyRows({ ...data, ...extra }); else status("");
}
$("fill-erlang").addEventListener("click", () => help("fill", { method: "erlang" }, t("help.busy_erlang"), { kind: "erlang" }));
$("fill-sim").addEventListener("click", () => help("fill", { method: "simulation" }, t("help.busy_sim"), { kind: "simulation" }));
$("fill-confidence").addEventListener("click", () => help("fill", { method: "confidence", confidence: typedNumber($("confidence").value) },
  t("help.busy_confidence"), { kind: "confidence", q: parseFloat(typedNumber($("confidence").value)) }));
$("add-people").addEventListener("click", () => help("add_best", { k: $("k").value, unit: "people" }, t("help.busy_add"), { kind: "people" }));
$("add-best").addEventListener("click", () => help("add_best", { k: $("k").value, unit: "agents" }, t("help.busy_add"), { kind: "agents" }));
$("undo-help").addEventListener("click", () => {
  if (!S.undo) return;
  S.vectors = S.undo.vectors; S.fields = S.undo.fields; S.undo = null; S.lastHelp = null;
  $("undo-help").hidden = true; $("help-result").textContent = ""; showHelpWarning(null);
  renderFields(); renderForecast(); renderGrid(); run();
});

// ------------------------------------------------------------------ files
function fileError(msg) { $("file-errors").textContent = msg || ""; }
function problemsText(problems) { return (problems || []).map(problemText).join("; "); }
async function preview(name, duplicate) {
  fileError(""); $("file-result").textContent = "";
  const p = duplicate ? { scenario: S.desc.name } : plan();
  const r = await api("preview", { plan: p, name });
  if (r.status === 422) { fileError(problemsText(r.data.problems)); return; }
  if (r.status !== 200) { fileError(errorText(r.data)); return; }
  if (r.data.exists && !r.data.diff) { $("file-result").textContent = t("files.nothing", { name: r.data.name }); return; }
  pending = { name: r.data.name, duplicate, overwrite: r.data.exists };
  $("confirm-text").textContent = r.data.exists ? t("files.overwrite", { name: r.data.name }) : t("files.new", { name: r.data.name });
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
  if (r.status !== 200) { fileError(r.data.problems ? problemsText(r.data.problems) : errorText(r.data)); return; }
  $("file-result").textContent = r.data.written ? t("files.written", { name }) : t("files.nothing", { name });
  await loadScenarios(name);
});
$("compare").addEventListener("click", async () => {
  fileError("");
  const data = await call("compare", { plan: plan(), other: $("other").value }, t("status.comparing"));
  if (!data) { status(""); return; }
  status(data.per_open_day ? t("status.compared_per_day") : t("status.compared"));
  const tb = $("compare-table");
  tb.replaceChildren(el("tr", {}, el("th", { text: t("kpis.kpi") }), el("th", { text: t("people.this_plan") }),
    el("th", { text: $("other").value }), el("th", { text: t("diff.change") })));
  for (const row of data.rows) {
    const sig = row["1:significant"];
    tb.append(el("tr", {}, el("td", { text: label(row.kpi) }), el("td", { text: fmt(row["0:mean"], row.unit) }),
      el("td", { text: fmt(row["1:mean"], row.unit) }),
      el("td", { class: sig ? "sig" : "", text: fmtDiff(row["1:diff"], row.unit) + " "
        + t("diff.range", { low: fmtDiff(row["1:diff_ci_low"], row.unit), high: fmtDiff(row["1:diff_ci_high"], row.unit) }) + (sig ? " *" : "") })));
  }
});
$("export").addEventListener("click", async () => {
  fileError("");
  const data = await call("export", { plan: plan() }, t("status.exporting"));
  if (!data) { status(""); return; }
  status(t("status.exported"));
  const box = $("file-result");
  box.replaceChildren(t("files.exported", { folder: data.folder }) + " ");
  for (const f of data.files) {
    box.append(el("a", { href: `/${data.folder}/${f}?token=${encodeURIComponent(S.token)}`, target: "_blank", rel: "noopener", text: f }), " ");
  }
});

// ------------------------------------------------------------------ the week picker
// The coming weeks from today (the browser's date) with what is special in each (public holidays,
// shortened days, demand events such as payment days: the scenario's calendar rules, web/weeks.py),
// the saved window's weeks, and a date field: any date shows its week (its Monday).
function todayISO() {
  const n = new Date();
  return `${n.getFullYear()}-${String(n.getMonth() + 1).padStart(2, "0")}-${String(n.getDate()).padStart(2, "0")}`;
}
function addDays(iso, n) { const d = isoDate(iso); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); }
function wdOf(iso) { return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(isoDate(iso).getUTCDay() + 6) % 7]; }
function weekSpan(monday) { return `${shortDate(monday)} – ${date(addDays(monday, 6))}`; }
function eventName(e) { return e.rule === "date_factor" ? t("week.special_day") : shownName(e.name, e.display_name); }
// what is special on a day, in words: its holiday, a shortened day, its events
function dayParts(d) {
  const parts = [];
  if (d.holiday) parts.push(t("week.holiday", { name: d.holiday[I18N.lang] || d.holiday.en }));
  if (d.shortened) parts.push(t("week.shortened", { hours: num(d.hours_h, 0) }));
  for (const e of d.events) parts.push(eventName(e));
  return parts;
}
// a week's specials in short, for its entry in the list
function weekSummary(w) {
  const seen = new Set(), out = [];
  for (const d of w.special) {
    for (const p of dayParts(d)) { const s = `${p} ${shortDate(d.date)}`; if (!seen.has(p)) { seen.add(p); out.push(s); } }
  }
  return out.join(", ");
}
function weekProblem(w) { return w.problem ? errorText({ code: w.problem.code, params: { week: w.monday, ...w.problem.params } }) : ""; }
function renderWeeks() {
  const d = S.desc, wk = $("week"), W = d.weeks || { coming: [], shown: null };
  wk.replaceChildren();
  const coming = el("optgroup", { label: t("week.coming") });
  const known = new Set(W.coming.map((w) => w.monday));
  if (S.week && W.shown && !known.has(S.week) && !d.window.weeks.includes(S.week)) {
    coming.append(el("option", { value: S.week, text: weekSpan(S.week) + (weekSummary(W.shown) ? " · " + weekSummary(W.shown) : "") }));
  }
  for (const w of W.coming) {
    const why = w.problem ? " — " + t("week.cannot_show") : weekSummary(w) ? " · " + weekSummary(w) : "";
    coming.append(el("option", { value: w.monday, disabled: w.problem ? true : undefined, title: weekProblem(w) || undefined,
      "data-monday": w.monday, text: weekSpan(w.monday) + why }));
  }
  const saved = el("optgroup", { label: t("week.saved") },
    el("option", { value: "saved", text: t("head.as_saved", { start: date(d.window.start), days: d.window.days }) }));
  for (const w of d.window.weeks) if (!known.has(w)) saved.append(el("option", { value: w, text: t("head.week_of", { date: date(w) }) }));
  wk.append(coming, saved);
  wk.value = S.week || "saved";
  $("week-date").value = "";
  renderWeekFacts();
}
// the week shown: its dates, each special day in words, a roster that does not cover it
function renderWeekFacts() {
  const box = $("week-facts"), w = S.desc.weeks && S.desc.weeks.shown;
  box.replaceChildren();
  box.hidden = !w;
  if (!w) return;
  box.append(el("strong", { text: t("week.shown", { span: weekSpan(w.monday) }) }));
  for (const d of w.special) {
    box.append(el("span", { class: "week-day", "data-date": d.date,
      text: `${weekday(wdOf(d.date))} ${date(d.date)}: ${dayParts(d).join(", ")}` + (d.open && d.volume_factor !== 1
        ? " (" + t("week.volume", { factor: num(d.volume_factor, 2) }) + ")" : "") }));
  }
  if (!w.special.length) box.append(el("span", { class: "week-day", text: t("week.ordinary") }));
  if (w.note) {
    box.append(el("span", { class: "week-note", text: t("week.outside_roster", { ...w.note.params,
      first: date(w.note.params.first), last: date(w.note.params.last) }) }));
  }
}
async function pickWeek(value) {
  if (await openScenario(S.desc.name, value)) { showGeneral([]); return; }
  $("week").value = S.week || "saved"; $("week-date").value = "";  // a week it cannot show: the week stays
}

// ------------------------------------------------------------------ start
$("scenario").addEventListener("change", () => openScenario($("scenario").value));
$("week").addEventListener("change", () => pickWeek($("week").value));
$("week-date").addEventListener("change", () => { if ($("week-date").value) pickWeek($("week-date").value); });
$("accuracy").addEventListener("change", () => {
  const f = ACCURACY[$("accuracy").value];
  if (f) { $("replications").value = f(); renderAccuracy(); schedule(50); }
});
$("replications").addEventListener("input", () => { renderAccuracy(); schedule(400); });
$("seed").addEventListener("input", () => schedule(400));
for (const b of document.querySelectorAll("#lang-switch button")) {
  b.addEventListener("click", async () => { rememberLanguage(b.dataset.lang); await loadLanguage(b.dataset.lang); renderAll(); });
}

(async function start() {
  const q = new URLSearchParams(location.search);
  S.token = q.get("token") || sessionStorage.getItem("ska-token") || "";
  sessionStorage.setItem("ska-token", S.token);
  S.client = sessionStorage.getItem("ska-client") || Math.random().toString(36).slice(2, 12);
  sessionStorage.setItem("ska-client", S.client);
  if (/^\d{1,3}$/.test(q.get("replications") || "")) S.repsOverride = q.get("replications");
  await loadLanguage(chosenLanguage());
  await loadScenarios(q.get("scenario"));
})();
