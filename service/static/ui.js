/* matchmaker reviewer page: what every page shares. No framework, no build step.
 *
 * The API key lives in sessionStorage (this tab only). Every call sends it as a Bearer header.
 * Data from the API only ever reaches the page as text (textContent or text nodes), never as HTML.
 * The language (body data-lang: the switch's links set a cookie through /ui/language) goes to the API as
 * Accept-Language, so reasons and error details come back in it; MM.t() translates the page's own
 * words from the table the server put in #ui-texts (keyed by the English).
 */
"use strict";

(function () {
  const KEY = "matchmaker.key";
  const body = document.body;
  const API = body.dataset.api || "";
  const UI = body.dataset.ui || "/ui";
  const LANG = body.dataset.lang === "zh" ? "zh" : "en";
  const TEXTS = (() => {
    try {
      return JSON.parse(document.getElementById("ui-texts").textContent || "{}");
    } catch (err) {
      return {};
    }
  })();

  /* The page's words in its language, with {field}s filled in; untranslated text stays English. */
  function t(text, fields) {
    const template = Object.prototype.hasOwnProperty.call(TEXTS, text) ? TEXTS[text] : text;
    return template.replace(/\{(\w+)\}/g, (whole, name) => (fields && name in fields ? String(fields[name]) : whole));
  }

  class ApiError extends Error {
    constructor(status, payload) {
      const detail = (payload && payload.detail) || t("the service answered {status}", { status });
      super(detail);
      this.status = status;
      this.error = (payload && payload.error) || "error";
      this.fields = (payload && payload.fields) || [];
    }
  }

  function key() {
    return sessionStorage.getItem(KEY);
  }

  function setKey(value) {
    sessionStorage.setItem(KEY, value);
  }

  function clearKey() {
    sessionStorage.removeItem(KEY);
  }

  function signinUrl() {
    const here = location.pathname + location.search;
    return `${UI}/signin?next=${encodeURIComponent(here)}`;
  }

  /* Send the reviewer to the sign-in page when there is no key; true when there is one. */
  function requireKey() {
    if (key()) return true;
    location.replace(signinUrl());
    return false;
  }

  function headers(extra, secret) {
    const h = Object.assign({ Accept: "application/json", "Accept-Language": LANG }, extra || {});
    const k = secret || key();
    if (k) h.Authorization = `Bearer ${k}`;
    return h;
  }

  /* One API call: {status, data, response}; throws ApiError on a non-2xx answer.
   * options.key: use this key (signing in); options.raw: leave a successful body unread (downloads). */
  async function request(method, path, payload, options) {
    const opts = options || {};
    const init = { method, headers: headers(payload === undefined ? {} : { "Content-Type": "application/json" }, opts.key) };
    if (payload !== undefined) init.body = JSON.stringify(payload);
    let response;
    try {
      response = await fetch(API + path, init);
    } catch (err) {
      throw new ApiError(0, { error: "network", detail: t("the service cannot be reached ({message})", { message: err.message }) });
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (opts.raw && response.ok) return { status: response.status, data, response }; // the caller reads the body
    if (type.includes("json")) {
      try {
        data = await response.json();
      } catch (err) {
        data = null;
      }
    }
    if (!response.ok) {
      if (response.status === 401 && !opts.key) {
        clearKey();
        location.replace(signinUrl());
      }
      throw new ApiError(response.status, data);
    }
    return { status: response.status, data, response };
  }

  async function api(method, path, payload) {
    return (await request(method, path, payload)).data;
  }

  /* --- messages --------------------------------------------------------------------------- */

  const messages = document.getElementById("messages");

  function show(text, kind, link) {
    const box = el("div", { class: `message ${kind || "info"}` }, text);
    if (link) box.append(" ", el("a", { href: link.href }, link.text));
    const close = el("button", { type: "button", class: "close", "aria-label": t("Dismiss") }, "×");
    close.addEventListener("click", () => box.remove());
    box.append(close);
    messages.append(box);
    while (messages.children.length > 4) messages.firstElementChild.remove();
    if (kind !== "error") setTimeout(() => box.remove(), 8000);
    return box;
  }

  function clearMessages() {
    messages.replaceChildren();
  }

  function showError(err) {
    if (err instanceof ApiError) {
      const where = err.status ? `${err.status} ${err.error.replace(/_/g, " ")}` : "error";
      const fields = err.fields.filter((f) => f.field && f.field !== "body")
        .map((f) => `${f.field}: ${f.reason}`);
      const extra = fields.length > 1 ? ` (${fields.join("; ")})` : "";
      return show(`${where}: ${err.message}${extra}`, "error");
    }
    return show(`error: ${err && err.message ? err.message : err}`, "error");
  }

  /* --- DOM ---------------------------------------------------------------------------------- */

  /* el("td", {class: "num"}, "text", otherNode): strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function badge(status) {
    return el("span", { class: `badge ${status}`, dataset: { status } }, t(status));
  }

  function facts(dl, pairs) {
    dl.replaceChildren();
    for (const [term, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      dl.append(el("div", {}, el("dt", {}, term), el("dd", {}, value)));
    }
  }

  /* --- formatting --------------------------------------------------------------------------- */

  const numberFormat = new Intl.NumberFormat(LANG === "zh" ? "zh-CN" : "en");
  const fmt = {
    num: (x) => (x === null || x === undefined ? "–" : numberFormat.format(x)),
    pct: (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 1000) / 10}%`),
    score: (x) => (x === null || x === undefined ? "–" : Number(x).toFixed(3)),
    fixed: (x, digits) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits)),
    date: (iso) => {
      if (!iso) return "–";
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
    },
    km: (x) => (x === null || x === undefined ? t("unknown") : `${numberFormat.format(Math.round(x))} ${LANG === "zh" ? "公里" : "km"}`),
  };

  /* --- paging ------------------------------------------------------------------------------- */

  function pager(container, offset, limit, total, onPage) {
    container.replaceChildren();
    if (!total) return;
    const last = Math.min(offset + limit, total);
    const prev = el("button", { type: "button", class: "secondary", disabled: offset <= 0 }, t("‹ Previous"));
    const next = el("button", { type: "button", class: "secondary", disabled: last >= total }, t("Next ›"));
    prev.addEventListener("click", () => onPage(Math.max(0, offset - limit)));
    next.addEventListener("click", () => onPage(offset + limit));
    container.append(prev, el("span", { class: "muted" }, t("{first}–{last} of {total}", { first: fmt.num(offset + 1), last: fmt.num(last), total: fmt.num(total) })), next);
  }

  /* --- background jobs ---------------------------------------------------------------------- */

  /* Follows GET /jobs/{id} in the #job box until the job ends; resolves with the last job. */
  function followJob(jobId, title) {
    const box = document.getElementById("job");
    const bar = document.getElementById("job-progress");
    const text = document.getElementById("job-text");
    const cancel = document.getElementById("job-cancel");
    document.getElementById("job-title").textContent = title;
    bar.removeAttribute("value");
    text.textContent = t("Queued…");
    cancel.disabled = false;
    box.hidden = false;
    let cancelled = false;
    const onCancel = async () => {
      cancel.disabled = true;
      cancelled = true;
      try {
        await api("DELETE", `/jobs/${encodeURIComponent(jobId)}`);
        text.textContent = t("Cancelling…");
      } catch (err) {
        showError(err);
        cancel.disabled = false;
      }
    };
    cancel.addEventListener("click", onCancel);
    return new Promise((resolve, reject) => {
      const tick = async () => {
        let job;
        try {
          job = await api("GET", `/jobs/${encodeURIComponent(jobId)}`);
        } catch (err) {
          cancel.removeEventListener("click", onCancel);
          box.hidden = true;
          reject(err);
          return;
        }
        const p = job.progress || {};
        if (p.total) {
          bar.max = p.total;
          bar.value = p.done || 0;
        }
        const parts = [t(job.status)];
        if (p.total) parts.push(t("{done} of {total} enterprises", { done: fmt.num(p.done || 0), total: fmt.num(p.total) }));
        if (p.rate) parts.push(`${fmt.fixed(p.rate, 1)}/s`);
        if (p.eta_seconds !== null && p.eta_seconds !== undefined && job.status === "running") {
          parts.push(t("about {s} s left", { s: Math.ceil(p.eta_seconds) }));
        }
        text.textContent = parts.join(" · ");
        if (["done", "failed", "cancelled"].includes(job.status)) {
          cancel.removeEventListener("click", onCancel);
          box.hidden = true;
          resolve(job);
          return;
        }
        setTimeout(tick, cancelled ? 300 : 600);
      };
      tick();
    });
  }

  /* Reports how a finished job went; true when it is done. */
  function jobOutcome(job, what) {
    if (job.status === "done") return true;
    if (job.status === "cancelled") show(t("{what} was cancelled.", { what }), "warning");
    else showError(new ApiError(0, { error: "job_failed", detail: t("{what} failed: {error}", { what, error: job.error || t("unknown error") }) }));
    return false;
  }

  /* --- downloads ---------------------------------------------------------------------------- */

  /* Downloads need the Bearer header, so fetch, then save through a Blob URL. */
  async function download(path, fallbackName) {
    const { response } = await request("GET", path, undefined, { raw: true });
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/i.exec(disposition);
    const name = match ? match[1] : fallbackName;
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return name;
  }

  /* --- the header --------------------------------------------------------------------------- */

  function header() {
    const page = body.dataset.page;
    // The switch comes back to the page as it is now (the list page keeps its state in the URL).
    for (const a of document.querySelectorAll("#lang-switch a[data-lang]")) {
      a.addEventListener("click", () => {
        const url = new URL(a.href, location.href);
        url.searchParams.set("next", location.pathname + location.search);
        a.href = url.toString();
      });
    }
    for (const a of document.querySelectorAll("#nav a")) {
      if (a.dataset.nav === page) a.classList.add("active");
    }
    const signout = document.getElementById("signout");
    const k = key();
    if (k && page !== "signin") {
      document.getElementById("who").textContent = t("Signed in · key …{tail}", { tail: k.slice(-4) });
      signout.hidden = false;
      signout.addEventListener("click", () => {
        clearKey();
        location.assign(`${UI}/signin`);
      });
    }
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") q.set(name, value);
    }
    const s = q.toString();
    return s ? `?${s}` : "";
  }

  /* Runs `work` with `button` disabled, so a second click cannot send it twice; an error goes to
     the message area. */
  async function busy(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  }

  window.MM = {
    API, UI, LANG, t, ApiError, key, setKey, clearKey, requireKey, request, api, show, clearMessages, showError,
    el, svg, badge, facts, fmt, pager, followJob, jobOutcome, download, query, busy,
    listId: body.dataset.listId ? Number(body.dataset.listId) : null,
  };

  header();
})();
