"""The planning page's ASGI app (Starlette): its own static files and a JSON API.

Security on loopback still matters (ISSUE-NOTES): every request's Host header must name this
server (DNS rebinding), an Origin header must be this server's (cross-site requests), every
/api request carries the per-start token (header ``X-Ska-Token``; the page gets it from the
address ``ska-sim serve`` prints), files are named, never given as paths. Errors are JSON
with a 4xx status; anything unexpected is a 500 with one line (the traceback goes to the
server's log, never to the browser) and the server keeps serving. An edit is answered in stages
on one response (``POST /api/stages``, a JSON document per line: :func:`stages_route`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ska_sim.base.errors import ScenarioError
from ska_sim.web.api import Service
from ska_sim.web.plans import STEM_RE, BadRequest, parse_body, problems_json

STATIC = Path(__file__).parent / "static"
MAX_BODY = 1_000_000  # bytes of one request
log = logging.getLogger("ska_sim.web")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _error(message: str, status: int, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


class Guard:
    """ASGI middleware: Host, Origin and token checks, body size, security headers."""

    def __init__(self, app, hosts: set[str], token: str):
        self.app, self.hosts, self.token = app, {h.lower() for h in hosts}, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1").strip() for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        path = scope.get("path", "")
        response = None
        if host not in self.hosts:
            response = _error(f"Host {host!r} is not this server (use the address ska-sim serve printed)", 421)
        elif "origin" in headers and headers["origin"].lower() not in {f"http://{h}" for h in self.hosts}:
            response = _error("cross-site request refused (Origin is not this server)", 403)
        elif path.startswith(("/api/", "/exports/")) and not secrets.compare_digest(
                headers.get("x-ska-token", "") or _query_token(scope), self.token):
            response = _error("missing or wrong token: open the address ska-sim serve printed", 403)
        elif not headers.get("content-length", "0").isdigit():
            response = _error("malformed Content-Length", 400)
        elif int(headers.get("content-length", "0") or 0) > MAX_BODY:
            response = _error(f"request larger than {MAX_BODY:,} bytes", 413)
        if response is not None:
            return await _with_headers(response)(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                csp = REPORT_CSP if path.startswith("/exports/") else CSP  # the report: inline styles, data: images
                extra = [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
                         (b"cache-control", b"no-store")]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def _query_token(scope) -> str:
    from urllib.parse import parse_qs

    q = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (q.get("token") or [""])[0]


def _with_headers(response: Response) -> Response:
    response.headers["content-security-policy"] = CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["cache-control"] = "no-store"
    return response


async def _body(request: Request) -> dict:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise BadRequest(f"request larger than {MAX_BODY:,} bytes", 413)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("send JSON (Content-Type: application/json)", 415)
    return await run_in_threadpool(parse_body, raw)  # a large body parses off the event loop


def api_route(handler, method: str, waiting) -> Route:
    """``/api/<handler name>``: the request's JSON body (POST) or query (GET) to ``handler``, its
    answer as JSON; bad input as a 4xx JSON error, anything else as a 500 the server survives.
    POST handlers wait for replications in threads of their own (``waiting``): however many
    pages wait, the page's files, the progress polls and the other requests still get answered."""
    async def endpoint(request: Request):
        try:
            data = await _body(request) if method == "POST" else dict(request.query_params)
            if method == "POST":
                out = await anyio.to_thread.run_sync(handler, data, limiter=waiting)
            else:
                out = await run_in_threadpool(handler, data)
            return JSONResponse(out)
        except BadRequest as exc:
            return _error(exc.message, exc.status, **exc.extra)
        except ScenarioError as exc:
            return _error("invalid plan", 422, problems=problems_json(exc.problems))
        except Exception as exc:  # noqa: BLE001 - the server survives; the traceback goes to the log only
            log.exception("request %s failed", request.url.path)
            return _error(f"internal error ({type(exc).__name__}); the server keeps running", 500)

    return Route(f"/api/{handler.__name__}", endpoint, methods=[method])


def _line(doc: dict) -> bytes:
    """One document of a stream, as JSONResponse writes it, on a line of its own."""
    return (json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode()


def stages_route(service: Service, waiting) -> Route:
    """``POST /api/stages``: an edit's answer in stages (Service.run_stages), one JSON document
    per line as each stage is ready (``application/x-ndjson``): the estimate of its first
    replications at once, then the figures over more of them, the last one ``"stage":
    "complete"``. Bad input is answered as ``/api/run`` answers it, before the stream starts."""
    async def endpoint(request: Request):
        stop = threading.Event()  # the page went away (or the stream ended): the stages stop
        try:
            data = await _body(request)
            plan = data.get("plan") if isinstance(data, dict) else None
            stages = await anyio.to_thread.run_sync(lambda: service.run_stages(plan, stop=stop), limiter=waiting)
            first = await anyio.to_thread.run_sync(next, stages, None, limiter=waiting)
        except BadRequest as exc:
            return _error(exc.message, exc.status, **exc.extra)
        except ScenarioError as exc:  # an invalid field answers a well-formed edit (as /api/run)
            return JSONResponse({"invalid": True, "problems": problems_json(exc.problems)})
        except Exception as exc:  # noqa: BLE001 - the server survives; the traceback goes to the log only
            log.exception("request %s failed", request.url.path)
            return _error(f"internal error ({type(exc).__name__}); the server keeps running", 500)

        async def lines():
            doc = first
            try:
                while doc is not None:
                    yield _line(doc)
                    if doc.get("superseded") or doc.get("stage") == "complete":
                        return
                    # a page gone (the stream cancelled) does not wait for this stage: the thread is
                    # let go, and the finally below cancels its run (its queued replications dropped)
                    doc = await anyio.to_thread.run_sync(next, stages, None, limiter=waiting, abandon_on_cancel=True)
            except Exception as exc:  # noqa: BLE001 - the stream ends with one line; the traceback goes to the log
                log.exception("request %s failed", request.url.path)
                yield _line({"error": f"internal error ({type(exc).__name__}); the server keeps running"})
            finally:
                stop.set()
                service.wake()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    return Route("/api/stages", endpoint, methods=["POST"])


def page_handlers(service: Service) -> tuple[list, list]:
    """The page's requests, (GET handlers, POST handlers), each answered by ``service``."""

    def scenarios(_):
        return service.scenarios()

    def scenario(q):
        return service.describe(q.get("name"), q.get("week") or None, q.get("today") or None)

    def progress(q):
        return service.progress(str(q.get("client", ""))[:64])

    def run(b):
        # an invalid field is the answer to a well-formed edit, not a malformed request: 200 with the
        # problems the CLI would print (the browser logs every 4xx as a console error)
        try:
            return service.run(b.get("plan"))
        except ScenarioError as exc:
            return {"invalid": True, "problems": problems_json(exc.problems)}

    def fill(b):
        return service.fill(b.get("plan"), b.get("method"), b.get("group"), b.get("confidence"))

    def add_best(b):
        return service.add_best(b.get("plan"), b.get("k"), b.get("group"), b.get("unit"))

    def preview(b):
        doc = service.toml_of(b.get("plan"), b.get("name"))
        return {k: doc[k] for k in ("name", "exists", "diff")}

    def save(b):
        return service.save(b.get("plan"), b.get("name"), b.get("overwrite") is True, b.get("duplicate") is True)

    def compare(b):
        return service.compare(b.get("plan"), b.get("other"))

    def export(b):
        return service.export(b.get("plan"))

    return [scenarios, scenario, progress], [run, fill, add_best, preview, save, compare, export]


def exported_files(service: Service):
    """``/exports/{stem}/{file}``: a file an export wrote (report.html, CSV, JSON), nothing else."""

    async def exported(request: Request):
        stem, file = request.path_params["stem"], request.path_params["file"]
        ok = STEM_RE.fullmatch(stem) and ".." not in stem and (file == "report.html" or (
            STEM_RE.fullmatch(file) and file.endswith((".csv", ".json")) and ".." not in file))
        p = service.ws.root / "exports" / stem / file
        if not ok or not p.is_file() or p.resolve().parent.parent.parent != service.ws.root:
            return _error("no such exported file", 404)
        return FileResponse(p)

    return exported


def create_app(workdir: str | Path, default: str | None = None, workers: int = 2, token: str | None = None,
               hosts: set[str] | None = None, start_pool: bool = True) -> Starlette:
    """The app for ``workdir``. ``hosts``: the Host headers accepted (``127.0.0.1:PORT`` ...);
    ``token``: the per-start token (random when not given); ``workers=0`` runs replications in
    the server process (tests)."""
    service = Service(workdir, workers=workers, default=default)
    token = token or secrets.token_urlsafe(24)
    waiting = anyio.CapacityLimiter(64)
    gets, posts = page_handlers(service)

    async def index(request: Request):
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def not_found(request: Request, exc):
        return _error(f"not found: {request.url.path}", getattr(exc, "status_code", 404))

    routes = [
        Route("/", index),
        *(api_route(h, "GET", waiting) for h in gets),
        *(api_route(h, "POST", waiting) for h in posts),
        stages_route(service, waiting),
        Route("/exports/{stem}/{file}", exported_files(service)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        if start_pool:  # the workers start with the server, not with the first edit
            await run_in_threadpool(service.pool.start)
            threading.Thread(target=service.warm, daemon=True, name="ska-sim-warm").start()  # roster files read
        try:
            yield
        finally:
            await run_in_threadpool(service.pool.shutdown)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found})
    app.state.service, app.state.token = service, token
    hosts = hosts or {"127.0.0.1", "localhost"}
    guarded = Guard(app, hosts, token)
    guarded.state = app.state  # type: ignore[attr-defined]
    return guarded
