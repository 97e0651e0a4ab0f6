// Desk app: keyboard shortcuts (the live refresh is live.js). A key works outside form
// fields only; "O" opens the hand-over panel and puts the focus in it.
(function () {
  "use strict";
  var live = document.getElementById("desk-live");
  if (!live) return;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.matches("input, select, textarea")) return;
    var control = live.querySelector('[data-key="' + event.key.toLowerCase() + '"]:not([disabled])');
    if (!control) return;
    event.preventDefault();
    if (control.tagName === "SUMMARY") {
      var panel = control.parentElement;
      panel.open = true;
      var first = panel.querySelector("select, input:not([type=hidden]), textarea");
      if (first) first.focus();
      return;
    }
    control.click();
  });
  // A double click never submits twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
