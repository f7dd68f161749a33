// Service worker of the officer's referral page (served at /sw.js, scope "/").
// - Static files: from the cache when the network fails.
// - The referral page: from the network, else the last copy (so a reload without signal
//   still shows the form; offline-queue.js gives each load a fresh idempotency key).
// The queued referrals are sent by the page, not here: they are encrypted with a key the page
// holds in memory only (offline-queue.js), so the worker could not read them, and should not.
"use strict";

var CACHE = "diversion-v2";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  // Drop the caches of earlier versions, then take the open pages.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;  // posts go straight to the network
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var isStatic = url.pathname.indexOf("/static/") === 0;
  var isForm = request.mode === "navigate" && /\/referrals\/new\/$/.test(url.pathname);
  if (!isStatic && !isForm) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (hit) { return hit || Response.error(); });
  }));
});
