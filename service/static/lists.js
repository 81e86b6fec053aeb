/* The match lists: a table of lists and the form that creates one (201, or 202 and a job). */
"use strict";

(function () {
  const { el, api, request, show, showError, badge, fmt, pager, followJob, jobOutcome, UI, query, busy, t } = window.MM;
  if (!window.MM.requireKey()) return;

  const tbody = document.getElementById("lists-body");
  const empty = document.getElementById("lists-empty");
  const form = document.getElementById("new-list");
  const submit = document.getElementById("nl-submit");
  const LIMIT = 50;
  let offset = 0;
  let refreshTimer = null;

  function scopeText(scope) {
    const parts = [];
    const s = scope || {};
    if (s.provinces && s.provinces.length) parts.push(s.provinces.join(", "));
    if (s.countries && s.countries.length) parts.push(s.countries.join(", "));
    if (s.industries && s.industries.length) parts.push(s.industries.join(", "));
    if (s.codes && s.codes.length) parts.push(t("codes {codes}", { codes: s.codes.join(", ") }));
    if (s.enterprise_ids && s.enterprise_ids.length) parts.push(t("{n} enterprises", { n: s.enterprise_ids.length }));
    if (s.college_ids && s.college_ids.length) parts.push(t("{n} colleges", { n: s.college_ids.length }));
    return parts.length ? parts.join(" · ") : t("everything");
  }

  function row(list) {
    const counts = list.counts || {};
    const demand = list.demand || {};
    const link = el("a", { href: `${UI}/lists/${list.id}`, class: "list-link", dataset: { listId: list.id } }, list.name);
    return el("tr", { dataset: { listId: list.id } },
      el("td", { class: "num" }, list.id),
      el("td", {}, link),
      el("td", { class: "muted" }, scopeText(list.scope)),
      el("td", { title: list.error || null }, badge(list.status)),
      el("td", { class: "num" }, fmt.num(counts.entries)),
      el("td", { class: "num" }, fmt.num(counts.accepted)),
      el("td", { class: "num" }, fmt.num(counts.rejected)),
      el("td", { class: "num" }, fmt.pct(demand.coverage)),
      el("td", { class: "muted" }, `${fmt.date(list.created_at)} · ${list.created_by || "?"}`));
  }

  async function load() {
    clearTimeout(refreshTimer);
    try {
      const page = await api("GET", `/match-lists${query({ limit: LIMIT, offset })}`);
      tbody.replaceChildren(...page.data.map(row));
      empty.hidden = page.data.length > 0;
      pager(document.getElementById("lists-pager"), offset, LIMIT, page.count, (o) => { offset = o; load(); });
      if (page.data.some((l) => l.status === "building")) refreshTimer = setTimeout(load, 2000);
    } catch (err) {
      showError(err);
    }
  }

  function split(value) {
    return value.split(/[,;，、]/).map((v) => v.trim()).filter(Boolean);
  }

  function body() {
    const data = new FormData(form);
    const scope = {};
    for (const name of ["provinces", "countries", "industries", "codes"]) {
      const values = split(String(data.get(name) || ""));
      if (values.length) scope[name] = values;
    }
    const payload = { name: String(data.get("name") || "").trim(), scope };
    const minScore = String(data.get("min_score") || "").trim();
    const perGap = String(data.get("max_colleges_per_gap") || "").trim();
    if (minScore) payload.min_score = Number(minScore);
    if (perGap) payload.max_colleges_per_gap = Number(perGap);
    return payload;
  }

  function created(list) {
    const counts = list.counts || {};
    show(t("List “{name}” is ready: {entries} entries, {coverage} of the demand covered.",
      { name: list.name, entries: fmt.num(counts.entries), coverage: fmt.pct((list.demand || {}).coverage) }),
    "success", { href: `${UI}/lists/${list.id}`, text: t("Open it") });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(submit, async () => {
      const { status, data } = await request("POST", "/match-lists", body());
      await load();
      if (status === 202 && data.job_id) {
        const job = await followJob(data.job_id, `${t("Building “{name}”", { name: data.name })}…`);
        if (jobOutcome(job, t("Building “{name}”", { name: data.name }))) created(await api("GET", `/match-lists/${data.id}`));
        await load();
      } else {
        created(data);
      }
    });
  });

  /* Left empty, the list gets the min_score derived for the model and ranker in use: shown as the placeholder. */
  async function showDefaultMinScore() {
    try {
      const info = await api("GET", "/info");
      const value = info.ranker && info.ranker.match_list_min_score;
      if (typeof value === "number") document.getElementById("nl-min-score").placeholder = fmt.fixed(value, 3);
    } catch (err) {
      showError(err);
    }
  }

  document.getElementById("refresh").addEventListener("click", load);
  load();
  showDefaultMinScore();
})();
