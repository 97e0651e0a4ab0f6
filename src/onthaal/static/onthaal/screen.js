// Waiting-room screen: Server-Sent Events, with polling when the stream is unavailable.
// Shows numbers and desks only. The state is re-read on every (re)connect. A call flashes the
// "now" box and is spoken; in a kiosk-mode Chromium started with
// --autoplay-policy=no-user-gesture-required the sound is on without a click (docs/queue.md).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("screen-config").textContent);
  var state = JSON.parse(document.getElementById("screen-state").textContent);
  var seen = {};
  state.calls.forEach(function (c) { seen[c.code + c.called_at] = true; });
  var soundOn = false;
  var audio = null;
  var pollTimer = null;
  var refreshTimer = null;
  var source = null;
  var linkState = document.getElementById("link-state");
  var soundButton = document.getElementById("sound");
  var lang = document.documentElement.lang || "nl";

  function cell(text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }

  function render() {
    var now = document.getElementById("now");
    now.innerHTML = "";
    var first = state.calls[0];
    var p = document.createElement("p");
    if (first) {
      p.className = "now-code"; p.textContent = first.code; now.appendChild(p);
      var d = document.createElement("p"); d.className = "now-desk"; d.textContent = first.desk; now.appendChild(d);
    } else { p.className = "now-empty"; p.textContent = config.welcome; now.appendChild(p); }
    var body = document.getElementById("recent");
    body.innerHTML = "";
    state.calls.slice(0, 5).forEach(function (c) {
      var tr = document.createElement("tr"); tr.appendChild(cell(c.code, "code")); tr.appendChild(cell(c.desk, "desk-label")); body.appendChild(tr);
    });
    var queues = document.getElementById("queues");
    queues.innerHTML = "";
    (state.queues || []).forEach(function (q) {
      var tr = document.createElement("tr");
      // The label on one line, as the page renders it: the prefix as a badge, then the name
      // (cut with an ellipsis by the stylesheet when it is too long for the column).
      var label = cell(" " + q.name, "queue-label");
      var prefix = document.createElement("span"); prefix.className = "queue-prefix"; prefix.textContent = q.prefix;
      label.insertBefore(prefix, label.firstChild);
      tr.appendChild(label);
      tr.appendChild(cell(String(q.waiting)));
      tr.appendChild(cell(q.wait_minutes === null ? "—" : config.minutes.replace("%(minutes)s", q.wait_minutes)));
      queues.appendChild(tr);
    });
    document.getElementById("waiting").textContent = state.waiting + " " + (state.waiting === 1 ? config.waiting_one : config.waiting_many);
    news();
  }

  // The announcements, one at a time, each for 8 seconds.
  var newsAt = 0;
  function news() {
    var line = document.getElementById("news");
    var items = state.announcements || [];
    line.hidden = items.length === 0;
    if (items.length) line.textContent = items[newsAt % items.length];
  }
  setInterval(function () { newsAt += 1; news(); }, 8000);

  function tick() {
    document.getElementById("clock").textContent = new Date().toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit", timeZone: "Europe/Brussels"});
  }
  tick();
  setInterval(tick, 1000);

  function flash() {
    var box = document.getElementById("now-box");
    box.classList.remove("flash");
    void box.offsetWidth;  // restart the animation
    box.classList.add("flash");
  }

  function chime() {
    try {
      var ctx = audio || new (window.AudioContext || window.webkitAudioContext)();
      [659, 880].forEach(function (f, i) {
        var o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = f; o.connect(g); g.connect(ctx.destination);
        g.gain.setValueAtTime(0.2, ctx.currentTime + i * 0.35);
        g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + i * 0.35 + 0.3);
        o.start(ctx.currentTime + i * 0.35); o.stop(ctx.currentTime + i * 0.35 + 0.32);
      });
    } catch (e) { /* no audio device */ }
  }

  function announce(call) {
    flash();
    if (!soundOn) return;
    chime();
    if (!window.speechSynthesis) return;
    // Spell the number: "B 0 1 2" is read as letters and digits by the local (offline) voice.
    var spoken = config.number + " " + call.code.split("").join(" ") + ", " + call.desk;
    var u = new SpeechSynthesisUtterance(spoken);
    u.lang = lang === "nl" ? "nl-BE" : lang;
    var local = speechSynthesis.getVoices().filter(function (v) { return v.localService && v.lang.indexOf(u.lang.slice(0, 2)) === 0; });
    if (local.length) u.voice = local[0];
    setTimeout(function () { speechSynthesis.speak(u); }, 800);
  }

  function apply(next) {
    var fresh = next.calls.filter(function (c) { return !seen[c.code + c.called_at]; });
    next.calls.forEach(function (c) { seen[c.code + c.called_at] = true; });
    state = next; render();
    fresh.reverse().forEach(announce);
  }

  function onTicket(event) {
    var e = JSON.parse(event.data);
    if (e.type === "called" || e.type === "recalled") {
      var call = {code: e.code, queue: e.queue, desk: e.desk, called_at: e.at, status: e.status};
      state.calls = [call].concat(state.calls.filter(function (c) { return c.code !== e.code; })).slice(0, 8);
      seen[call.code + call.called_at] = true;
      render(); announce(call);
    }
    // The counts per queue and the expected waits: read again, once for a burst of events.
    if (!refreshTimer) refreshTimer = setTimeout(function () { refreshTimer = null; poll(); }, 1000);
  }

  function poll() {
    return fetch(config.display, {cache: "no-store"}).then(function (r) { return r.json(); }).then(apply).catch(function () {});
  }

  function startPolling() {
    linkState.textContent = linkState.dataset.polling;
    document.body.dataset.link = "polling";
    if (!pollTimer) { poll(); pollTimer = setInterval(poll, 2000); }
    // Try the stream again a little later.
    setTimeout(connect, 10000);
  }

  function connect() {
    if (source && source.readyState !== EventSource.CLOSED) return;
    if (!window.EventSource) { startPolling(); return; }
    source = new EventSource(config.events);
    source.addEventListener("state", function (event) {
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      linkState.textContent = linkState.dataset.live;
      document.body.dataset.link = "live";
      apply(JSON.parse(event.data));
    });
    source.addEventListener("ticket", onTicket);
    source.onerror = function () {
      // A closed stream (503: broker down) does not retry by itself: poll instead.
      if (source.readyState === EventSource.CLOSED) { source = null; startPolling(); }
    };
  }

  function setSound(on) {
    soundOn = on;
    soundButton.setAttribute("aria-pressed", String(on));
    document.body.dataset.sound = on ? "on" : "off";
  }
  soundButton.addEventListener("click", function () {
    setSound(!soundOn);
    if (soundOn) chime();
  });
  // Sound without a click where the browser allows it (a kiosk started with the autoplay flag).
  try {
    audio = new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "running") setSound(true);
  } catch (e) { audio = null; }
  connect();
})();
