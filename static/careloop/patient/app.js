/* Careloop patient app: installs the service worker, keeps answers given offline in an IndexedDB
 * outbox (vendored idb) with an idempotency key each, and sends each one when the connection returns.
 * The server stores a key once, so a resend after a lost reply never stores a second answer.
 * No strings here: every message the patient reads comes translated from #offline-strings. */
(function () {
  "use strict";

  var DB_NAME = "careloop-offline";
  var STORE = "outbox";

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.content : "";
  }

  function text(name) {
    var strings = document.getElementById("offline-strings");
    return strings ? strings.dataset[name] || "" : "";
  }

  function say(name) {
    var status = document.getElementById("offline-status");
    if (!status) return;
    status.textContent = text(name);
    status.hidden = false;
    status.dataset.state = name;
  }

  var outbox = null;

  function openOutbox() {
    if (!outbox) {
      outbox = idb.openDB(DB_NAME, 1, {
        upgrade: function (db) { db.createObjectStore(STORE, { keyPath: "key" }); },
      });
    }
    return outbox;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  /* A check-in becomes a JSON body for the responses API; anything else is posted as its own form. */
  function entryFor(form) {
    var key = newKey();
    var data = new FormData(form);
    if (form.dataset.offlineQueue === "check-in") {
      var answers = {};
      data.forEach(function (value, name) {
        if (name.indexOf("item-") === 0) answers[name.slice(5)] = Number(value);
      });
      return {
        key: key, queuedAt: Date.now(), kind: "check-in",
        url: "/api/v1/patients/" + meta("careloop-patient") + "/responses",
        contentType: "application/json",
        body: JSON.stringify({ instrument: form.dataset.instrument, answers: answers }),
      };
    }
    data.set("idempotency_key", key);
    data.delete("csrfmiddlewaretoken");
    return {
      key: key, queuedAt: Date.now(), kind: "form", url: form.action || location.pathname,
      contentType: "application/x-www-form-urlencoded",
      body: new URLSearchParams(data).toString(),
    };
  }

  async function queue(form) {
    var db = await openOutbox();
    await db.put(STORE, entryFor(form));
    form.reset();
    say("queued");
  }

  async function send(entry) {
    var response = await fetch(entry.url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": entry.contentType, "Idempotency-Key": entry.key, "X-CSRFToken": meta("csrf-token") },
      body: entry.body,
    });
    return response.status;
  }

  var flushing = null;

  /* Send every queued answer, oldest first; keep what the network or the session could not take. */
  function flush() {
    if (flushing) return flushing;
    flushing = (async function () {
      var db = await openOutbox();
      var entries = (await db.getAll(STORE)).filter(function (e) { return !e.failed; });
      entries.sort(function (a, b) { return a.queuedAt - b.queuedAt; });
      if (!entries.length) { document.documentElement.dataset.outbox = "empty"; return; }
      if (!navigator.onLine) return;
      say("sending");
      for (var i = 0; i < entries.length; i++) {
        var status;
        try { status = await send(entries[i]); } catch (error) { return; }  // still offline: keep all
        if (status === 401 || status === 403 || status === 0) { say("login"); return; }
        if (status >= 500) return;
        if (status >= 400) {
          entries[i].failed = true;
          await db.put(STORE, entries[i]);
          say("failed");
          continue;
        }
        await db.delete(STORE, entries[i].key);
      }
      if (document.getElementById("offline-status").dataset.state !== "failed") say("sent");
      document.documentElement.dataset.outbox = "empty";
    })().finally(function () { flushing = null; });
    return flushing;
  }

  function watchForms() {
    document.querySelectorAll("form[data-offline-queue]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (navigator.onLine) return;  // online: the server answers, with crisis help if needed
        event.preventDefault();
        queue(form);
      });
    });
  }

  /* Log-out: send what is queued, then leave no page, answer or cache behind on the device. */
  function watchLogout() {
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.cleared) return;
        event.preventDefault();
        var done = function () { form.dataset.cleared = "1"; form.submit(); };
        var atMost = new Promise(function (resolve) { setTimeout(resolve, 4000); });  // never block log-out
        Promise.race([flush().catch(function () {}).then(clearDevice), atMost]).then(done, done);
      });
    });
  }

  async function clearDevice() {
    if (window.caches) {
      var names = await caches.keys();
      await Promise.all(names.map(function (name) { return caches.delete(name); }));
    }
    if (navigator.serviceWorker) {
      var registrations = await navigator.serviceWorker.getRegistrations();
      await Promise.all(registrations.map(function (r) { return r.unregister(); }));
    }
    if (outbox) { (await outbox).close(); outbox = null; }
    await idb.deleteDB(DB_NAME);
  }

  /* Ask the service worker to keep this patient's due check-ins and exercises for offline use;
   * resolves when it has them (or after a while), so nothing else races those requests. */
  function keepForOffline(registration) {
    var links = document.querySelectorAll("[data-offline-url]");
    var urls = Array.prototype.map.call(links, function (a) { return a.getAttribute("href"); });
    var worker = registration.active;
    if (!worker) return Promise.resolve();
    return new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { resolve(); };
      worker.postMessage({ type: "keep", urls: urls.concat([location.pathname]) }, [channel.port2]);
      setTimeout(resolve, 20000);
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    var stage = function (name) { document.documentElement.dataset.offlineStage = name; };
    stage("registering");
    return navigator.serviceWorker.register(meta("careloop-sw"), { scope: "/" }).then(function () {
      stage("registered");
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      stage("keeping");
      return keepForOffline(registration);
    }).then(function () {
      document.documentElement.dataset.offlineReady = "yes";
    }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchForms();
    watchLogout();
    window.addEventListener("online", flush);
    window.addEventListener("offline", function () { say("offline"); });
    if (!navigator.onLine) say("offline");
    // First what was answered offline, then what to keep for next time: one request at a time.
    flush().catch(function () {}).then(registerWorker);
  });
})();
