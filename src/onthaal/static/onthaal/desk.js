// Desk app: keyboard shortcuts and live refresh of the desk panel when the location changes.
(function () {
  "use strict";
  var live = document.getElementById("desk-live");
  if (!live) return;
  var refreshing = false;
  function refresh() {
    if (refreshing || live.contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) return;
    refreshing = true;
    fetch(live.dataset.fragmentUrl, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () {})
      .then(function () { refreshing = false; });
  }
  if (window.EventSource) {
    var source = new EventSource(live.dataset.eventsUrl);
    source.addEventListener("ticket", refresh);
    source.onerror = function () { if (source.readyState === EventSource.CLOSED) setInterval(refresh, 5000); };
  } else {
    setInterval(refresh, 5000);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.matches("input, select, textarea")) return;
    var button = live.querySelector('[data-key="' + event.key.toLowerCase() + '"]:not([disabled])');
    if (button) { event.preventDefault(); button.click(); }
  });
  // A double click never submits twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
