/* The service worker of the certificate verification page: keeps the page, its
 * scripts, the trust list and the DCC schemas, so that a verifier keeps working without a connection
 * after one visit. Network first (a fresh trust list when online), the kept copy when
 * offline. It answers for these addresses only; every other request goes to the
 * network untouched. */
"use strict";

const CACHE = "epidesk-dcc-verify-2";
const KEPT = [
  "/certificates/verify",
  "/static/dcc-schema.js",
  "/static/dcc-verify.js",
  "/static/epidesk.css",
  "/assets/jsqr/dist/jsQR.js",
  "/api/public/certificates/trust-list",
  "/api/public/certificates/schemas",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEPT))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin
      || !KEPT.includes(url.pathname)) {
    return;
  }
  event.respondWith(
    fetch(event.request, { credentials: "omit" }).then((answer) => {
      if (answer.ok) {
        const copy = answer.clone();
        caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
      }
      return answer;
    }).catch(() => caches.open(CACHE).then((cache) => cache.match(url.pathname))
      .then((kept) => kept || Response.error())),
  );
});
