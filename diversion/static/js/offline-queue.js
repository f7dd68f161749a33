// The officer's referral is never lost to a weak signal.
// If the network drops while the form is being sent, the form's fields are kept on the phone
// (IndexedDB) and sent again when the connection returns. The form carries an idempotency key
// that the server honours, so a referral that did reach the server before the answer was lost
// is answered with the first referral, never made twice. Loaded by the referral page and, via
// importScripts, by the service worker (sw.js), which also sends the queue on Background Sync.
(function (global) {
  "use strict";

  var DB_NAME = "diversion-offline";
  var STORE = "referrals";
  var LOCK = "diversion-referral-queue";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = global.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && result.result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function queuePut(entry) { return tx("readwrite", function (s) { return s.put(entry); }); }
  function queueDelete(key) { return tx("readwrite", function (s) { return s.delete(key); }); }
  function queueAll() { return tx("readonly", function (s) { return s.getAll(); }); }

  // One sender at a time across the page, other tabs and the service worker.
  function exclusive(work) {
    if (global.navigator.locks && global.navigator.locks.request) {
      return global.navigator.locks.request(LOCK, work);
    }
    return work();
  }

  // Send every queued referral once. onSent(entry, html) is told of each one the server took.
  function flush(onSent) {
    return exclusive(function () {
      return queueAll().then(function (entries) {
        return entries.reduce(function (chain, entry) {
          return chain.then(function () { return send(entry, onSent); });
        }, Promise.resolve());
      });
    });
  }

  function send(entry, onSent) {
    var body = new URLSearchParams();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return global.fetch(entry.action, {
      method: "POST", body: body, credentials: "same-origin", redirect: "follow",
      headers: { "HX-Request": "true", "X-CSRFToken": entry.csrf || "" }
    }).then(function (response) {
      // 2xx: the server has it (a decision, or the form back with its errors to fix).
      // Anything else (signed out, server trouble) stays queued for the next try.
      if (!response.ok) return false;
      return response.text().then(function (html) {
        return queueDelete(entry.key).then(function () {
          if (onSent) onSent(entry, html);
          return true;
        });
      });
    }, function () { return false; });
  }

  global.DiversionQueue = { put: queuePut, all: queueAll, flush: flush };

  if (typeof document === "undefined") return;  // the service worker stops here

  // -- the referral page --------------------------------------------------------------------
  var script = document.currentScript;
  var text = script ? script.dataset : {};
  var banner;

  function say(message, kind) {
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "offline-status";
      banner.className = "msg";
      banner.setAttribute("role", "status");
      var intake = document.getElementById("intake");
      intake.parentNode.insertBefore(banner, intake);
    }
    banner.className = "msg" + (kind ? " " + kind : "");
    banner.textContent = message;
  }

  function fields(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) { pairs.push([name, String(value)]); });
    return pairs;
  }

  function keep(form) {
    var data = fields(form);
    var key = (data.filter(function (p) { return p[0] === "idempotency_key"; })[0] || [])[1];
    if (!key) return Promise.resolve();
    var csrf = (data.filter(function (p) { return p[0] === "csrfmiddlewaretoken"; })[0] || [])[1];
    return queuePut({ key: key, action: form.action, fields: data, csrf: csrf,
                      queuedAt: new Date().toISOString() }).then(function () {
      say(text.queued || "Queued: will send when you are back online", "queued");
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
      if (global.navigator.serviceWorker && global.navigator.serviceWorker.ready) {
        global.navigator.serviceWorker.ready.then(function (reg) {
          if (reg.sync) return reg.sync.register(LOCK);
        }).catch(function () {});
      }
    });
  }

  function shown(entry, html) {
    var intake = document.getElementById("intake");
    var form = intake && intake.querySelector("form.referral-form");
    var current = form && form.querySelector("input[name=idempotency_key]");
    if (current && current.value === entry.key) {
      intake.innerHTML = html;
      if (global.htmx) global.htmx.process(intake);
    }
    say(text.sent || "Sent: the queued referral has reached the office.", "sent");
  }

  function trySend() {
    if (global.navigator.onLine === false) return;
    flush(shown).catch(function () {});
  }

  // htmx could not reach the server (no signal, or the answer was lost on the way back).
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.target.closest && event.target.closest("form.referral-form");
    if (form) keep(form);
  });
  // Known to be offline before sending: keep it without trying. Other requests of the form
  // (the name lookup) cannot succeed either; skipped, they leave the submit button enabled.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("form.referral-form");
    if (!form || global.navigator.onLine !== false) return;
    event.preventDefault();
    var config = event.detail.requestConfig;
    if (config && config.verb === "post") keep(form);
  });
  // The service worker may show a copy of the form kept from an earlier visit: give every
  // load its own key, so two referrals typed offline never share one.
  var keyField = document.querySelector("#intake form.referral-form input[name=idempotency_key]");
  if (keyField && global.crypto && global.crypto.randomUUID && !document.querySelector(
      "#intake .errorlist, #intake #form-errors")) {
    keyField.value = global.crypto.randomUUID();
  }
  global.addEventListener("online", trySend);
  // A lookup in flight when the signal drops may never end, and htmx keeps the submit button
  // disabled until it does: give the button back, so the referral can be kept (queued).
  global.addEventListener("offline", function () {
    var buttons = document.querySelectorAll("#intake form.referral-form button[type=submit]");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false;
  });
  if (global.navigator.serviceWorker) {
    global.navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "referral-sent") shown(event.data.entry, event.data.html);
    });
    if (text.sw) {
      global.navigator.serviceWorker.register(text.sw + "?queue=" + encodeURIComponent(script.src),
                                              { scope: "/" }).catch(function () {});
    }
  }
  queueAll().then(function (entries) {
    if (entries.length) {
      say(text.queued || "Queued: will send when you are back online", "queued");
      trySend();
    }
  }).catch(function () {});
  global.setInterval(trySend, 30000);
})(self);
