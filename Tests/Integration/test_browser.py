"""Browser kiosks end to end (contract section 9): a real headless Chromium and a real headless
Firefox, each with the kioskguard extension (one source) loaded and the bridge's host manifest in
place, a small portal served here (sign-in with a session cookie, a page to register a bank
account, logout), against the real daemon. Every test runs in both browsers."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from browser_kiosk import BROWSERS, WAIT_FOR_OVERLAY, Portal, launch
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


@pytest.fixture(params=BROWSERS)
def kiosk(request, workdir, portal, daemons):
    """The daemon with one terminal guarding the portal, and a browser with the extension."""
    opened = []

    def make(policy, **terminal):
        name = unique()
        daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"], **terminal}], policy=policy,
                         extra=portal.site(name)).start()
        browser = launch(request.param, workdir, DAEMON, daemon.events)
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
    # What the portal keeps in the browser besides its cookie must go with the session too.
    browser.script("localStorage.setItem('draft', 'half-typed form')")
    browser.wait_script(WAIT_FOR_OVERLAY, "warn")
    if SCREENSHOTS:
        browser.screenshot(Path(SCREENSHOTS) / f"{browser.name}-warn.png")
    browser.press("a")
    assert browser.wait_script(WAIT_FOR_OVERLAY, None)
    browser.wait_script(WAIT_FOR_OVERLAY, "lock")
    if SCREENSHOTS:
        browser.screenshot(Path(SCREENSHOTS) / f"{browser.name}-lock.png")
    assert journal.wait_for(KIOSKGUARD_EVENT="session-locked", KIOSKGUARD_TERMINAL=name)["KIOSKGUARD_REASON"] == "idle"
    [portal_tab] = browser.windows()
    served = len(portal.pages)
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
    # The start page opened without the portal's cookie, and the portal's tab was closed.
    assert portal.wait_for_page("/", after=served) == ("/", False)
    [start] = browser.windows()
    assert start != portal_tab
    browser.switch_to(start)
    browser.go(f"{portal.origin}/home")
    assert "You are logged out." in browser.text()
    assert browser.script("return localStorage.getItem('draft')") is None


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


def test_one_account_registered_by_two_card_holders_through_the_portal_is_account_multiple_subjects(kiosk, portal, journal, pcscd):
    account = CANARIES[1]
    name, daemon, browser = kiosk({}, **watched_reader())
    for index, serial in enumerate(["CARD-A", "CARD-B"], start=1):
        card = VirtualCard(pcscd.port, serial)
        journal.wait_count(index, KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="present")
        if index == 1:
            journal.wait_for(KIOSKGUARD_EVENT="terminal-connected", KIOSKGUARD_TERMINAL=name)
        browser.go(f"{portal.origin}/login")
        begun = journal.wait_count(index, KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)[-1]
        assert begun["KIOSKGUARD_SUBJECT"] == pseudonym(serial)
        browser.go(f"{portal.origin}/account")
        browser.type_into(browser.find("#number"), account)
        browser.click(browser.find("#register"))
        # Signed in with the card a moment ago and the card in the reader: the step is allowed,
        # the portal gets the form, and the extension reports the step done with its account.
        assert portal.wait_for_registrations(index)[-1]["account"] == [account]
        done = journal.wait_count(index, KIOSKGUARD_EVENT="step-done", KIOSKGUARD_TERMINAL=name)[-1]
        assert done["KIOSKGUARD_ACCOUNT"] == pseudonym(account) and done["KIOSKGUARD_SUBJECT"] == pseudonym(serial)
        browser.go(f"{portal.origin}/logout")
        assert journal.wait_count(index, KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=name)[-1]["KIOSKGUARD_REASON"] == "logout"
        card.remove()
        journal.wait_count(index, KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="absent")
    linked = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="account.multiple-subjects", KIOSKGUARD_TERMINAL=name)
    assert linked["KIOSKGUARD_ACCOUNT"] == pseudonym(account) and linked["KIOSKGUARD_SUBJECT"] == pseudonym("CARD-B")
    assert len(journal.matching(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="account.multiple-subjects")) == 1


def test_the_browser_killed_with_a_session_open_is_client_lost(kiosk, portal, journal, workdir):
    name, daemon, browser = kiosk({})
    sign_in(browser, journal, portal, name)
    # Both browsers name their profile on their command lines.
    profile = str(workdir / ("chromium-profile" if (workdir / "chromium-profile").exists() else "firefox-profile"))
    browsers = subprocess.run(["pgrep", "-f", f"(user-data-dir=|--profile ){profile}"], capture_output=True, text=True).stdout.split()
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
