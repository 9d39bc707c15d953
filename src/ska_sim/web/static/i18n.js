// The page's languages: Estonian (et) and English (en), a catalogue each in /static/i18n/<lang>.json.
// The browser's language decides (Estonian for et, English otherwise) until the switch is used;
// the switch is remembered (localStorage). Numbers and dates in the language's format.
"use strict";

const LANGS = ["et", "en"];
const LOCALE = { et: "et-EE", en: "en-GB" };
const LANG_KEY = "ska-sim-lang";
const I18N = { lang: "en", cat: {} };

function chosenLanguage() {
  let saved = null;
  try { saved = localStorage.getItem(LANG_KEY); } catch (e) { saved = null; }
  if (LANGS.includes(saved)) return saved;
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  return String(wanted[0] || "en").toLowerCase().startsWith("et") ? "et" : "en";
}

async function loadLanguage(lang) {
  const r = await fetch("/static/i18n/" + lang + ".json");
  I18N.cat = await r.json();
  I18N.lang = lang;
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const b of document.querySelectorAll("#lang-switch button")) b.classList.toggle("active", b.dataset.lang === lang);
  document.title = "ska-sim — " + t("page.title");
}

function rememberLanguage(lang) {
  try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* a browser without storage: the switch lasts this page */ }
}

// t("key", {name: value}): the catalogue's text with {name} filled in; the key itself when missing
// (the catalogue test keeps every key the page uses in both catalogues)
function t(key, params) {
  const s = I18N.cat[key];
  if (s === undefined) return key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (params && params[k] !== undefined && params[k] !== null ? String(params[k]) : m));
}

function locale() { return LOCALE[I18N.lang] || "en-GB"; }
function num(x, digits) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const d = digits === undefined ? 0 : digits;
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: "always" }).format(x);
}
function pct(x, digits) { return x === null || x === undefined ? "–" : num(100 * x, digits === undefined ? 1 : digits) + "%"; }
function eur(x) {
  if (x === null || x === undefined) return "–";
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR", maximumFractionDigits: 0, useGrouping: "always" }).format(x);
}
function signed(text, x) { return (x > 0 ? "+" : x < 0 ? "−" : "±") + text; }
function isoDate(iso) { const [y, m, d] = iso.split("-").map(Number); return new Date(Date.UTC(y, m - 1, d)); }
function date(iso) {
  if (!iso) return "–";
  const opts = I18N.lang === "et" ? { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" }
    : { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
  return new Intl.DateTimeFormat(locale(), opts).format(isoDate(iso));
}
function shortDate(iso) {
  const opts = I18N.lang === "et" ? { day: "2-digit", month: "2-digit", timeZone: "UTC" }
    : { day: "numeric", month: "short", timeZone: "UTC" };
  return new Intl.DateTimeFormat(locale(), opts).format(isoDate(iso));
}
function weekday(wd) { return t("wd." + wd); }
function weekdayFull(wd) { return t("wdf." + wd); }
// a number typed in the page's language ("1,5" in Estonian) as the scenario file writes it ("1.5")
function typedNumber(text) { return String(text).trim().replace(/^([+-]?\d*),(\d+)$/, "$1.$2"); }
// a number of the file ("1.5") as typed in the page's language ("1,5")
function shownNumber(text) { return I18N.lang === "et" ? String(text).replace(/^([+-]?\d*)\.(\d+)$/, "$1,$2") : String(text); }
