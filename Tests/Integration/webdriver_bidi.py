"""A small WebDriver BiDi client for Firefox (Debian's firefox-esr, which speaks BiDi itself, so
no geckodriver is needed): the same few commands as webdriver.Chromium, enough to drive a headless
Firefox with the kioskguard extension installed as a temporary add-on."""
import base64
import itertools
import json
import subprocess

import websocket

from ports import free_port
from webdriver import WebDriverError


class Firefox:
    """One headless Firefox with its profile in `profile`, driven over WebDriver BiDi."""

    name = "firefox"

    def __init__(self, profile, environment, log_path, timeout=15.0):
        self.timeout = timeout
        self.profile = str(profile)
        port = free_port()
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            ["firefox-esr", "--headless", "--no-remote", "--profile", self.profile, f"--remote-debugging-port={port}",
             "--width=1024", "--height=768", "about:blank"],
            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # Firefox says on stderr when its BiDi server listens; the rest of stderr goes to the log.
        said = []
        while not said or "WebDriver BiDi listening" not in said[-1]:
            said.append(self.process.stderr.readline())
            assert said[-1], f"firefox did not start: {said}"
        self.log.writelines(said)
        self.process.stderr.close()
        # The remote agent refuses a handshake that carries an Origin header.
        self.socket = websocket.create_connection(f"ws://127.0.0.1:{port}/session", suppress_origin=True, timeout=60)
        self.ids = itertools.count(1)
        self._send("session.new", {"capabilities": {}})
        self.context = self.windows()[0]

    def _send(self, method, params):
        request = next(self.ids)
        self.socket.send(json.dumps({"id": request, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") != request:
                continue  # an event: this client subscribes to none, but Firefox may still say some
            if message["type"] == "error":
                raise WebDriverError(message["error"], message.get("message", "")[:300])
            return message["result"]

    def install_extension(self, path):
        """Installs the unpacked extension at `path` as a temporary add-on; returns its id."""
        return self._send("webExtension.install", {"extensionData": {"type": "path", "path": str(path)}})["extension"]

    def go(self, url):
        self._send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def _call(self, declaration, arguments, await_promise):
        result = self._send("script.callFunction", {
            "functionDeclaration": declaration, "arguments": [_serialize(value) for value in arguments],
            "target": {"context": self.context}, "awaitPromise": await_promise, "userActivation": False})
        if result["type"] == "exception":
            details = result["exceptionDetails"]
            raise WebDriverError("javascript error", details.get("text", str(details)))
        return _deserialize(result["result"])

    def script(self, source, *arguments):
        """Runs `source` as a function body with `arguments`, as WebDriver's execute/sync does."""
        return self._call(f"function() {{ {source}\n}}", arguments, False)

    def wait_script(self, source, *arguments):
        """Runs `source` as an async script: it calls `done(value)` (its last argument) when the
        awaited thing happened; `timeout` is the deadline, as WebDriver's script timeout is."""
        wrapper = ("function(...given) { return new Promise((resolve, reject) => {"
                   f" setTimeout(() => reject(new Error('script timeout')), {int(self.timeout * 1000)});"
                   f" (function() {{ {source}\n}}).apply(null, [...given, resolve]); }}); }}")
        return self._call(wrapper, arguments, True)

    def find(self, selector):
        nodes = self._send("browsingContext.locateNodes", {
            "context": self.context, "locator": {"type": "css", "value": selector}, "maxNodeCount": 1})["nodes"]
        assert nodes, f"no element {selector}"
        return nodes[0]["sharedId"]

    def _perform(self, *sources):
        self._send("input.performActions", {"context": self.context, "actions": list(sources)})
        self._send("input.releaseActions", {"context": self.context})

    def click(self, element):
        """A real click in the middle of `element`: it lands on whatever the page shows on top there."""
        self._perform({"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
            {"type": "pointerMove", "x": 0, "y": 0, "origin": {"type": "element", "element": {"sharedId": element}}},
            {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]})

    def _keys(self, text):
        actions = []
        for key in text:
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self._perform({"type": "key", "id": "keyboard", "actions": actions})

    def type_into(self, element, text):
        self._call("function(element) { element.focus(); }", [_Element(element)], False)
        self._keys(text)

    def press(self, key):
        """A real key press (trusted input events), to whatever has the focus."""
        self._keys(key)

    def windows(self):
        return [context["context"] for context in self._send("browsingContext.getTree", {"maxDepth": 0})["contexts"]]

    def switch_to(self, handle):
        self.context = handle

    def text(self):
        return self.script("return document.body ? document.body.innerText : ''")

    def screenshot(self, path):
        with open(path, "wb") as out:
            out.write(base64.b64decode(self._send("browsingContext.captureScreenshot", {"context": self.context})["data"]))

    def quit(self):
        try:
            self._send("session.end", {})
        except (WebDriverError, websocket.WebSocketException, OSError):
            pass
        self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class _Element:
    def __init__(self, shared_id):
        self.shared_id = shared_id


def _serialize(value):
    if isinstance(value, _Element):
        return {"sharedId": value.shared_id}
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, (int, float)):
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    raise TypeError(f"cannot pass {value!r} to a script")


def _deserialize(remote):
    kind = remote["type"]
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        return remote["value"] if isinstance(remote["value"], (int, float)) else float(remote["value"])
    if kind == "array":
        return [_deserialize(item) for item in remote.get("value", [])]
    if kind == "object":
        return {key: _deserialize(item) for key, item in remote.get("value", [])}
    return remote
