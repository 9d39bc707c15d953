"""The planning page: a local web page on top of the library.

``app.py`` is the Starlette ASGI app (routes, the Host/Origin/token checks, JSON errors);
``api.py`` does the work by calling the library (never the CLI); ``static/`` holds the
page's own HTML, CSS and JavaScript (no CDN: nothing leaves the machine).
"""
