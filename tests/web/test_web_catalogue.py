"""The page's message catalogues (static/i18n/et.json, en.json): every text the page uses has a
translation in both languages, found by scanning the page's scripts and HTML for the keys they
use, and the keys the server's answers carry (problem codes, error codes, progress phases)."""

from __future__ import annotations

import json
import re

import pytest

from ska_sim.sim.targets import KPI_BETTER
from ska_sim.web import messages
from ska_sim.web.plans import KPIS_SHOWN
from conftest import ROOT

WEB = ROOT / "src" / "ska_sim" / "web"
STATIC = WEB / "static"
LANGS = ("et", "en")
CATALOGUES = {lang: json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGS}
SCRIPTS = "\n".join((STATIC / f).read_text(encoding="utf-8") for f in ("app.js", "i18n.js"))
HTML = (STATIC / "index.html").read_text(encoding="utf-8")
NAMESPACES = {k.split(".")[0] for k in CATALOGUES["en"]}

# keys the scripts build from a prefix and a value: the prefix as written in the scripts, and every value
PAGE_STATUSES = ("PASS", "FAIL", "UNCERTAIN")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIELDS = ("volume_scale", "staffing_scale", "patience")  # FIELD_NAMES in app.js
HELP_KINDS = ("erlang", "simulation", "confidence")  # the fill buttons' kinds (people, agents: their own keys)
PAGE_ERRORS = ("general", "not_json", "no_answer")  # errors the page itself meets
STAGES = ("estimate", "simulated", "narrowing")  # web/stages.py stage_name, but "complete" (drawn as a run)


def server_error_codes() -> set[str]:
    """Every ``code="..."`` a 4xx answer of the web package carries."""
    return {c for p in WEB.glob("*.py") for c in re.findall(r'code="(\w+)"', p.read_text(encoding="utf-8"))}


def server_phases() -> set[str]:
    """Every progress phase the service reports (shown as ``phase.<words joined by _>``)."""
    return {p.replace(" ", "_") for f in WEB.glob("*.py")
            for p in re.findall(r'_set_progress\(client, "([^"]+)"', f.read_text(encoding="utf-8"))}


DYNAMIC = {
    't("kpi." +': set(KPIS_SHOWN) | set(KPI_BETTER),
    't("kpiw." +': set(KPI_BETTER),
    't("status." +': set(PAGE_STATUSES),
    't("wd." +': set(WEEKDAYS),
    't("wdf." +': set(WEEKDAYS),
    't("field." +': set(FIELDS) | {f"{f}.hint" for f in FIELDS},
    't("help.what_" +': set(HELP_KINDS),
    't("accuracy." +': {"quick", "normal", "precise"},
    't("problem." +': set(messages.CODES),
    't("error." +': server_error_codes() | set(PAGE_ERRORS),
    't("phase." +': server_phases(),
    't("stage." +': set(STAGES),
    't("stage.badge_" +': set(STAGES),
    't("stage.status_" +': set(STAGES),
}


def used_keys() -> set[str]:
    """The keys the page uses: string literals of a catalogue namespace in its scripts, the HTML's
    data-i18n attributes, and the keys built from a prefix (``DYNAMIC``)."""
    literal = {k for k in re.findall(r'"([a-z]+(?:\.[a-z0-9_]+)+)"(?! \+)', SCRIPTS) if k.split(".")[0] in NAMESPACES}
    html = set(re.findall(r'data-i18n(?:-placeholder)?="([^"]+)"', HTML))
    built = set()
    for call, values in DYNAMIC.items():
        assert call in SCRIPTS, f"the scripts no longer build keys with {call}: update DYNAMIC"
        prefix = call[len('t("'):-len('" +')]
        built |= {prefix + v for v in values}
    return literal | html | built


def test_every_key_the_page_uses_has_a_translation_in_both_languages():
    keys = used_keys()
    assert len(keys) > 150
    for lang, cat in CATALOGUES.items():
        missing = sorted(k for k in keys if not str(cat.get(k, "")).strip())
        assert not missing, f"{lang}.json lacks {missing}"


def test_every_key_the_scripts_build_dynamically_is_caught():
    # a key built from a prefix the scan does not know would slip through: every `t("x." +` is in DYNAMIC
    built = set(re.findall(r't\("[a-z]+\.[a-z_]*" \+', SCRIPTS))
    assert built <= set(DYNAMIC), sorted(built - set(DYNAMIC))


def test_both_catalogues_have_the_same_keys_and_placeholders():
    et, en = CATALOGUES["et"], CATALOGUES["en"]
    assert set(et) == set(en), sorted(set(et) ^ set(en))
    for k in en:
        assert set(re.findall(r"\{(\w+)\}", et[k])) == set(re.findall(r"\{(\w+)\}", en[k])), k


def test_no_catalogue_text_is_command_line_syntax():
    for lang, cat in CATALOGUES.items():
        for k, text in cat.items():
            assert "--set" not in text and "--" not in text.replace("—", ""), (lang, k)


def test_skas_own_words_in_estonian():
    et = CATALOGUES["et"]
    assert et["kpi.service_level"] == "Teenindustase" and et["kpi.answer_rate"] == "Vastamisprotsent"
    assert et["kpiw.service_level"] == "teenindustase" and et["kpiw.answer_rate"] == "vastamisprotsent"


@pytest.mark.parametrize("message, code, params", [
    ("must be greater than 0 (got -1)", "gt", {"limit": "0", "got": "-1"}),
    ("must be greater than or equal to 0 (got -2)", "ge", {"limit": "0", "got": "-2"}),
    ("must be less than or equal to 1 (got 1.5)", "le", {"limit": "1", "got": "1.5"}),
    ("must be a valid number, unable to parse string as a number (got 'abc')", "not_a_number", {"got": "abc"}),
    ("must be a finite number (got inf)", "not_finite", {"got": "inf"}),
    ("must be a valid integer, got a number with a fractional part", "not_whole", {}),
    ("mon: agents must be >= 0 (got -2)", "negative_agents", {"got": "-2"}),
    ("has 2 agents but mon opens 09:00-17:00, 16 intervals of 30 min", "wrong_length", {"given": "2", "needed": "16"}),
    ("something no form knows", "invalid", {}),
])
def test_problem_messages_become_a_code_the_page_translates(message, code, params):
    assert messages.problem_code(message) == {"code": code, "params": params}
    assert code in messages.CODES
