// The kiosk (a registered device, docs/queue.md): back to the start page 20 s after the last
// touch; forms sent by this script so that a lost network is said and retried, never lost
// and never doubled (each form carries its own submission key: the server gives a repeated
// submission the ticket it already issued).
(function () {
  "use strict";
  var body = document.body;
  var home = body.dataset.kioskHome;
  var idleMs = (parseInt(body.dataset.kioskIdle, 10) || 20) * 1000;
  var offline = document.getElementById("kiosk-offline");
  var messages = document.getElementById("kiosk-messages");
  var RETRY_MS = 3000;
  // The proxy's answers while the app behind it is down: no answer from the server either.
  var UNREACHABLE = [502, 503, 504];
  var timer = null;
  var busy = false;

  function showOffline(on) { if (offline) offline.hidden = !on; }

  // Open ``url`` once the server answers: a kiosk never lands on the browser's error page.
  function go(url) {
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function () {
      window.location.replace(url);
    }, function () {
      showOffline(true);
      window.setTimeout(function () { go(url); }, RETRY_MS);
    });
  }

  function atRest() {
    // On the start page with nothing typed and nothing said: nothing to reset.
    if (window.location.pathname + window.location.search !== home) return false;
    var typed = Array.prototype.some.call(
      document.querySelectorAll("input[type=text]"), function (i) { return i.value; });
    return !typed && !(messages && messages.textContent.trim());
  }

  function restart() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (busy) { restart(); return; }
      if (atRest()) { restart(); return; }
      go(home);
    }, idleMs);
  }

  function say(text) {
    if (!messages) return;
    messages.textContent = "";
    var p = document.createElement("p");
    p.className = "message message-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    messages.appendChild(p);
  }

  function send(form, data) {
    // The attribute, not form.action: a field named "action" (the check-in form has one)
    // shadows the property.
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (response) {
      if (UNREACHABLE.indexOf(response.status) !== -1) throw new Error("unreachable");
      showOffline(false);
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        // Not the kiosk's answer (the device was revoked, the form had expired): start anew.
        busy = false;
        go(home);
        return null;
      }
      return response.json().then(function (answer) {
        busy = false;
        form.removeAttribute("aria-busy");
        if (answer.redirect) { go(answer.redirect); return; }
        say(answer.error || "");
        restart();
      });
    }).catch(function () {
      // No answer: the same submission (same key) again, until the server answers.
      showOffline(true);
      window.setTimeout(function () { send(form, data); }, RETRY_MS);
    });
  }

  // A fresh key for each form of the page just opened: the page may be the start page the
  // service worker kept (kiosk-sw.js), whose keys an earlier visitor may have spent. (Without
  // this script the server's own keys, new on every page, are sent.)
  function freshKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  document.querySelectorAll("form[data-kiosk-form] input[name=submission]").forEach(
    function (input) { input.value = freshKey(); });

  document.querySelectorAll("form[data-kiosk-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      form.setAttribute("aria-busy", "true");
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) {
        data.append(event.submitter.name, event.submitter.value);
      }
      send(form, data);
    });
  });

  document.querySelectorAll("[data-kiosk-home-link]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); go(home); });
  });

  ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  window.addEventListener("offline", function () { showOffline(true); });
  if (navigator.onLine === false) showOffline(true);

  // The service worker that keeps the kiosk's shell for a lost network (kiosk-sw.js), and
  // the addresses of that shell: this start page and what it loaded.
  var worker = body.dataset.kioskSw;
  if (worker && "serviceWorker" in navigator) {
    var scope = worker.slice(0, worker.lastIndexOf("/") + 1);
    navigator.serviceWorker.register(worker, { scope: scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var shell = [home];
      document.querySelectorAll("link[rel=stylesheet][href], script[src]").forEach(function (el) {
        shell.push(el.getAttribute("href") || el.getAttribute("src"));
      });
      if (registration.active) registration.active.postMessage({ shell: shell });
    }).catch(function () { /* no worker (not a secure context): the kiosk works without */ });
  }
  window.addEventListener("online", function () { showOffline(false); });
  // A page shown again from the back-forward cache would offer spent keys: load it anew.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
  restart();
})();
