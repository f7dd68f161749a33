// Service worker of the officer's referral page (served at /sw.js, scope "/").
// - Static files: from the cache when the network fails.
// - The referral page: from the network, else the last copy (so a reload without signal
//   still shows the form; offline-queue.js gives each load a fresh idempotency key).
// - Background Sync: sends the referrals queued in IndexedDB when the connection returns,
//   even if the page was closed, and tells any open page what the server answered.
"use strict";

var CACHE = "diversion-v1";
var queueScript = new URL(self.location).searchParams.get("queue") || "";
if (queueScript) {
  var url = new URL(queueScript, self.location);
  if (url.origin === self.location.origin) importScripts(url.pathname);
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

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

function tellPages(entry, html) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) {
      page.postMessage({ type: "referral-sent", entry: { key: entry.key }, html: html });
    });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "diversion-referral-queue" && self.DiversionQueue) {
    event.waitUntil(self.DiversionQueue.flush(tellPages));
  }
});
