// Live staff pages (desk, reception, team lead): when the location's event stream says that
// something changed, the page's fragment is read again and only the parts whose HTML changed
// are replaced (an out-of-band swap per part, by its data-live-part name). A part the user is
// working in — the focus inside it, an open panel, a field changed but not sent — is left as
// it is and brought up to date once the user leaves it. A part with a data-version is not even
// sent again while that version holds. Without the stream: every 5 s.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-url]");
  if (!root) return;
  var known = {};
  var stale = false;
  var running = false;
  var again = false;

  // The server's HTML of a part, without the CSRF token (masked anew on every render).
  function normal(html) { return html.replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, ""); }
  function eachPart(container, fn) { Array.prototype.forEach.call(container.querySelectorAll("[data-live-part]"), fn); }
  eachPart(root, function (part) { known[part.dataset.livePart] = normal(part.outerHTML); });

  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.value !== field.defaultValue;
  }

  function inUse(part) {
    var active = document.activeElement;
    if (active && active !== document.body && part.contains(active)) return true;
    if (part.querySelector("details[open], dialog[open]")) return true;
    return Array.prototype.some.call(part.querySelectorAll("input:not([type=hidden]), select, textarea"), changed);
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    stale = false;
    eachPart(fresh, function (part) {
      var name = part.dataset.livePart;
      var text = normal(part.outerHTML);
      var current = root.querySelector('[data-live-part="' + name + '"]');
      if (!current || known[name] === text) return;
      if (inUse(current)) { stale = true; return; }
      current.replaceWith(document.importNode(part, true));
      known[name] = text;
    });
    root.dataset.liveUpdates = String(Number(root.dataset.liveUpdates || 0) + 1);
  }

  function refresh() {
    if (running) { again = true; return; }
    running = true;
    // A part with a data-version is left out of the answer while it has not changed.
    var url = new URL(root.dataset.liveUrl, window.location.href);
    eachPart(root, function (part) {
      if (part.dataset.version) url.searchParams.set("v_" + part.dataset.livePart, part.dataset.version);
    });
    fetch(url, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(swap)
      .catch(function () {})
      .then(function () { running = false; if (again) { again = false; refresh(); } });
  }

  // A part left as it was while in use: brought up to date when the user is done with it.
  function settle() { if (stale) setTimeout(function () { if (!running) refresh(); }, 0); }
  root.addEventListener("focusout", settle);
  root.addEventListener("toggle", settle, true);

  var timer = null;
  function poll() { if (!timer) timer = setInterval(refresh, 5000); }
  if (window.EventSource && root.dataset.eventsUrl) {
    var source = new EventSource(root.dataset.eventsUrl);
    source.addEventListener("ticket", refresh);
    var connected = false;
    // (Re)connected: what happened while the stream was down is read once.
    source.addEventListener("state", function () {
      if (timer) { clearInterval(timer); timer = null; }
      if (connected) refresh();
      connected = true;
    });
    source.onerror = function () { if (source.readyState === EventSource.CLOSED) poll(); };
  } else {
    poll();
  }
})();
