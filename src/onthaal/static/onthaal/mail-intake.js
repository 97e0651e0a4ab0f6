// Mail intake: drop several scans at once and see each upload's progress. Without this script
// the form posts its files as usual; with it, each file (or all of them, as the pages of one
// letter) is sent in a request of its own, with a key that registers it once if it is retried.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = form.querySelector('input[type="file"]');
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("upload-list");
  var rowTemplate = document.getElementById("upload-row");
  var done = document.getElementById("registered");
  var doneList = document.getElementById("registered-list");
  var oneItem = form.querySelector('input[name="one_item"]');
  var failures = 0;
  // What belongs to one letter: cleared after a registration that fully succeeded, so that
  // the next scan is not registered with the previous letter's sender, subject or route.
  var perLetter = ["correspondent", "correspondent_email", "subject", "department",
    "document_type", "handler", "note"];

  function key() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change"));
    }
  });
  input.addEventListener("change", function () {
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var row = rowTemplate.content.firstElementChild.cloneNode(true);
      row.querySelector(".upload-name").textContent = file.name;
      list.appendChild(row);
    });
  });

  function fields() {
    var data = new FormData(form);
    data.delete("scans");
    return data;
  }

  function send(files, rows) {
    return new Promise(function (resolve) {
      var data = fields();
      files.forEach(function (file) { data.append("scans", file, file.name); });
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("Idempotency-Key", key());
      request.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) { return; }
        rows.forEach(function (row) { row.querySelector("progress").value = Math.round(100 * event.loaded / event.total); });
      });
      request.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (error) { body = {}; }
        rows.forEach(function (row) {
          var status = row.querySelector(".upload-status");
          if (request.status === 201) {
            row.querySelector("progress").value = 100;
            status.className = "upload-status done";
            status.textContent = body.items.map(function (i) { return i.register_number; }).join(", ");
          } else {
            failures += 1;
            status.className = "upload-status failed";
            var problems = [];
            Object.keys(body.fields || {}).forEach(function (name) { problems = problems.concat(body.fields[name]); });
            status.textContent = problems.length ? problems.join(" ") : (body.message || request.statusText);
          }
        });
        (body.items || []).forEach(function (item) {
          var li = document.createElement("li");
          var label = item.register_number + " — " + item.department +
            (item.handler ? " — " + item.handler : "");
          if (item.url) {
            var link = document.createElement("a");
            link.href = item.url;
            link.textContent = label;
            li.appendChild(link);
          } else {
            li.textContent = label;
          }
          doneList.appendChild(li);
          done.hidden = false;
        });
        resolve();
      });
      request.addEventListener("error", function () {
        failures += 1;
        rows.forEach(function (row) {
          var status = row.querySelector(".upload-status");
          status.className = "upload-status failed";
          status.textContent = form.getAttribute("data-network-error") || "?";
        });
        resolve();
      });
      request.send(data);
    });
  }

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.name === "suggest") { return; }
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { return; }
    event.preventDefault();
    var rows = Array.prototype.slice.call(list.querySelectorAll(".upload-row"));
    var button = document.getElementById("register-button");
    button.disabled = true;
    failures = 0;
    var work;
    if (oneItem && oneItem.checked) {
      work = send(files, rows);
    } else {
      // One after the other: the register numbers follow the order of the scans.
      work = files.reduce(function (previous, file, index) {
        return previous.then(function () { return send([file], [rows[index]]); });
      }, Promise.resolve());
    }
    work.then(function () {
      button.disabled = false;
      input.value = "";
      if (failures) { return; }
      perLetter.forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field) { field.value = ""; }
      });
      if (oneItem) { oneItem.checked = false; }
    });
  });
}());
