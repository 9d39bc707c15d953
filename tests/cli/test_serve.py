"""`ska-sim serve`: which hosts are loopback, the warning for others, and the scenarios
checked before the server starts."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ska_sim.cli import main

BASE = "scenarios/baseline.toml"


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                            ("localhost", True), ("0.0.0.0", False), ("::", False),
                                            ("192.168.1.10", False), ("no-such-host.invalid", False)])
def test_serve_knows_loopback_addresses(host, loopback):
    from ska_sim.cli.serve import _is_loopback

    assert _is_loopback(host) is loopback


def test_serve_on_127_0_0_2_does_not_warn(tmp_path, monkeypatch):
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: started.append({"host": self.config.host}))
    (tmp_path / "base.toml").write_text(open(BASE, encoding="utf-8").read(), encoding="utf-8")
    for host, warned in (("127.0.0.2", False), ("0.0.0.0", True)):
        r = CliRunner().invoke(main, ["serve", str(tmp_path / "base.toml"), "--host", host, "--port", "0",
                                      "--workers", "1"])
        assert r.exit_code == 0, r.output
        assert ("other machines can reach the page" in r.output) is warned
    assert [kw["host"] for kw in started] == ["127.0.0.2", "0.0.0.0"]


@pytest.mark.parametrize("name, text, words", [
    ("empty.toml", "", "empty.toml: calendar: missing (required)"),
    ("base.txt", None, "base.txt: not a .toml scenario file"),
])
def test_serve_checks_its_scenarios_before_it_starts(name, text, words, tmp_path, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: pytest.fail("started"))
    f = tmp_path / name
    f.write_text(open(BASE, encoding="utf-8").read() if text is None else text, encoding="utf-8")
    r = CliRunner().invoke(main, ["serve", str(f), "--port", "0", "--workers", "1"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert words in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
