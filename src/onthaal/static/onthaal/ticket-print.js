// The printable ticket (?print=1): printed at once. A kiosk's Chromium started with
// --kiosk-printing prints it without a dialog (docs/queue.md); elsewhere the dialog opens.
(function () {
  "use strict";
  var button = document.querySelector("[data-print-ticket]");
  if (button) button.addEventListener("click", function () { window.print(); });
  window.addEventListener("load", function () { window.print(); });
})();
