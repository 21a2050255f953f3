// kioskguard's browser extension, background: the one connection to kioskguard-bridge (native
// messaging), the session of the guarded portal, and what every guarded tab must show.
// docs/browser-kiosks.md describes the messages; nothing of a page's content is sent, except
// the value of a step's configured account field, which the daemon pseudonymises at once.
"use strict";

const HOST = "kioskguard.bridge";
const CLIENT = "kioskguard-extension/0.1.0";
// Activity is reported at most twice a second: enough for idle deadlines counted in seconds.
const ACTIVITY_INTERVAL_MS = 500;
const RECONNECT_MS = 1000;

const LOCK_TEXTS = {
  "idle": "This page was locked because nobody used it for a while.",
  "card-removed": "This page was locked because the card was taken out of the reader.",
  "presence-lost": "This page was locked because nobody was at the counter.",
  "client-lost": "This page was locked because the guard lost contact with the browser.",
  "admin": "Staff locked this page.",
  "guard-restarted": "This page was locked because the guard restarted.",
  "guard-stopping": "This page was locked because the guard is stopping.",
  "not-running": "This page is locked because kioskguard is not running.",
};
const DENIAL_TEXTS = {
  "auth-stale": "Please confirm who you are again (insert your card and enter your PIN) before this step.",
  "card-absent": "Your card must be in the reader for this step.",
  "subject-mismatch": "This step belongs to another person's session.",
  "session-locked": "This session is locked.",
  "session-ended": "This session has ended.",
  "unknown-session": "There is no session for this step. Please sign in again.",
};

let port = null;
let bound = false;
let sites = [];
// The portal session: {id, site, locked, lockText}.
let session = null;
let lastActivity = 0;
let nextRequest = 1;
const pendingSteps = new Map();

function globToRegExp(pattern) {
  return new RegExp("^" + pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$");
}

function siteOf(url) {
  let origin;
  try { origin = new URL(url).origin; } catch { return null; }
  return sites.find((site) => site.origins.includes(origin)) || null;
}

function matches(pattern, url) {
  return pattern !== undefined && pattern !== null && globToRegExp(pattern).test(url);
}

function send(message) {
  if (port) port.postMessage(message);
}

function connect() {
  port = chrome.runtime.connectNative(HOST);
  port.onMessage.addListener(onDaemonMessage);
  port.onDisconnect.addListener(() => {
    port = null;
    bound = false;
    lockEverything(LOCK_TEXTS["not-running"]);
    setTimeout(connect, RECONNECT_MS);
  });
}

function onDaemonMessage(message) {
  switch (message.type) {
    case "bridge.daemon":
      if (message.state === "connected") {
        send({ type: "hello", id: "hello", terminal: "auto", protocol: 1, client: CLIENT });
      } else {
        bound = false;
        lockEverything(LOCK_TEXTS["not-running"]);
      }
      break;
    case "welcome":
      bound = true;
      sites = message.sites || [];
      break;
    case "warn":
      if (session && message.session === session.id) toGuardedTabs(session.site, { kind: "warn", lockIn: message.lock_in });
      break;
    case "lock":
      if (session && message.session === session.id) lockSession(LOCK_TEXTS[message.reason] || LOCK_TEXTS.idle);
      break;
    case "terminate":
      if (session && message.session === session.id) {
        const site = session.site;
        session = null;
        wipe(site);
      }
      break;
    case "step.decision":
      settleStep(message.id, message.allow, message.reason);
      break;
    case "error":
      if (message.id && pendingSteps.has(message.id)) settleStep(message.id, false, message.code);
      break;
  }
}

async function guardedTabs(site) {
  const tabs = await chrome.tabs.query({});
  return tabs.filter((tab) => tab.url && (site ? siteOf(tab.url) === site : siteOf(tab.url) !== null));
}

async function toGuardedTabs(site, message) {
  const tabs = await guardedTabs(site);
  await Promise.all(tabs.map((tab) => chrome.tabs.sendMessage(tab.id, message).catch(() => undefined)));
}

// Covers every guarded tab, then tells the daemon the session is locked.
async function lockSession(text) {
  session.locked = true;
  session.lockText = text;
  const id = session.id;
  await toGuardedTabs(session.site, { kind: "lock", text });
  send({ type: "locked", session: id });
}

// The daemon is out of reach: nothing guarded may be used until it is back.
function lockEverything(text) {
  if (session) {
    session.locked = true;
    session.lockText = text;
  }
  toGuardedTabs(null, { kind: "lock", text });
}

// A terminated session: the portal's cookies, storage and cache go, its tabs close, and the
// start page opens, so the next page load is logged out of the portal.
async function wipe(site) {
  for (const origin of site.origins) {
    const cookies = await chrome.cookies.getAll({ url: origin + "/" });
    await Promise.all(cookies.map((cookie) =>
      chrome.cookies.remove({ url: origin + cookie.path, name: cookie.name, storeId: cookie.storeId })));
  }
  const kinds = ["cookies", "localStorage", "indexedDB", "cacheStorage", "serviceWorkers", "fileSystems", "cache"];
  for (const kind of kinds) {
    // Chromium removes a kind by origin. Firefox cannot (its host names reach only cookies and
    // local storage, and a host-name removal of local storage was seen to leave the data), so
    // there a kind is removed for every site: on a kiosk, wiping more is the safe side. A kind
    // this browser does not know is passed over.
    if (!(await removeData({ origins: site.origins }, kind))) await removeData({}, kind);
  }
  const tabs = await guardedTabs(site);
  await chrome.tabs.create({ url: site.start_url });
  if (tabs.length) await chrome.tabs.remove(tabs.map((tab) => tab.id));
}

// Whether the browser removed `kind` of data under `options`. Firefox refuses an option or a kind
// it does not know by throwing at once, Chromium by rejecting: both are a false here.
async function removeData(options, kind) {
  try {
    await chrome.browsingData.remove(options, { [kind]: true });
    return true;
  } catch {
    return false;
  }
}

function settleStep(id, allow, reason) {
  const pending = pendingSteps.get(id);
  if (!pending) return;
  pendingSteps.delete(id);
  pending({ allow, text: allow ? "" : (DENIAL_TEXTS[reason] || "This step was refused (" + reason + ").") });
}

function newSessionID() {
  return "web-" + Date.now().toString(36) + "-" + Math.floor(Math.random() * 0x100000).toString(36);
}

// A guarded tab reached a page: login begins a session, logout ends it.
function navigated(url) {
  const site = siteOf(url);
  if (!site || !bound) return;
  if (matches(site.logout_url, url)) {
    if (session) send({ type: "session.end", session: session.id, reason: "logout" });
    session = null;
  } else if (matches(site.login_url, url) && !session) {
    session = { id: newSessionID(), site, locked: false, lockText: "" };
    send({ type: "session.begin", session: session.id, auth: "portal-login" });
  }
}

chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (change.url || change.status === "loading") navigated(change.url || tab.url || "");
});

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  const url = sender.tab && sender.tab.url ? sender.tab.url : (sender.url || "");
  const site = siteOf(url);
  switch (message.kind) {
    case "page": {
      // Before the first welcome no site is known: every page counts as guarded (fail closed).
      const guarded = site !== null || (!bound && sites.length === 0);
      const locked = guarded && (!bound || (session !== null && session.locked && session.site === site));
      reply({
        guarded,
        steps: site ? site.steps.filter((step) => matches(step.url, url)) : [],
        locked,
        text: !bound ? LOCK_TEXTS["not-running"] : (session ? session.lockText : ""),
      });
      return false;
    }
    case "activity":
      if (session && !session.locked && session.site === site && Date.now() - lastActivity >= ACTIVITY_INTERVAL_MS) {
        lastActivity = Date.now();
        send({ type: "activity", session: session.id });
      }
      return false;
    case "step": {
      if (!session || session.site !== site || !bound) {
        reply({ allow: false, text: DENIAL_TEXTS["unknown-session"] });
        return false;
      }
      const id = "step-" + nextRequest++;
      pendingSteps.set(id, reply);
      const request = { type: "step.request", id, session: session.id, step: message.step, sensitive: message.sensitive };
      if (typeof message.account === "string" && message.account !== "") request.account = message.account;
      send(request);
      return true;
    }
    case "step-done":
      if (session && session.site === site) {
        const done = { type: "step.done", session: session.id, step: message.step };
        if (typeof message.account === "string" && message.account !== "") done.account = message.account;
        send(done);
      }
      return false;
  }
  return false;
});

connect();
