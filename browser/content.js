// kioskguard's browser extension, in each page: reports real input on guarded pages as activity,
// shows the warning and the lock over the page, and holds a configured step's form submit until
// kioskguardd allows it. Only the configured account field's value ever leaves the page.
"use strict";

(() => {
  if (window.top !== window) return;

  const INPUT_EVENTS = ["keydown", "pointerdown", "mousedown", "touchstart", "wheel", "scroll"];
  // Everything a person can do to a page; while locked none of it reaches the page.
  const BLOCKED_EVENTS = ["keydown", "keypress", "keyup", "pointerdown", "pointerup", "mousedown", "mouseup", "click",
    "dblclick", "contextmenu", "touchstart", "touchend", "wheel", "input", "beforeinput", "submit", "focusin", "paste", "drop"];
  const ACTIVITY_INTERVAL_MS = 500;

  let guarded = false;
  let steps = [];
  let locked = false;
  let lastActivity = 0;
  let host = null;
  let countdown = null;
  const allowedForms = new WeakSet();

  function ask(message) {
    return chrome.runtime.sendMessage(message).catch(() => undefined);
  }

  // The overlay lives in a closed shadow root on <html>, outside <body>, so page styles and
  // scripts cannot reach it, and the inert <body> takes no focus or click while it shows.
  function overlay(kind, text) {
    removeOverlay();
    host = document.createElement("kioskguard-overlay");
    const root = host.attachShadow({ mode: "closed" });
    const style = "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;"
      + "font:24px/1.4 system-ui,sans-serif;text-align:center;padding:2em;"
      + (kind === "lock" ? "background:#1d2b3a;color:#fff;" : "background:rgba(255,255,240,0.94);color:#222;");
    const box = document.createElement("div");
    box.setAttribute("style", style);
    const message = document.createElement("p");
    message.textContent = text;
    box.appendChild(message);
    root.appendChild(box);
    document.documentElement.appendChild(host);
    document.documentElement.setAttribute("data-kioskguard", kind);
    return message;
  }

  function removeOverlay() {
    if (countdown) clearInterval(countdown);
    countdown = null;
    if (host) host.remove();
    host = null;
    document.documentElement.removeAttribute("data-kioskguard");
  }

  function showWarning(seconds) {
    if (locked) return;
    let left = seconds;
    const message = overlay("warn", "");
    const render = () => { message.textContent = `Are you still there? This page locks in ${left} s. Touch the screen or press a key to go on.`; };
    render();
    countdown = setInterval(() => { left = Math.max(0, left - 1); render(); }, 1000);
  }

  function showLock(text) {
    locked = true;
    overlay("lock", text + " Please ask the staff at the counter.");
    if (document.body) document.body.inert = true;
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  }

  function onInput(event) {
    if (!event.isTrusted || !guarded || locked) return;
    if (host && document.documentElement.getAttribute("data-kioskguard") === "warn") removeOverlay();
    const now = Date.now();
    if (now - lastActivity < ACTIVITY_INTERVAL_MS) return;
    lastActivity = now;
    ask({ kind: "activity" });
  }

  function block(event) {
    if (!locked) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  async function onSubmit(event) {
    if (locked || !guarded) return;
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const step = steps.find((candidate) => form.matches(candidate.form));
    if (!step) return;
    const field = step.account_field ? (form.querySelector(step.account_field) || document.querySelector(step.account_field)) : null;
    const account = field && typeof field.value === "string" ? field.value : undefined;
    if (allowedForms.has(form)) {
      allowedForms.delete(form);
      ask({ kind: "step-done", step: step.name, account });
      return;
    }
    // Nothing goes to the network until the daemon has allowed the step.
    event.preventDefault();
    event.stopImmediatePropagation();
    const submitter = event.submitter || null;
    const decision = await ask({ kind: "step", step: step.name, sensitive: step.sensitive, account });
    if (decision && decision.allow) {
      allowedForms.add(form);
      form.requestSubmit(submitter && form.contains(submitter) ? submitter : undefined);
    } else {
      const message = overlay("denied", (decision && decision.text) || "This step was refused.");
      message.appendChild(document.createElement("br"));
      const close = document.createElement("button");
      close.textContent = "OK";
      close.setAttribute("style", "font:inherit;margin-top:1em;padding:0.3em 2em;");
      close.addEventListener("click", removeOverlay);
      message.appendChild(close);
    }
  }

  for (const type of BLOCKED_EVENTS) window.addEventListener(type, block, { capture: true });
  document.addEventListener("DOMContentLoaded", () => { if (locked && document.body) document.body.inert = true; });
  for (const type of INPUT_EVENTS) window.addEventListener(type, onInput, { capture: true, passive: true });
  window.addEventListener("submit", onSubmit, { capture: true });

  chrome.runtime.onMessage.addListener((message) => {
    if (message.kind === "warn") showWarning(message.lockIn);
    if (message.kind === "lock") showLock(message.text);
  });

  ask({ kind: "page" }).then((page) => {
    if (!page) return;
    guarded = page.guarded;
    steps = page.steps || [];
    if (page.locked) showLock(page.text);
  });
})();
