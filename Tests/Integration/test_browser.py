"""Browser kiosks end to end (contract section 9): a real headless Chromium with the kioskguard
extension loaded and the bridge's host manifest in place, a small portal served here (sign-in
with a session cookie, a page to register a bank account, logout), against the real daemon."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from browser_kiosk import WAIT_FOR_OVERLAY, Portal, launch_chromium
from conftest import DAEMON, daemon_journal_export, pseudonym, unique
from smartcard import VirtualCard, watched_reader
from webdriver import WebDriverError

# Where the overlays' screenshots go for docs/browser-kiosks.md, when asked for.
SCREENSHOTS = os.environ.get("KIOSKGUARD_SCREENSHOTS")
CANARIES = ["310129-954F", "FI2112345600000785", "Yamada Hanako"]


@pytest.fixture
def portal():
    served = Portal()
    yield served
    served.close()


@pytest.fixture
def kiosk(workdir, portal, daemons):
    """The daemon with one terminal guarding the portal, and Chromium with the extension."""
    opened = []

    def make(policy, **terminal):
        name = unique()
        daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"], **terminal}], policy=policy,
                         extra=portal.site(name)).start()
        browser = launch_chromium(workdir, DAEMON, daemon.events)
        opened.append(browser)
        return name, daemon, browser

    yield make
    for browser in opened:
        browser.quit()


def sign_in(browser, journal, portal, name):
    """Signs in to the portal; returns the monotonic time the session began by."""
    # The extension binds its terminal once the bridge is up; the portal's first page is guarded then.
    journal.wait_for(KIOSKGUARD_EVENT="terminal-connected", KIOSKGUARD_TERMINAL=name)
    browser.go(f"{portal.origin}/login")
    journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)
    return time.monotonic()


def let_authentication_age(begun, max_age=1.0):
    # The rule under test is about time: the sign-in must be older than sensitive_auth_max_age.
    time.sleep(max(0.0, begun + max_age + 0.2 - time.monotonic()))


def test_an_idle_portal_is_warned_locked_so_that_nothing_reaches_it_then_wiped(kiosk, portal, journal):
    name, daemon, browser = kiosk({"idle_timeout": "8s", "warn_before": "4s", "terminate_after_lock": "3s"})
    sign_in(browser, journal, portal, name)
    browser.go(f"{portal.origin}/account")
    browser.wait_script(WAIT_FOR_OVERLAY, "warn")
    if SCREENSHOTS:
        browser.screenshot(Path(SCREENSHOTS) / "browser-warn.png")
    browser.press("a")
    assert browser.wait_script(WAIT_FOR_OVERLAY, None)
    browser.wait_script(WAIT_FOR_OVERLAY, "lock")
    if SCREENSHOTS:
        browser.screenshot(Path(SCREENSHOTS) / "browser-lock.png")
    assert journal.wait_for(KIOSKGUARD_EVENT="session-locked", KIOSKGUARD_TERMINAL=name)["KIOSKGUARD_REASON"] == "idle"
    try:
        browser.click(browser.find("#register"))
    except WebDriverError as refused:
        assert refused.error in ("element click intercepted", "element not interactable"), refused
    browser.press("\ue007")  # Enter
    browser.press("x")
    assert browser.script("return document.title") == "keydown:a", "input reached the locked page"
    ended = journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=name)
    assert ended["KIOSKGUARD_REASON"] == "abandoned", ended
    assert portal.registered == []
    # The portal's tabs were closed and its start page opened, logged out: its cookie is gone.
    [start] = browser.windows()
    browser.switch_to(start)
    browser.go(f"{portal.origin}/home")
    assert "You are logged out." in browser.text()


def test_a_second_persons_card_in_the_watched_reader_ends_the_portal_session_and_wipes_it(kiosk, portal, journal, pcscd):
    card = VirtualCard(pcscd.port, "CARD-A")
    name, daemon, browser = kiosk({}, **watched_reader())
    journal.wait_for(KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="present")
    sign_in(browser, journal, portal, name)
    begun = journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)
    assert begun["KIOSKGUARD_SUBJECT"] == pseudonym("CARD-A"), "the portal's session is the card holder's"
    browser.go(f"{portal.origin}/account")
    [portal_tab] = browser.windows()
    card.remove()
    browser.wait_script(WAIT_FOR_OVERLAY, "lock")
    assert journal.wait_for(KIOSKGUARD_EVENT="session-locked", KIOSKGUARD_TERMINAL=name)["KIOSKGUARD_REASON"] == "card-removed"
    served = len(portal.pages)
    other = VirtualCard(pcscd.port, "CARD-B")
    swap = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="handover.card-swap", KIOSKGUARD_TERMINAL=name)
    assert swap["KIOSKGUARD_SUBJECT"] == pseudonym("CARD-A")
    ended = journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=name)
    assert ended["KIOSKGUARD_REASON"] == "card-swap", ended
    # The extension removed the portal's cookies before it opened the start page: that page's
    # request carries none, and the next person meets a logged-out portal.
    assert portal.wait_for_page("/", after=served) == ("/", False)
    [start] = [handle for handle in browser.windows() if handle != portal_tab]
    browser.switch_to(start)
    browser.go(f"{portal.origin}/account")
    assert "You are logged out." in browser.text()
    assert portal.registered == []
    other.remove()


def test_a_sensitive_submit_with_stale_authentication_never_reaches_the_portal(kiosk, portal, journal):
    name, daemon, browser = kiosk({"sensitive_auth_max_age": "1s"})
    begun = sign_in(browser, journal, portal, name)
    browser.go(f"{portal.origin}/account")
    let_authentication_age(begun)
    browser.type_into(browser.find("#holder"), CANARIES[2])
    browser.type_into(browser.find("#number"), CANARIES[1])
    browser.click(browser.find("#register"))
    browser.wait_script(WAIT_FOR_OVERLAY, "denied")
    denied = journal.wait_for(KIOSKGUARD_EVENT="step-denied", KIOSKGUARD_TERMINAL=name)
    assert denied["KIOSKGUARD_REASON"] == "auth-stale" and denied["KIOSKGUARD_ACCOUNT"].startswith("p:")
    assert portal.registered == []


def test_the_browser_killed_with_a_session_open_is_client_lost(kiosk, portal, journal, workdir):
    name, daemon, browser = kiosk({})
    sign_in(browser, journal, portal, name)
    profile = str(workdir / "chromium-profile")
    browsers = subprocess.run(["pgrep", "-f", f"user-data-dir={profile}"], capture_output=True, text=True).stdout.split()
    assert browsers
    for pid in browsers:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    lost = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="client.lost", KIOSKGUARD_TERMINAL=name)
    assert lost["KIOSKGUARD_REASON"] == "client-lost"


def test_what_is_typed_into_the_portal_never_leaves_the_browser_raw(kiosk, portal, journal, workdir):
    name, daemon, browser = kiosk({"sensitive_auth_max_age": "1s"})
    started = time.time()
    begun = sign_in(browser, journal, portal, name)
    browser.go(f"{portal.origin}/account")
    let_authentication_age(begun)
    browser.type_into(browser.find("#holder"), CANARIES[2] + " " + CANARIES[0])
    browser.type_into(browser.find("#number"), CANARIES[1])
    browser.click(browser.find("#register"))
    journal.wait_for(KIOSKGUARD_EVENT="step-denied", KIOSKGUARD_TERMINAL=name)
    daemon.stop()
    exported = daemon_journal_export(int(started) - 1)
    state = b"".join(path.read_bytes() for path in (workdir / "state").rglob("*") if path.is_file())
    for canary in CANARIES:
        assert canary.encode() not in exported
        assert canary.encode() not in state
        assert canary not in daemon.stderr()
