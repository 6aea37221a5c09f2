{% load static %}/* Careloop service worker (served by Django at /sw.js so its scope is the whole site).
 * Offline it serves the app shell, crisis help, the safety plan and the patient's own due check-ins
 * and exercises from the cache. It never caches the API, never caches a page that was redirected
 * (a log-in page) and caches only the patient's own /me/ pages, which log-out deletes. */
"use strict";

const VERSION = "{{ version }}";
const SHELL_CACHE = "careloop-shell-" + VERSION;
const PAGE_CACHE = "careloop-pages-" + VERSION;
const OFFLINE_PAGE = "{% url 'patient:offline' %}";
const SHELL = [
  "{% static 'careloop/app.css' %}",
  "{% static 'careloop/favicon.svg' %}",
  "{% static 'careloop/patient/app.js' %}",
  "{% static 'careloop/patient/exercises.js' %}",
  "{% static 'careloop/patient/progress.js' %}",
  "{% static 'vendor/idb/umd.js' %}",
];
const PAGES = [
  OFFLINE_PAGE,
  "{% url 'patient:overview' %}",
  "{% url 'safety:my_help' %}",
  "{% url 'safety:my_plan' %}",
  "{% url 'patient:check_ins' %}",
  "{% url 'patient:exercises' %}",
];
// Only the patient's own pages may be kept, and never these (they change data or stream a file).
const KEEP = /^\/me\/(?:$|help\/$|safety-plan\/$|offline\/$|check-ins\/(?:[a-z0-9_-]+\/)?$|exercises\/(?:[a-z0-9_-]+\/)?$)/;

async function keep(cache, url) {
  const path = new URL(url, self.location.origin);
  if (path.origin !== self.location.origin || !KEEP.test(path.pathname)) return;
  try {
    const response = await fetch(path.pathname, { credentials: "same-origin" });
    if (response.ok && !response.redirected) await cache.put(path.pathname, response);
  } catch (error) { /* offline: keep what we have */ }
}

// One page at a time: the server is not asked for a burst of pages at once.
async function keepAll(cache, urls) {
  for (const url of urls) await keep(cache, url);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    await shell.addAll(SHELL);
    const pages = await caches.open(PAGE_CACHE);
    await keepAll(pages, PAGES);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n !== SHELL_CACHE && n !== PAGE_CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "keep" && Array.isArray(event.data.urls)) {
    const reply = event.ports[0];
    event.waitUntil(caches.open(PAGE_CACHE).then((cache) => keepAll(cache, event.data.urls)).then(() => {
      if (reply) reply.postMessage("kept");
    }));
  }
  if (event.data && event.data.type === "forget") {
    event.waitUntil(caches.keys().then((names) => Promise.all(names.map((n) => caches.delete(n)))));
  }
});

async function fromNetworkThenCache(request) {
  const path = new URL(request.url).pathname;
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && KEEP.test(path)) {
      const cache = await caches.open(PAGE_CACHE);
      await cache.put(path, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await caches.match(path, { ignoreSearch: true });
    if (cached) return cached;
    if (path.startsWith("/me/")) {
      const offline = await caches.match(OFFLINE_PAGE);
      if (offline) return offline;
    }
    return Response.error();
  }
}

async function fromCacheThenNetwork(request) {
  const cached = await caches.match(request);
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;  // never cached: always the network
  if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(fromCacheThenNetwork(request));
  } else if (request.mode === "navigate" && url.pathname.startsWith("/me/")) {
    event.respondWith(fromNetworkThenCache(request));
  }
});
