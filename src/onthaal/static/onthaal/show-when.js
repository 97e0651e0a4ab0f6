// "Show when" of the e-loket's forms, live in the browser: a field marked
// data-show-when-key / data-show-when-value is shown only while the field it names has that
// value (a ticked checkbox counts as "yes"), as the server decides when the form is sent
// (eloket.formspec.is_visible). Without this script every field is shown, with a note saying
// when it is needed; the server ignores the answers of fields that do not apply.
(function () {
  "use strict";
  document.querySelectorAll("form").forEach(function (form) {
    var dependents = form.querySelectorAll("[data-show-when-key]");
    if (!dependents.length) return;

    function valueOf(name) {
      var value = "";
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== name) return;
        if (el.type === "radio") {
          if (el.checked) value = el.value;
        } else if (el.type === "checkbox") {
          value = el.checked ? "yes" : "";
        } else if (el.type !== "file") {
          value = (el.value || "").trim();
        }
      });
      return value;
    }

    function update() {
      dependents.forEach(function (field) {
        var shown = valueOf(field.dataset.showWhenKey) === field.dataset.showWhenValue;
        field.hidden = !shown;
        field.querySelectorAll("input, textarea, select").forEach(function (el) {
          el.disabled = !shown; // not sent while it does not apply
        });
      });
    }

    dependents.forEach(function (field) {
      var note = field.querySelector("[data-show-when-note]");
      if (note) note.hidden = true; // the script shows and hides the field itself
    });
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
})();
