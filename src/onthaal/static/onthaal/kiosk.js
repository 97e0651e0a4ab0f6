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
  window.addEventListener("online", function () { showOffline(false); });
  // A page shown again from the back-forward cache would offer spent keys: load it anew.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
  restart();
})();
