// The officer's referral is never lost to a weak signal, and never left readable on the phone.
// If the network drops while the form is being sent, the form is kept on the phone (IndexedDB)
// encrypted (AES-GCM) with the officer's queue key, and sent again when the connection
// returns. The key comes from the server (referrals:queue_key) and lives in this page's memory
// only: after sign-out nothing on the phone can read the queue. Each entry is marked with its
// officer (an opaque tag), so another officer signing in on the same phone neither sees nor
// sends it; the officer who queued it gets it back at their next sign-in (same key), and it is
// sent once: the form carries an idempotency key that the server honours.
(function (global) {
  "use strict";

  var DB_NAME = "diversion-offline";
  var STORE = "referrals";
  var LOCK = "diversion-referral-queue";
  var memory = [];  // queued while no key could be had (page loaded without signal)
  var access = null;  // {key: CryptoKey, owner: string} once fetched

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

  function fromBase64Url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = global.atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  // The officer's key, fetched once per page while there is signal; null without it.
  function getAccess(url) {
    if (access) return Promise.resolve(access);
    if (!url || !global.crypto || !global.crypto.subtle) return Promise.resolve(null);
    return global.fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) return null;
        return response.json().then(function (body) {
          return global.crypto.subtle.importKey(
            "raw", fromBase64Url(body.key), { name: "AES-GCM" }, false,
            ["encrypt", "decrypt"]
          ).then(function (key) {
            access = { key: key, owner: body.owner };
            return access;
          });
        });
      }).catch(function () { return null; });
  }

  function seal(secret, payload) {
    var iv = global.crypto.getRandomValues(new Uint8Array(12));
    var plain = new TextEncoder().encode(JSON.stringify(payload));
    return global.crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, secret.key, plain)
      .then(function (data) { return { iv: iv, data: data }; });
  }

  function open(secret, entry) {
    return global.crypto.subtle.decrypt({ name: "AES-GCM", iv: entry.iv }, secret.key, entry.data)
      .then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
  }

  // One sender at a time across the page and other tabs.
  function exclusive(work) {
    if (global.navigator.locks && global.navigator.locks.request) {
      return global.navigator.locks.request(LOCK, work);
    }
    return work();
  }

  // This officer's queued referrals, opened: [{entry, payload}]. Others' are left alone.
  function mine(secret) {
    if (!secret) return Promise.resolve([]);
    return queueAll().then(function (entries) {
      return Promise.all(entries.filter(function (e) { return e.owner === secret.owner; })
        .map(function (entry) {
          return open(secret, entry).then(function (payload) {
            return { entry: entry, payload: payload };
          }, function () { return null; });
        })).then(function (list) { return list.filter(Boolean); });
    });
  }

  // Send every referral this officer queued, once. onSent(item, html) is told of each one the
  // server took; csrf is the current page's token (the one kept would be the last session's).
  function flush(keyUrl, csrf, onSent) {
    return exclusive(function () {
      return getAccess(keyUrl).then(function (secret) {
        return mine(secret).then(function (stored) {
          var items = memory.map(function (m) { return { entry: m, payload: m.payload }; })
            .concat(stored);
          return items.reduce(function (chain, item) {
            return chain.then(function () { return send(item, csrf, onSent); });
          }, Promise.resolve());
        });
      });
    });
  }

  function send(item, csrf, onSent) {
    var body = new URLSearchParams();
    item.payload.fields.forEach(function (pair) {
      if (pair[0] !== "csrfmiddlewaretoken") body.append(pair[0], pair[1]);
    });
    body.append("csrfmiddlewaretoken", csrf || "");
    return global.fetch(item.payload.action, {
      method: "POST", body: body, credentials: "same-origin", redirect: "follow",
      headers: { "HX-Request": "true", "X-CSRFToken": csrf || "" }
    }).then(function (response) {
      // 2xx: the server has it (a decision, or the form back with its errors to fix).
      // Anything else (signed out, server trouble) stays queued for the next try.
      if (!response.ok) return false;
      return response.text().then(function (html) {
        memory = memory.filter(function (m) { return m.key !== item.entry.key; });
        return queueDelete(item.entry.key).then(function () {
          if (onSent) onSent(item, html);
          return true;
        });
      });
    }, function () { return false; });
  }

  global.DiversionQueue = { all: queueAll, flush: flush };

  if (typeof document === "undefined") return;

  // -- the referral page --------------------------------------------------------------------
  var script = document.currentScript;
  var text = script ? script.dataset : {};
  var keyUrl = text.keyUrl || "";
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

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function fields(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") pairs.push([name, String(value)]);
    });
    return pairs;
  }

  function valueOf(pairs, name) {
    return (pairs.filter(function (p) { return p[0] === name; })[0] || [])[1] || "";
  }

  // Given name and initial: enough for the officer to recognise their referral, shown only to them.
  function labelOf(pairs) {
    var family = valueOf(pairs, "family_name");
    return (valueOf(pairs, "given_name") + " " + (family ? family[0] + "." : "")).trim();
  }

  function sayQueued(label) {
    say((text.queued || "Queued: will send when you are back online") +
        (label ? " (" + label + ")" : ""), "queued");
  }

  function keep(form) {
    var data = fields(form);
    var key = valueOf(data, "idempotency_key");
    if (!key) return Promise.resolve();
    var payload = { action: form.action, fields: data, label: labelOf(data) };
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    return getAccess(keyUrl).then(function (secret) {
      if (!secret) {
        // No key on a page loaded without signal: keep it in this page only, and say so.
        memory = memory.filter(function (m) { return m.key !== key; });
        memory.push({ key: key, payload: payload });
        say(text.memory || "Queued on this page only: keep it open until the signal returns.",
            "queued");
        return;
      }
      return seal(secret, payload).then(function (sealed) {
        return queuePut({ key: key, owner: secret.owner, iv: sealed.iv, data: sealed.data,
                          queuedAt: new Date().toISOString() });
      }).then(function () { sayQueued(payload.label); });
    });
  }

  function shown(item, html) {
    var intake = document.getElementById("intake");
    var form = intake && intake.querySelector("form.referral-form");
    var current = form && form.querySelector("input[name=idempotency_key]");
    if (current && current.value === item.entry.key) {
      intake.innerHTML = html;
      if (global.htmx) global.htmx.process(intake);
    }
    var label = item.payload.label;
    say((text.sent || "Sent: the queued referral has reached the office.") +
        (label ? " (" + label + ")" : ""), "sent");
  }

  function trySend() {
    if (global.navigator.onLine === false) return;
    flush(keyUrl, csrfToken(), shown).catch(function () {});
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
  // Leaving a page that holds a referral in memory only would lose it: ask first.
  global.addEventListener("beforeunload", function (event) {
    if (memory.length) { event.preventDefault(); event.returnValue = ""; }
  });
  if (global.navigator.serviceWorker && text.sw) {
    global.navigator.serviceWorker.register(text.sw, { scope: "/" }).catch(function () {});
  }
  // At sign-in (or any load): this officer's queued referrals are shown, then sent.
  getAccess(keyUrl).then(mine).then(function (items) {
    if (items.length) {
      sayQueued(items.map(function (i) { return i.payload.label; }).join(", "));
      trySend();
    }
  }).catch(function () {});
  global.setInterval(trySend, 30000);
})(self);
