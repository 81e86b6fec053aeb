/* One match list: its entries (filters, sorting, paging), an entry's explanation, and decisions. */
"use strict";

(function () {
  const MM = window.MM;
  const { el, api, request, show, showError, badge, facts, fmt, pager, followJob, jobOutcome, query, t } = MM;
  if (!MM.requireKey()) return;

  const listId = MM.listId;
  const base = `/match-lists/${listId}`;
  const FILTERS = ["status", "province", "industry", "college_id", "enterprise_id", "q"];
  const DESCENDING_FIRST = new Set(["score", "headcount"]);

  const filterForm = document.getElementById("filters");
  const tbody = document.getElementById("entries-body");
  const empty = document.getElementById("entries-empty");
  const panel = {
    box: document.getElementById("entry"),
    placeholder: document.getElementById("entry-placeholder"),
    title: document.getElementById("entry-title"),
    subtitle: document.getElementById("entry-subtitle"),
    facts: document.getElementById("entry-facts"),
    accept: document.getElementById("accept"),
    reject: document.getElementById("reject"),
    withdraw: document.getElementById("withdraw"),
    rejectForm: document.getElementById("reject-form"),
    rejectReason: document.getElementById("reject-reason"),
    components: document.querySelector("#components tbody"),
    pairs: document.querySelector("#pairs tbody"),
    reasons: document.getElementById("reasons"),
    comments: document.getElementById("comments"),
    commentForm: document.getElementById("comment-form"),
    commentText: document.getElementById("comment-text"),
  };

  /* The view's state lives in the address, so a reload or a shared link shows the same page. */
  const params = new URLSearchParams(location.search);
  const state = {
    filters: Object.fromEntries(FILTERS.map((f) => [f, params.get(f) || ""])),
    sort: params.get("sort") || "-score",
    limit: Number(params.get("limit")) || 50,
    offset: Number(params.get("offset")) || 0,
    entry: params.get("entry") ? Number(params.get("entry")) : null,
  };
  let current = null; // the entry in the panel

  function saveState() {
    const q = query({ ...state.filters, sort: state.sort === "-score" ? "" : state.sort,
      limit: state.limit === 50 ? "" : state.limit, offset: state.offset || "", entry: state.entry || "" });
    history.replaceState(null, "", location.pathname + q);
  }

  function fillForm() {
    for (const name of FILTERS) filterForm.elements[name].value = state.filters[name];
    filterForm.elements.limit.value = String(state.limit);
  }

  /* --- the list's header ---------------------------------------------------------------------- */

  async function loadList() {
    const list = await api("GET", base);
    document.getElementById("list-name").textContent = list.name;
    document.title = `${list.name} · matchmaker`;
    const c = list.counts || {};
    const d = list.demand || {};
    const status = el("span", {}, badge(list.status));
    facts(document.getElementById("list-facts"), [
      [t("Status"), status],
      [t("Entries"), fmt.num(c.entries)],
      [t("Proposed"), fmt.num(c.proposed)],
      [t("Accepted"), fmt.num(c.accepted)],
      [t("Rejected"), fmt.num(c.rejected)],
      [t("Withdrawn"), fmt.num(c.withdrawn)],
      [t("Demand"), t("{n} headcount", { n: fmt.num(d.headcount) })],
      [t("Allocated"), `${fmt.num(d.allocated)} (${fmt.pct(d.coverage)})`],
      [t("Min score"), fmt.fixed(list.min_score, 2)],
      [t("Colleges per gap"), list.max_colleges_per_gap],
      [t("Rounds"), list.rounds],
      [t("Created"), t("{date} by {who}", { date: fmt.date(list.created_at), who: list.created_by || "?" })],
      [t("Error"), list.error],
    ]);
    return list;
  }

  /* --- entries ------------------------------------------------------------------------------- */

  function sortHeaders() {
    for (const th of document.querySelectorAll("#entries-table th[data-sort]")) {
      const field = th.dataset.sort;
      const active = state.sort.replace(/^-/, "") === field;
      th.classList.toggle("sorted", active);
      th.setAttribute("aria-sort", active ? (state.sort.startsWith("-") ? "descending" : "ascending") : "none");
      th.dataset.arrow = active ? (state.sort.startsWith("-") ? "▼" : "▲") : "";
    }
  }

  /* A name, and a small button that narrows the table to it (a click elsewhere on the row opens the entry). */
  function filterButton(label, name, value) {
    const b = el("button", { type: "button", class: "chip", title: t("Show only this {what}", { what: t(name.replace("_id", "")) }),
      "aria-label": t("Show only {label}", { label }) }, t("only"));
    b.addEventListener("click", (event) => {
      event.stopPropagation();
      state.filters[name] = String(value);
      state.offset = 0;
      fillForm();
      loadEntries();
    });
    return el("span", { class: "name" }, label, " ", b);
  }

  /* A Chinese reader sees the profile's Chinese name where it has one (name_zh), others the name as entered. */
  function collegeName(entry) {
    const zh = MM.LANG === "zh" && (entry.college_name_zh || (entry.explanation && entry.explanation.name_zh));
    return zh || entry.college_name;
  }

  function enterpriseName(entry) {
    return (MM.LANG === "zh" && entry.enterprise_name_zh) || entry.enterprise_name;
  }

  function row(entry) {
    const tr = el("tr", { dataset: { entryId: entry.id }, tabindex: 0, class: entry.id === state.entry ? "selected" : null },
      el("td", { class: "num" }, entry.id),
      el("td", {}, filterButton(enterpriseName(entry), "enterprise_id", entry.enterprise_id),
        el("div", { class: "muted small" }, [entry.enterprise_province, entry.industry].filter(Boolean).join(" · "))),
      el("td", {}, entry.gap_name),
      el("td", {}, filterButton(collegeName(entry), "college_id", entry.college_id),
        el("div", { class: "muted small" }, entry.college_province || "")),
      el("td", {}, entry.specialty_name),
      el("td", { class: "num" }, fmt.num(entry.headcount)),
      el("td", { class: "num" }, fmt.score(entry.score)),
      el("td", { class: "status-cell" }, badge(entry.status)));
    const open = () => selectEntry(entry.id);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
    return tr;
  }

  async function loadEntries() {
    saveState();
    sortHeaders();
    tbody.classList.add("loading");
    try {
      const page = await api("GET", `${base}/entries${query({ ...state.filters, sort: state.sort, limit: state.limit, offset: state.offset })}`);
      tbody.replaceChildren(...page.data.map(row));
      empty.hidden = page.data.length > 0;
      pager(document.getElementById("entries-pager"), state.offset, state.limit, page.total, (o) => {
        state.offset = o;
        loadEntries();
      });
    } catch (err) {
      showError(err);
    } finally {
      tbody.classList.remove("loading");
    }
  }

  function replaceRow(entry) {
    const old = tbody.querySelector(`tr[data-entry-id="${entry.id}"]`);
    if (old) old.replaceWith(row(entry));
  }

  /* --- one entry ----------------------------------------------------------------------------- */

  async function selectEntry(id) {
    state.entry = id;
    saveState();
    for (const tr of tbody.querySelectorAll("tr")) tr.classList.toggle("selected", Number(tr.dataset.entryId) === id);
    try {
      showEntry(await api("GET", `${base}/entries/${id}`));
    } catch (err) {
      showError(err);
    }
  }

  function showEntry(entry) {
    current = entry;
    const x = entry.explanation || {};
    const cap = x.capacity || {};
    const rec = x.reciprocity || {};
    panel.placeholder.hidden = true;
    panel.box.hidden = false;
    panel.box.dataset.entryId = entry.id;
    panel.box.dataset.status = entry.status;
    panel.title.textContent = `${entry.gap_name} → ${entry.specialty_name}`;
    panel.subtitle.textContent = t("Entry {id} · round {round}", { id: entry.id, round: entry.round });
    facts(panel.facts, [
      [t("Status"), badge(entry.status)],
      [t("Enterprise"), `${enterpriseName(entry)}${entry.enterprise_province ? ` (${entry.enterprise_province})` : ""}`],
      [t("Industry"), entry.industry],
      [t("College"), `${collegeName(entry)}${entry.college_province ? ` (${entry.college_province})` : ""}`],
      [t("Allocated"), t("{n} of the gap's headcount", { n: fmt.num(entry.headcount) })],
      [t("Score"), fmt.score(entry.score)],
      [t("Capacity"), cap.graduates_per_year === undefined ? null
        : t("{graduates} graduates a year for {headcount} wanted (coverage {coverage})",
          { graduates: fmt.num(cap.graduates_per_year), headcount: fmt.num(cap.headcount), coverage: fmt.pct(cap.coverage) })],
      [t("Distance"), fmt.km(x.distance_km)],
      [t("Both sides"), rec.combined === undefined ? null
        : t("enterprise's view {asker}, college's view {candidate} (combined {combined})",
          { asker: fmt.pct(rec.asker_view), candidate: fmt.pct(rec.candidate_view), combined: fmt.fixed(rec.combined, 2) })],
      [t("Decided"), entry.decided_by ? `${entry.decided_by}, ${fmt.date(entry.decided_at)}` : null],
      [t("Reason"), entry.reason],
    ]);

    const open = entry.status === "proposed" || entry.status === "accepted";
    panel.accept.disabled = entry.status !== "proposed";
    panel.reject.disabled = !open;
    panel.withdraw.disabled = !open;
    panel.rejectForm.hidden = true;

    panel.components.replaceChildren(...Object.entries(x.components || {}).map(([name, c]) =>
      el("tr", {}, el("td", { title: name }, t(name)), el("td", { class: "num" }, fmt.fixed(c.value, 3)),
        el("td", { class: "num" }, fmt.fixed(c.weight, 3)), el("td", { class: "num" }, fmt.fixed(c.contribution, 4)))));
    if (x.components) {
      const total = Object.values(x.components).reduce((s, c) => s + c.contribution, 0);
      panel.components.append(el("tr", { class: "total" }, el("td", {}, t("score")), el("td", {}), el("td", {}),
        el("td", { class: "num" }, fmt.fixed(total, 4))));
    }

    panel.pairs.replaceChildren(...(x.matched || []).map((p) =>
      el("tr", { class: p.relevant ? null : "muted" },
        el("td", {}, `${p.query_unit.name} (${fmt.num(p.query_unit.amount)})`),
        el("td", {}, `${p.candidate_unit.name} (${fmt.num(p.candidate_unit.amount)}/yr)`),
        el("td", { class: "num" }, fmt.fixed(p.similarity, 2)),
        el("td", { class: "num", title: (p.shared_keywords || []).join(", ") }, fmt.fixed(p.keyword_overlap, 2)),
        el("td", {}, t(p.code_agreement)))));

    panel.reasons.replaceChildren(...(x.reasons || []).map((r) => el("li", {}, r)));
    panel.comments.replaceChildren(...(entry.comments || []).map((c) =>
      el("li", {}, el("div", { class: "muted small" }, `${c.author || "?"} · ${fmt.date(c.created_at)}`), el("div", {}, c.text))));
    if (!(entry.comments || []).length) panel.comments.append(el("li", { class: "muted" }, t("No comments yet.")));
  }

  async function decide(action, payload) {
    if (!current) return;
    const id = current.id;
    for (const b of [panel.accept, panel.reject, panel.withdraw]) b.disabled = true;
    try {
      const entry = await api("POST", `${base}/entries/${id}/${action}`, payload);
      showEntry(entry);
      replaceRow(entry);
      show(t("Entry {id} {status}.", { id, status: t(entry.status) }), "success");
      await loadList();
    } catch (err) {
      showError(err);
      if (err.status === 409 || err.status === 404) {
        try {
          const fresh = await api("GET", `${base}/entries/${id}`);
          showEntry(fresh);
          replaceRow(fresh);
        } catch (inner) {
          showError(inner);
        }
      } else {
        showEntry(current);
      }
    }
  }

  panel.accept.addEventListener("click", () => decide("accept"));
  panel.withdraw.addEventListener("click", () => decide("withdraw"));
  panel.reject.addEventListener("click", () => {
    panel.rejectForm.hidden = false;
    panel.rejectReason.value = "";
    panel.rejectReason.focus();
  });
  document.getElementById("reject-cancel").addEventListener("click", () => { panel.rejectForm.hidden = true; });
  panel.rejectForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = panel.rejectReason.value.trim();
    if (!reason) {
      show(t("A rejection needs a reason."), "error");
      panel.rejectReason.focus();
      return;
    }
    decide("reject", { reason });
  });

  panel.commentForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = panel.commentText.value.trim();
    if (!text || !current) return;
    const id = current.id;
    await MM.busy(document.getElementById("comment-submit"), async () => {
      await api("POST", `${base}/entries/${id}/comments`, { text });
      panel.commentText.value = "";
      showEntry(await api("GET", `${base}/entries/${id}`));
      show(t("Comment added to entry {id}.", { id }), "success");
    });
  });

  /* --- filters, sorting, rounds -------------------------------------------------------------- */

  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const name of FILTERS) state.filters[name] = String(filterForm.elements[name].value || "").trim();
    state.limit = Number(filterForm.elements.limit.value) || 50;
    state.offset = 0;
    loadEntries();
  });
  filterForm.elements.limit.addEventListener("change", () => filterForm.requestSubmit());
  filterForm.elements.status.addEventListener("change", () => filterForm.requestSubmit());
  document.getElementById("f-clear").addEventListener("click", () => {
    for (const name of FILTERS) state.filters[name] = "";
    state.offset = 0;
    fillForm();
    loadEntries();
  });

  for (const th of document.querySelectorAll("#entries-table th[data-sort]")) {
    th.tabIndex = 0;
    const sortBy = () => {
      const field = th.dataset.sort;
      if (state.sort.replace(/^-/, "") === field && DESCENDING_FIRST.has(field)) {
        state.sort = state.sort.startsWith("-") ? field : `-${field}`;
      } else {
        state.sort = DESCENDING_FIRST.has(field) ? `-${field}` : field;
      }
      state.offset = 0;
      loadEntries();
    };
    th.addEventListener("click", sortBy);
    th.addEventListener("keydown", (event) => { if (event.key === "Enter") sortBy(); });
  }

  async function waitForJob(jobId, what) {
    const job = await followJob(jobId, `${what}…`);
    const ok = jobOutcome(job, what);
    await loadList();
    await loadEntries();
    return ok;
  }

  document.getElementById("new-round").addEventListener("click", async (event) => {
    await MM.busy(event.currentTarget, async () => {
      const { status, data } = await request("POST", `${base}/rounds`);
      if (status === 202 && data.job_id) {
        if (await waitForJob(data.job_id, t("The new round"))) show(t("Round {round} allocated.", { round: data.rounds || "" }), "success");
      } else {
        await loadList();
        await loadEntries();
        show(t("Round {round} allocated: {entries} entries in the list.", { round: data.rounds, entries: fmt.num((data.counts || {}).entries) }), "success");
      }
    });
  });

  (async () => {
    fillForm();
    try {
      const list = await loadList();
      if (list.status === "building" && list.job_id) await waitForJob(list.job_id, t("Building the list"));
    } catch (err) {
      showError(err);
    }
    await loadEntries();
    if (state.entry) selectEntry(state.entry);
  })();
})();
