// A form marked data-submit-once goes once: a second click while the page is on its way is
// ignored (the server's idempotency key is the guarantee; this spares the round trip).
// Loaded after any script whose submit handler must run first (proof.js waits for its proof).
(function () {
  "use strict";
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) event.preventDefault();
      form.dataset.sent = "1";
    });
  });
})();
