// Proof of work on the citizen's booking form (ALTCHA's v1 payload; see
// onthaal/appointments/proof.py). While the citizen fills in the form, find the number n with
// SHA-256(salt + n) == challenge, in small batches so the page stays responsive, and put
// base64(JSON {algorithm, challenge, number, salt, signature}) into the hidden field. Then
// spend it on holding the chosen time (data-proof-hold: the server keeps it for the citizen
// while the form is filled in, and the confirmation needs no other proof). When the time
// cannot be held (gone, or too many holds from this connection), solve a fresh challenge, so
// the form books without a hold. A submit before that waits for it; a solution about to expire
// is redone with a fresh challenge.
(function () {
  "use strict";
  var form = document.querySelector("form[data-proof-challenge]");
  if (!form) return;
  var field = form.querySelector("input[name=altcha]");
  var status = document.getElementById(form.dataset.proofStatus);
  var BATCH = 400; // hashes per step; the page gets a turn between steps
  var MARGIN = 30 * 1000; // ask for a fresh challenge this long before expiry
  var encoder = new TextEncoder();
  var expiresAt = 0;
  var failed = false;
  var waiting = false;
  var held = false;
  var holdUrl = form.dataset.proofHold;
  var solving;

  function say(text) {
    if (status) status.textContent = text;
  }

  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += bytes[i].toString(16).padStart(2, "0");
    return out;
  }

  function pause() {
    return new Promise(function (resolve) { setTimeout(resolve, 0); });
  }

  async function find(challenge) {
    for (var first = 0; first <= challenge.maxNumber; first += BATCH) {
      var last = Math.min(first + BATCH - 1, challenge.maxNumber);
      var digests = [];
      for (var n = first; n <= last; n++) {
        digests.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)));
      }
      var hashes = await Promise.all(digests);
      for (var i = 0; i < hashes.length; i++) {
        if (hex(hashes[i]) === challenge.challenge) return first + i;
      }
      await pause();
    }
    throw new Error("no number solves this challenge");
  }

  async function solve(challenge) {
    field.value = "";
    failed = false;
    say(status.dataset.working);
    var number = await find(challenge);
    field.value = btoa(JSON.stringify({
      algorithm: challenge.algorithm,
      challenge: challenge.challenge,
      number: number,
      salt: challenge.salt,
      signature: challenge.signature,
    }));
    var expires = /[?&]expires=(\d+)/.exec(challenge.salt);
    expiresAt = expires ? Number(expires[1]) * 1000 : Infinity;
    say(status.dataset.ready);
  }

  async function fresh() {
    var response = await fetch(form.dataset.proofRefresh, {
      cache: "no-store",
      credentials: "same-origin",
      headers: {Accept: "application/json"},
    });
    if (!response.ok) throw new Error("no challenge: " + response.status);
    return solve(await response.json());
  }

  async function holdTime() {
    if (!holdUrl) return;
    var url = holdUrl;
    holdUrl = ""; // one hold per page
    var body = new FormData();
    ["csrfmiddlewaretoken", "product", "persons", "location", "start", "altcha"].forEach(
      function (name) {
        form.querySelectorAll("input[name=" + name + "]").forEach(function (input) {
          body.append(name, input.value);
        });
      }
    );
    var response = await fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {Accept: "application/json"},
    });
    if (response.ok) {
      held = true;
      field.value = ""; // spent on the hold
      var note = document.getElementById(form.dataset.proofHoldNote);
      if (note) note.hidden = false;
      return;
    }
    var error = {};
    try { error = await response.json(); } catch (e) { /* no body */ }
    await fresh();
    if (response.status === 409 && error.message) say(error.message);
  }

  function begin(work) {
    solving = work.catch(function () {
      field.value = "";
      failed = true;
      say(status.dataset.failed);
    });
  }

  if (!(window.crypto && crypto.subtle)) {
    failed = true;
    say(status.dataset.failed);
  } else {
    begin(solve(JSON.parse(document.getElementById(form.dataset.proofChallenge).textContent))
      .then(holdTime));
  }

  // Registered before the page's double-submit guard, which only sees the submit that goes.
  form.addEventListener("submit", function (event) {
    var ready = held || (field.value && Date.now() < expiresAt - MARGIN);
    if (ready || failed) return; // a failed check goes to the server, which says what to do
    event.preventDefault();
    event.stopImmediatePropagation();
    if (waiting) return;
    waiting = true;
    var submitter = event.submitter;
    if (field.value) begin(fresh()); // solved, but about to expire
    else say(status.dataset.working);
    solving.then(function () {
      waiting = false;
      if (form.requestSubmit) form.requestSubmit(submitter || undefined);
      else form.submit();
    });
  });
})();
