"""newsbot's web dashboard (FastAPI, Jinja2 templates, a vendored htmx), small modules:

- `app`: `create_dashboard(app)`, the ASGI app over the composition root's `App`.
- `server`: `DashboardServer`, uvicorn inside newsbot's event loop (`newsbot web`, `run --web`).
- `pages`: the pages and forms; forms call the core's `ChatCommands`, pages read `Overview`.
- `login`, `auth`: Discord OAuth2 and Sign in with Slack (Authlib, PKCE), what a person manages.
- `context`: the checks every request depends on (session, channel permission, CSRF token).
- `sessions`: signed, expiring sessions whose contents stay on the server.
- `security`: Content-Security-Policy and other headers; which links may be rendered as links.

Like every adapter it only translates; it has no rules and no SQL of its own. Needs the `web`
extra (`pip install 'newsbot[web]'`).
"""
