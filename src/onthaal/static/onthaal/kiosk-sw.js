// The kiosk's service worker (docs/queue.md, "The kiosk survives a lost network"). It keeps
// the kiosk's shell — its start page and the stylesheet and scripts that page loads — so that
// a kiosk that reloads or restarts while the network (or the server) is gone still shows its
// start page; kiosk.js then says "Geen verbinding — we proberen opnieuw" and sends a touched
// choice again until the server answers.
//
// Network first, always: the cache is only read when the network gives no answer (or the
// server answers 502-504 through the proxy). Only GETs of the start page and of its assets
// are kept. A ticket (a POST) never passes through here: it always goes to the server, with
// its submission key, so nothing is issued from the cache and nothing twice. A ticket page is
// never kept. The start page kept offers spent submission keys: kiosk.js gives each form a
// fresh key when a page opens.
"use strict";

var CACHE = "onthaal-kiosk-v1";
var START = /^\/kiosk\/[A-Za-z0-9_-]+\/$/;
var ASSETS = ["style", "script", "image", "font"];

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("onthaal-kiosk-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function sameOrigin(url) {
  return url.origin === self.location.origin;
}

function isStart(url) {
  return sameOrigin(url) && START.test(url.pathname) && !url.search;
}

function keep(request, response) {
  if (!response || response.status !== 200 || response.type !== "basic") return;
  if (response.redirected) return; // a page answered by a redirect is no page to open
  var copy = response.clone();
  caches.open(CACHE).then(function (cache) { return cache.put(request.url, copy); });
}

function fromCache(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request.url, { ignoreVary: true });
  });
}

// The page sends the addresses of its shell once the worker is active (kiosk.js): the start
// page and what it loaded before the worker controlled it.
self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.shell) || [];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (address) {
      var url = new URL(address, self.location.href);
      if (!sameOrigin(url)) return null;
      return fetch(url.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 200 && !response.redirected) {
            return cache.put(url.href, response);
          }
          return null;
        }, function () { return null; });
    }));
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return; // a ticket always goes to the server
  var url = new URL(request.url);
  var shell = isStart(url) || (sameOrigin(url) && ASSETS.indexOf(request.destination) !== -1);
  if (!shell) return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.status >= 502 && response.status <= 504) {
        return fromCache(request).then(function (hit) { return hit || response; });
      }
      keep(request, response);
      return response;
    }, function () {
      return fromCache(request).then(function (hit) { return hit || Response.error(); });
    })
  );
});
