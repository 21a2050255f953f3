"""A real HTTP(S) receiver standing in for the incident hotline: it verifies Standard Webhooks
signatures, records every request, and answers as a test scripts it (errors, Retry-After,
redirects, delays), and can go down and come back on the same port."""
import base64
import hashlib
import hmac
import http.server
import json
import queue
import ssl
import subprocess
import threading
import time

RAW_SUBJECT = "310129-954F"
SECRET = "whsec_" + base64.b64encode(b"kioskguard-test-hotline-secret!!").decode()


class Request:
    def __init__(self, path, headers, body):
        self.time = time.monotonic()
        self.path = path
        self.headers = headers
        self.body = body
        self.json = json.loads(body) if path == "/alerts" else None

    @property
    def signature_valid(self):
        key = base64.b64decode(SECRET[len("whsec_"):])
        signed = f"{self.headers['webhook-id']}.{self.headers['webhook-timestamp']}.".encode() + self.body
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        return expected in self.headers.get("webhook-signature", "").split(" ")


class Hotline:
    def __init__(self, directory, tls=False):
        self.requests = []
        self.received = queue.Queue()
        self.script = []          # (status, headers) answers, used up in order; then 200
        self.delay = 0.0
        self.trickle = 0.0        # seconds between the bytes of a 200 answer's 64-byte body
        self.lock = threading.Lock()
        self.tls = tls
        self.directory = directory
        self.server = None
        if tls:
            self.cert, self.key = directory / "hotline.crt", directory / "hotline.key"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(self.key), "-out", str(self.cert)],
                           check=True, capture_output=True)
        probe = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        self.port = probe.server_address[1]
        probe.server_close()

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://{'localhost' if self.tls else '127.0.0.1'}:{self.port}/alerts"

    def start(self):
        hotline = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with hotline.lock:
                    hotline.requests.append(request)
                    status, headers = hotline.script.pop(0) if hotline.script else (200, {})
                if hotline.delay:
                    time.sleep(hotline.delay)
                if hotline.trickle:
                    hotline.received.put(request)
                    self.send_response(200)
                    self.send_header("Content-Length", "64")
                    self.end_headers()
                    try:
                        for _ in range(64):
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(hotline.trickle)  # the misbehaviour under test
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                hotline.received.put(request)

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cert, self.key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def delivered_ids(self):
        with self.lock:
            return [r.json["id"] for r in self.requests if r.path == "/alerts" and r.json]

    def wait_for(self, predicate, timeout=30.0):
        """Waits for requests until `predicate(all requests)` holds."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if predicate(list(self.requests)):
                    return list(self.requests)
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the hotline never saw what was expected; got {len(self.requests)} requests"
            try:
                self.received.get(timeout=remaining)
            except queue.Empty:
                pass


def alerting_daemon(daemons, workdir, hotline, name, policy=None, alerts=None, more_terminals=(), timeout="2s", daemon=(),
                    terminal=None):
    """A daemon whose alerts go to `hotline`, signed, retried fast; terminal `name` (and any of
    `more_terminals`) admits root and has the settings of `terminal`."""
    secret = workdir / "hotline.secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    settings = {"retry_base": "100ms", "retry_cap": "500ms", **(alerts or {})}
    extra = "[alerts]\n" + "".join(f'{k} = "{v}"\n' for k, v in settings.items())
    extra += f'[[hotline]]\nname = "primary"\nurl = "{hotline.url}"\nsecret_file = "{secret}"\ntimeout = "{timeout}"\n'
    if hotline.tls:
        extra += f'ca_file = "{hotline.cert}"\n'
    terminals = [{"name": each, "allowed_users": ["root"], **(terminal or {})} for each in (name, *more_terminals)]
    return daemons(terminals, policy=policy, extra=extra, daemon=list(daemon))


def card_swap(client, session, newcomer):
    """One handover: a session of RAW_SUBJECT, then another person's card, which then leaves
    (left in, it would make the next session of RAW_SUBJECT a subject mismatch too)."""
    client.send("session.begin", session=session, subject=RAW_SUBJECT)
    client.send("card.inserted", subject=newcomer)
    assert client.next_message()["type"] == "terminate"
    client.send("card.removed")
