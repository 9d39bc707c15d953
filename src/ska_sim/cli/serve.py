"""`ska-sim serve`: the planning page."""

from __future__ import annotations

import click

from ska_sim.cli.common import fail


@click.command()
@click.argument("scenarios", nargs=-1, type=click.Path(dir_okay=False), metavar="[SCENARIO]...")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address (127.0.0.0/8, ::1, a name such as localhost "
                   "resolving to one) lets other machines reach the page.")
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True, help="Port (0: any free port).")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="The work folder: the page lists, loads and saves scenarios here, and writes nowhere else "
                   "[default: the first SCENARIO's folder, else the current folder].")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes for replications, started once [default: the machine's cores].")
def serve(scenarios, host, port, workdir, workers) -> None:
    """Start the planning page: edit the week's staffing in the browser and see the KPIs.

    Opens SCENARIO first (a file of the work folder). Prints the address to open, with the
    per-start token every request of the page carries. Ctrl-C (exit status 130) or SIGTERM
    (143) stops it.
    """
    import os
    import secrets
    import socket
    from pathlib import Path

    from ska_sim.sim.executors import default_workers

    root = Path(workdir) if workdir else (Path(scenarios[0]).parent if scenarios else Path("."))
    if not root.is_dir():
        fail([f"--workdir {root}: no such folder"])
    from ska_sim.base.errors import ScenarioError
    from ska_sim.scenario.load import load_scenario

    names, problems = [], []
    for sc in scenarios:
        p = Path(sc)
        if p.suffix.lower() != ".toml":
            fail([f"{sc}: not a .toml scenario file (the page lists and opens only .toml files)"])
        if not p.is_file():
            fail([f"{sc}: file not found"])
        if p.resolve().parent != root.resolve():
            fail([f"{sc}: not in the work folder {root} (the page only opens files of its work folder; "
                   "give --workdir)"])
        try:  # validated at start, as `validate` reports it (not only once the page opens it)
            load_scenario(p)
        except ScenarioError as exc:
            problems += [str(q) for q in exc.problems]
        names.append(p.name)
    if problems:
        fail(problems)
    try:  # the port is free (else one line, not uvicorn's traceback)
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            port = probe.getsockname()[1]
    except OSError as exc:
        fail([f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})"])
    from ska_sim.base.memory import server_memory

    server_memory()  # before the server's threads start: its memory levels off under use
    import uvicorn

    from ska_sim.web.app import create_app

    token = secrets.token_urlsafe(24)
    shown = f"[{host}]" if ":" in host else host
    hosts = {f"{shown}:{port}", f"127.0.0.1:{port}", f"localhost:{port}"}
    if host in ("0.0.0.0", "::"):  # every interface: this machine's names too
        hosts |= {f"{socket.gethostname()}:{port}"}
    n = workers or default_workers()
    app = create_app(root, default=names[0] if names else None, workers=n, token=token, hosts=hosts)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    query = f"?token={token}" + (f"&scenario={names[0]}" if names else "")
    click.echo(f"ska-sim planning page: http://{shown_host}:{port}/{query}")
    click.echo(f"work folder {os.path.abspath(root)}; {n} worker process{'es' if n > 1 else ''}; Ctrl-C stops it")
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}: other machines can reach the page (they still need the token)",
                   err=True)
    from ska_sim.base.interrupts import handlers, raise_exception_for

    # uvicorn.Server, not uvicorn.run (which swallows Ctrl-C): the server stops gracefully on
    # SIGINT / SIGTERM (its workers shut down), then sends itself the signal again, which raises
    # here and the command line turns into exit status 130 / 143, as for every command
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    with handlers(raise_exception_for):
        server.run()


def _is_loopback(host: str) -> bool:
    """Only this machine can reach ``host``: a loopback address (127.0.0.0/8, ::1), or a name
    whose every address is one (localhost). A name that does not resolve counts as not loopback."""
    import ipaddress
    import socket

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addrs = {info[4][0].split("%")[0] for info in infos}
    return bool(addrs) and all(ipaddress.ip_address(a).is_loopback for a in addrs)
