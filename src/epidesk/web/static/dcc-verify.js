/* Verifying EU DCC-format certificates in the browser, offline once visited.
 *
 * The QR code is read with jsQR (from a camera frame or an image file), the text
 * decoded here (base45, zlib through DecompressionStream, CBOR) and the COSE_Sign1
 * signature checked with WebCrypto (ES256: ECDSA P-256; PS256: RSA-PSS) against the
 * platform's trust list; the payload is validated (dcc-schema.js) against the DCC
 * schema of the version it states, the very schema the server checks. The service worker
 * keeps the trust list and the schemas for use without a connection.
 * Nothing about the certificate or its holder leaves the browser.
 */
(function () {
  "use strict";

  const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const TRUST_LIST = "/api/public/certificates/trust-list";
  const SCHEMAS = "/api/public/certificates/schemas";
  const KINDS = { v: "vaccination", t: "test", r: "recovery" };

  class Failure extends Error {
    constructor(step, detail) { super(detail || step); this.step = step; }
  }

  function b45decode(text) {
    const values = [];
    for (const ch of text) {
      const v = ALPHABET.indexOf(ch);
      if (v < 0) throw new Failure("base45", "a character outside the alphabet");
      values.push(v);
    }
    if (values.length % 3 === 1) throw new Failure("base45", "a single trailing character");
    const out = [];
    for (let i = 0; i < values.length; i += 3) {
      if (i + 2 < values.length) {
        const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
        if (n > 0xffff) throw new Failure("base45", "a group above 65535");
        out.push(n >> 8, n & 0xff);
      } else {
        const n = values[i] + values[i + 1] * 45;
        if (n > 0xff) throw new Failure("base45", "a pair above 255");
        out.push(n);
      }
    }
    return new Uint8Array(out);
  }

  async function inflate(bytes) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      throw new Failure("zlib", "not a zlib stream");
    }
  }

  /* A small CBOR decoder (RFC 8949): definite lengths, maps as Map, byte strings as
   * Uint8Array, tags as {tag, value}. */
  function cbor(bytes, step) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    function need(n) { if (pos + n > bytes.length) throw new Failure(step, "truncated CBOR"); }
    function length(info) {
      if (info < 24) return info;
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size) throw new Failure(step, "an unsupported CBOR length");
      need(size);
      let n;
      if (size === 1) n = view.getUint8(pos);
      else if (size === 2) n = view.getUint16(pos);
      else if (size === 4) n = view.getUint32(pos);
      else n = Number(view.getBigUint64(pos));
      pos += size;
      return n;
    }
    function item(depth) {
      if (depth > 32) throw new Failure(step, "CBOR nested too deeply");
      need(1);
      const first = bytes[pos++];
      const major = first >> 5;
      const info = first & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) { need(2); const h = view.getUint16(pos); pos += 2; return half(h); }
        if (info === 26) { need(4); const f = view.getFloat32(pos); pos += 4; return f; }
        if (info === 27) { need(8); const d = view.getFloat64(pos); pos += 8; return d; }
        throw new Failure(step, "an unsupported CBOR simple value");
      }
      const n = length(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; }
        case 3: {
          need(n);
          const s = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(pos, pos + n));
          pos += n;
          return s;
        }
        case 4: { const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1)); return a; }
        case 5: {
          const m = new Map();
          for (let i = 0; i < n; i++) { const k = item(depth + 1); m.set(k, item(depth + 1)); }
          return m;
        }
        default: return { tag: n, value: item(depth + 1) };
      }
    }
    function half(h) {
      const exp = (h >> 10) & 0x1f, frac = h & 0x3ff, sign = h & 0x8000 ? -1 : 1;
      if (exp === 0) return sign * Math.pow(2, -14) * (frac / 1024);
      if (exp === 31) return frac ? NaN : sign * Infinity;
      return sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
    }
    const value = item(0);
    if (pos !== bytes.length) throw new Failure(step, "bytes after the CBOR item");
    return value;
  }

  function cborBytes(length) {  // the head of a byte string
    if (length < 24) return [0x40 | length];
    if (length < 256) return [0x58, length];
    if (length < 65536) return [0x59, length >> 8, length & 0xff];
    return [0x5a, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  }

  function sigStructure(protectedBytes, payload) {
    const head = [0x84, 0x6a, ...new TextEncoder().encode("Signature1")];
    const parts = [head, cborBytes(protectedBytes.length), protectedBytes, [0x40],
      cborBytes(payload.length), payload];
    const size = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function base64(text) {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  }

  function sameBytes(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function loadTrustList() {
    const answer = await fetch(TRUST_LIST, { credentials: "omit" });
    if (!answer.ok) throw new Error("the trust list could not be read");
    const doc = await answer.json();
    const revoked = new Set((doc.revoked && doc.revoked.hashes || []).map((h) => hex(base64(h))));
    return { signers: doc.certificates || [], revoked };
  }

  async function verifySignature(signer, alg, signature, data) {
    const spki = base64(signer.publicKey);
    try {
      if (alg === -7) {
        const key = await crypto.subtle.importKey("spki", spki,
          { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
        return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data);
      }
      const key = await crypto.subtle.importKey("spki", spki,
        { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "RSA-PSS", saltLength: 32 }, key, signature, data);
    } catch (e) {
      return false;  // a key of another type than the algorithm
    }
  }

  // The validators of every schema version the platform serves (major.minor -> validate).
  async function loadSchemas() {
    const answer = await fetch(SCHEMAS, { credentials: "omit" });
    if (!answer.ok) throw new Error("the schemas could not be read");
    const doc = await answer.json();
    const validators = new Map();
    for (const [version, schema] of Object.entries(doc.versions || {})) {
      validators.set(version, window.DccSchema.compile(schema));
    }
    return validators;
  }

  // The payload checked against the schema of the version it states ("1.3.0": 1.3).
  function checkPayload(hcert, schemas) {
    if (!(hcert instanceof Map)) throw new Failure("payload");
    const ver = hcert.get("ver");
    const parts = typeof ver === "string" ? ver.split(".") : [];
    const validate = parts.length === 3 ? schemas.get(parts[0] + "." + parts[1]) : undefined;
    if (!validate) throw new Failure("version", String(ver));
    const errors = validate(hcert);
    if (errors.length) throw new Failure("schema", errors[0].path + ": " + errors[0].message);
    const group = ["v", "t", "r"].find((g) => hcert.has(g));
    return { group, entry: hcert.get(group)[0], nam: hcert.get("nam") };
  }

  async function verify(text, trust, schemas, now) {
    if (!text.startsWith("HC1:")) throw new Failure("prefix");
    const token = await inflate(b45decode(text.slice(4)));
    let sign1 = cbor(token, "cose");
    if (sign1 && sign1.tag === 61) sign1 = sign1.value;
    if (sign1 && sign1.tag !== undefined) {
      if (sign1.tag !== 18) throw new Failure("cose");
      sign1 = sign1.value;
    }
    if (!Array.isArray(sign1) || sign1.length !== 4) throw new Failure("cose");
    const [protectedBytes, unprotected, payload, signature] = sign1;
    if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array)
        || !(signature instanceof Uint8Array) || !(unprotected instanceof Map)) {
      throw new Failure("cose");
    }
    const header = protectedBytes.length ? cbor(protectedBytes, "cose") : new Map();
    if (!(header instanceof Map)) throw new Failure("cose");
    const alg = header.has(1) ? header.get(1) : unprotected.get(1);
    if (alg !== -7 && alg !== -37) throw new Failure("algorithm");
    const kid = header.has(4) ? header.get(4) : unprotected.get(4);
    if (!(kid instanceof Uint8Array)) throw new Failure("kid");
    const candidates = trust.signers.filter((s) => sameBytes(base64(s.kid), kid));
    if (!candidates.length) throw new Failure("kid");
    const data = sigStructure(protectedBytes, payload);
    let signer = null;
    for (const c of candidates) {
      if (await verifySignature(c, alg, signature, data)) { signer = c; break; }
    }
    if (!signer) throw new Failure("signature");
    const claims = cbor(payload, "cwt");
    if (!(claims instanceof Map)) throw new Failure("cwt");
    const iat = claims.get(6), exp = claims.get(4);
    if (typeof iat !== "number" || typeof exp !== "number") throw new Failure("cwt");
    if (iat > now) throw new Failure("not_yet_valid");
    if (exp <= now) throw new Failure("expired");
    const container = claims.get(-260);
    const hcert = container instanceof Map ? container.get(1) : null;
    const { group, entry, nam } = checkPayload(hcert, schemas);
    if (now < signer.notBefore || now > signer.notAfter) throw new Failure("signer_validity");
    const kind = KINDS[group];
    if (signer.usages && signer.usages.length && !signer.usages.includes(kind)) {
      throw new Failure("key_usage");
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256",
      new TextEncoder().encode(entry.get("ci"))));
    if (trust.revoked.has(hex(digest.subarray(0, 16)))) throw new Failure("revoked");
    return { kind, nam, dob: hcert.get("dob"), entry };
  }

  function decodeImage(source, width, height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    const found = window.jsQR(image.data, width, height, { inversionAttempts: "attemptBoth" });
    return found ? found.data : null;
  }

  function start() {
    const root = document.getElementById("dcc-verify");
    if (!root) return;
    const messages = root.dataset;
    const result = document.getElementById("dcc-result");
    const status = document.getElementById("dcc-status");
    const fields = document.getElementById("dcc-fields");
    let trust = null;
    let schemas = null;

    function say(valid, reason) {
      result.hidden = false;
      result.className = valid ? "dcc-result valid" : "dcc-result invalid";
      status.textContent = valid ? messages.valid : messages.invalid;
      document.getElementById("dcc-reason").textContent = reason || "";
      document.getElementById("dcc-where").textContent = "";
    }

    function show(found) {
      fields.replaceChildren();
      const rows = [
        [messages.name, [found.nam.get("fn"), found.nam.get("gn")].filter(Boolean).join(" ")
          + " (" + [found.nam.get("fnt"), found.nam.get("gnt")].filter(Boolean).join(" ") + ")"],
        [messages.dob, found.dob],
      ];
      const e = found.entry;
      if (found.kind === "vaccination") {
        rows.push([messages.certified, messages.vaccination + ": " + e.get("dn") + "/"
          + e.get("sd") + ", " + e.get("dt") + ", " + e.get("mp")]);
      } else if (found.kind === "test") {
        rows.push([messages.certified, messages.test + ": "
          + (e.get("tr") === "260415000" ? messages.negative : messages.positive) + ", "
          + e.get("sc")]);
      } else {
        rows.push([messages.certified, messages.recovery + ": " + e.get("df") + " – "
          + e.get("du")]);
      }
      for (const [label, value] of rows) {
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.textContent = value;
        fields.append(dt, dd);
      }
    }

    async function check(text) {
      fields.replaceChildren();
      try {
        if (!trust) trust = await loadTrustList();
      } catch (e) {
        say(false, messages.noTrustList);
        return;
      }
      try {
        if (!schemas) schemas = await loadSchemas();
      } catch (e) {
        say(false, messages.noSchemas);
        return;
      }
      try {
        const found = await verify(text.trim(), trust, schemas, Math.floor(Date.now() / 1000));
        say(true, "");
        show(found);
      } catch (e) {
        const step = e instanceof Failure ? e.step : "cose";
        say(false, step + ": " + (messages["step_" + step] || step));
        // Where the contents break the schema (a path such as /v/0/dn), in no language.
        if (step === "schema") {
          document.getElementById("dcc-where").textContent = e.message.split(":")[0];
        }
      }
    }

    document.getElementById("dcc-file").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      try {
        const bitmap = await createImageBitmap(file);
        const text = decodeImage(bitmap, bitmap.width, bitmap.height);
        if (text) await check(text); else say(false, messages.noCode);
      } catch (e) {
        say(false, messages.noCode);
      }
    });

    document.getElementById("dcc-text-form").addEventListener("submit", (event) => {
      event.preventDefault();
      check(document.getElementById("dcc-text").value);
    });

    const cameraButton = document.getElementById("dcc-camera");
    const video = document.getElementById("dcc-video");
    cameraButton.addEventListener("click", async () => {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(
          { video: { facingMode: "environment" } });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        const scan = async () => {
          if (video.readyState >= 2) {
            const text = decodeImage(video, video.videoWidth, video.videoHeight);
            if (text) {
              stream.getTracks().forEach((t) => t.stop());
              video.hidden = true;
              await check(text);
              return;
            }
          }
          requestAnimationFrame(scan);
        };
        scan();
      } catch (e) {
        say(false, messages.noCamera);
      }
    });

    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/certificates/sw.js").then(() => {
        root.dataset.offline = "ready";
      }).catch(() => {});
    }
    loadTrustList().then((t) => { trust = t; root.dataset.trust = "loaded"; }).catch(() => {});
    loadSchemas().then((s) => { schemas = s; root.dataset.schemas = "loaded"; }).catch(() => {});
  }

  document.addEventListener("DOMContentLoaded", start);
})();
