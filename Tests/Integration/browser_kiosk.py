"""A browser kiosk for the tests and the benchmarks: a small web portal that knows nothing of
kioskguard, and a headless Chromium or Firefox with the kioskguard extension loaded and the
bridge's host manifest where that browser looks for it."""
import base64
import hashlib
import http.server
import json
import os
import secrets
import subprocess
import threading
import urllib.parse
from pathlib import Path

from conftest import site_table
from ports import free_port
from webdriver import Chromium
from webdriver_bidi import Firefox

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "browser"
# Chromium's id of an extension with a "key": the first 128 bits of the key's SHA-256, as a-p.
EXTENSION_ID = "".join(chr(ord("a") + int(digit, 16)) for digit in
                       hashlib.sha256(base64.b64decode(json.loads((EXTENSION / "manifest.json").read_text())["key"])).hexdigest()[:32])
# Firefox's id of the extension: the one its manifest gives.
FIREFOX_EXTENSION_ID = json.loads((EXTENSION / "manifest.json").read_text())["browser_specific_settings"]["gecko"]["id"]
# The browsers a browser kiosk is tested in: one extension source for both.
BROWSERS = ("chromium", "firefox")
# Waits until the page's overlay is `kind` (warn, lock, denied), or gone for None.
WAIT_FOR_OVERLAY = """
const [kind, done] = arguments;
const html = document.documentElement;
const check = () => (kind === null ? !html.hasAttribute('data-kioskguard') : html.getAttribute('data-kioskguard') === kind);
if (check()) return done(true);
new MutationObserver((_, observer) => { if (check()) { observer.disconnect(); done(true); } })
    .observe(html, {attributes: true, attributeFilter: ['data-kioskguard']});
"""


class Portal:
    """A web portal that knows nothing of kioskguard: a cookie session, an account form, logout."""

    def __init__(self):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.sessions = set()
        self.registered = []
        self.pages = []  # (path, signed in) of every GET, in order
        self.served = threading.Condition()
        portal = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *arguments):
                pass

            def signed_in(self):
                cookies = dict(part.strip().split("=", 1) for part in (self.headers.get("Cookie") or "").split(";") if "=" in part)
                return cookies.get("portal") in portal.sessions

            def page(self, body, status=200, headers=()):
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(f"<!doctype html><html><body>{body}</body></html>".encode())

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                with portal.served:
                    portal.pages.append((path, self.signed_in()))
                    portal.served.notify_all()
                if path == "/login":
                    token = secrets.token_hex(8)
                    portal.sessions.add(token)
                    return self.page("", 302, [("Set-Cookie", f"portal={token}; Path=/"), ("Location", "/home")])
                if path == "/logout":
                    return self.page("<p>You are logged out.</p>", 200, [("Set-Cookie", "portal=; Path=/; Max-Age=0")])
                if not self.signed_in():
                    return self.page('<p>You are logged out.</p><a id="login" href="/login">Sign in</a>')
                if path == "/account":
                    return self.page('<form id="account" method="post" action="/account">'
                                     '<input name="holder" id="holder"><input name="account" id="number">'
                                     '<button id="register" type="submit">Register</button></form>'
                                     # The portal's own script: what input reaches the page.
                                     "<script>for (const type of ['keydown', 'click']) window.addEventListener(type,"
                                     " (event) => { document.title = type + ':' + (event.key || ''); });</script>")
                return self.page('<p>Welcome, you are signed in.</p><a href="/account">Register a bank account</a>')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                with portal.served:
                    portal.registered.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
                    portal.served.notify_all()
                self.page("<p>Registered.</p>")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def site(self, terminal):
        return site_table([self.origin], terminal)

    def wait_for_page(self, path, after, timeout=15.0):
        """The first GET of `path` among the pages served after the first `after`: (path, signed in)."""
        def found():
            return next((page for page in self.pages[after:] if page[0] == path), None)
        with self.served:
            assert self.served.wait_for(found, timeout), f"the portal never served {path}; it served {self.pages[after:]}"
            return found()

    def wait_for_registrations(self, count, timeout=15.0):
        """The forms the portal received, once it has received `count`."""
        with self.served:
            assert self.served.wait_for(lambda: len(self.registered) >= count, timeout), \
                f"the portal received {len(self.registered)} of {count} forms"
            return list(self.registered)

    def close(self):
        self.server.shutdown()


def host_manifest(workdir: Path, daemon_binary: Path, browser: str, extension_id: str) -> str:
    """The bridge's host manifest for `browser`, naming `daemon_binary` under the name
    kioskguard-bridge in `workdir`, as `kioskguard-bridge --print-manifest` prints it."""
    bridge = workdir / "kioskguard-bridge"
    if not bridge.exists():
        bridge.symlink_to(Path(daemon_binary).resolve())
    return subprocess.run([str(bridge), "--print-manifest", browser, "--extension-id", extension_id],
                          capture_output=True, text=True, check=True).stdout


def launch(browser: str, workdir: Path, daemon_binary: Path, events_socket: Path):
    """`browser` (one of BROWSERS) with the extension, as launch_chromium or launch_firefox."""
    return {"chromium": launch_chromium, "firefox": launch_firefox}[browser](workdir, daemon_binary, events_socket)


def launch_firefox(workdir: Path, daemon_binary: Path, events_socket: Path) -> Firefox:
    """Firefox with the extension installed as a temporary add-on, its profile in `workdir` and
    the bridge's host manifest in `$HOME/.mozilla/native-messaging-hosts`, where Firefox looks for
    a user's hosts; the bridge connects to `events_socket`."""
    home = workdir / "firefox-home"
    hosts = home / ".mozilla" / "native-messaging-hosts"
    hosts.mkdir(parents=True)
    (hosts / "kioskguard.bridge.json").write_text(host_manifest(workdir, daemon_binary, "firefox", FIREFOX_EXTENSION_ID))
    profile = workdir / "firefox-profile"
    profile.mkdir()
    browser = Firefox(profile, dict(os.environ, HOME=str(home), KIOSKGUARD_EVENTS_SOCKET=str(events_socket)),
                      workdir / "firefox.log")
    try:
        assert browser.install_extension(EXTENSION) == FIREFOX_EXTENSION_ID
    except BaseException:
        browser.quit()
        raise
    return browser


def launch_chromium(workdir: Path, daemon_binary: Path, events_socket: Path) -> Chromium:
    """Chromium with the extension, its profile in `workdir`, whose bridge (`daemon_binary` under
    the name kioskguard-bridge) connects to `events_socket`."""
    profile = workdir / "chromium-profile"
    (profile / "NativeMessagingHosts").mkdir(parents=True)
    manifest = host_manifest(workdir, daemon_binary, "chromium", EXTENSION_ID)
    (profile / "NativeMessagingHosts" / "kioskguard.bridge.json").write_text(manifest)
    return Chromium(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
                     f"--load-extension={EXTENSION}", "--window-size=1024,768"],
                    dict(os.environ, KIOSKGUARD_EVENTS_SOCKET=str(events_socket)), workdir / "chromedriver.log")
