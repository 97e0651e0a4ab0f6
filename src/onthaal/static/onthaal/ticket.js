// A ticket's status page on the citizen's phone: live over the ticket's own event stream
// (its private address; nothing of any other ticket comes through it), polling every 5 s
// when the stream is unavailable. "Your turn" also vibrates where the browser allows it.
(function () {
  "use strict";
  var box = document.querySelector("[data-ticket-events]");
  if (!box) return;
  var labels = JSON.parse(document.getElementById("ticket-labels").textContent);
  var target = document.getElementById("ticket-status");
  var alertForm = document.getElementById("turn-alert");
  var last = box.dataset.status;
  var timer = null;

  function words(s) {
    if (s.status === "waiting") {
      var ahead = s.position === 0 ? labels.next : labels.ahead.replace("%(ahead)s", s.position);
      var wait = s.wait_minutes === null ? labels.no_desk : labels.wait.replace("%(minutes)s", s.wait_minutes);
      return ahead + " " + wait;
    }
    if (s.status === "called" || s.status === "serving") return labels.turn.replace("%(desk)s", s.desk);
    return labels[s.status] || labels.closed;
  }

  function show(s) {
    var text = words(s);
    if (alertForm && s.status !== "waiting") alertForm.hidden = true;
    box.dataset.status = s.status;
    if (target.textContent.trim() !== text) {
      target.innerHTML = "";
      var p = document.createElement("p");
      p.className = s.status === "waiting" ? "ticket-wait" : (s.closed ? "ticket-closed" : "ticket-turn");
      p.textContent = text;
      target.appendChild(p);
    }
    if (s.status === "called" && last !== "called") {
      document.title = text;
      if (navigator.vibrate) { try { navigator.vibrate([300, 150, 300]); } catch (e) { /* not allowed */ } }
    }
    last = s.status;
    if (s.closed) {
      stop();
      // Served: the page again, with the satisfaction survey (it has none while open).
      if (s.status === "done") window.location.reload();
    }
  }

  function poll() {
    fetch(box.dataset.statusUrl, {cache: "no-store"}).then(function (r) { return r.json(); }).then(show).catch(function () {});
  }
  function startPolling() { box.dataset.stream = "polling"; if (!timer) timer = setInterval(poll, 5000); }
  var source = null;
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (source) { source.close(); source = null; }
  }
  if (box.dataset.closed === "1") return;
  if (window.EventSource) {
    source = new EventSource(box.dataset.ticketEvents);
    source.addEventListener("status", function (event) {
      if (timer) { clearInterval(timer); timer = null; }
      box.dataset.stream = "live";
      show(JSON.parse(event.data));
    });
    source.onerror = function () {
      if (source && source.readyState === EventSource.CLOSED) { source = null; startPolling(); }
    };
  } else {
    startPolling();
  }
})();
