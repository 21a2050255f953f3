"""A small W3C WebDriver client for chromedriver (Debian's chromium-driver): enough to drive a
headless Chromium with the kioskguard extension loaded, without Selenium."""
import base64
import json
import subprocess
import urllib.error
import urllib.request

from ports import free_port

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    def __init__(self, error, message):
        super().__init__(f"{error}: {message}")
        self.error = error


class Chromium:
    """chromedriver and one Chromium session, started with `arguments` and `environment`."""

    name = "chromium"

    def __init__(self, arguments, environment, log_path, timeout=15.0, network_log=False):
        self.port = free_port()
        self.driver = subprocess.Popen(["chromedriver", f"--port={self.port}", f"--log-path={log_path}"], env=environment,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.base = f"http://127.0.0.1:{self.port}"
        # chromedriver says on stdout when it listens.
        said = []
        while not said or "started successfully" not in said[-1]:
            said.append(self.driver.stdout.readline())
            assert said[-1], f"chromedriver did not start: {said}"
        capabilities = {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium", "args": arguments, "excludeSwitches": ["disable-extensions", "enable-automation"]}}
        if network_log:
            # chromedriver then records the DevTools protocol's Network events (network_requests()).
            capabilities["goog:loggingPrefs"] = {"performance": "ALL"}
            capabilities["goog:chromeOptions"]["perfLoggingPrefs"] = {"enableNetwork": True, "enablePage": False}
        created = self._request("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.session = created["sessionId"]
        self.command("POST", "/timeouts", {"script": int(timeout * 1000), "pageLoad": int(timeout * 1000)})

    def _request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as failure:
            value = json.loads(failure.read())["value"]
            raise WebDriverError(value.get("error"), value.get("message", "")[:300]) from None

    def command(self, method, path, body=None):
        return self._request(method, f"/session/{self.session}{path}", body)

    def go(self, url):
        self.command("POST", "/url", {"url": url})

    def script(self, source, *arguments):
        return self.command("POST", "/execute/sync", {"script": source, "args": list(arguments)})

    def wait_script(self, source, *arguments):
        """Runs `source` as an async script: it calls `done(value)` (its last argument) when the
        awaited thing happened; the script timeout is the deadline."""
        return self.command("POST", "/execute/async", {"script": source, "args": list(arguments)})

    def find(self, selector):
        found = self.command("POST", "/element", {"using": "css selector", "value": selector})
        assert ELEMENT in found, f"no element {selector}: {found}"
        return found[ELEMENT]

    def click(self, element):
        self.command("POST", f"/element/{element}/click", {})

    def type_into(self, element, text):
        self.command("POST", f"/element/{element}/value", {"text": text})

    def press(self, key):
        """A real key press (trusted input events), to whatever has the focus."""
        self.command("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})

    def windows(self):
        return self.command("GET", "/window/handles")

    def switch_to(self, handle):
        self.command("POST", "/window", {"handle": handle})

    def text(self):
        return self.script("return document.body ? document.body.innerText : ''")

    def network_requests(self):
        """The URLs of every request the browser began since the last call (DevTools'
        Network.requestWillBeSent), from a session started with network_log=True."""
        entries = self.command("POST", "/se/log", {"type": "performance"})
        messages = [json.loads(entry["message"])["message"] for entry in entries]
        return [m["params"]["request"]["url"] for m in messages if m["method"] == "Network.requestWillBeSent"]

    def screenshot(self, path):
        with open(path, "wb") as out:
            out.write(base64.b64decode(self.command("GET", "/screenshot")))

    def quit(self):
        try:
            self._request("DELETE", f"/session/{self.session}")
        except (WebDriverError, urllib.error.URLError, ConnectionError):
            pass
        self.driver.terminate()
        self.driver.wait(timeout=15)
