/* A match list's report: what is covered, what is not and why, by province, industry and college. */
"use strict";

(function () {
  const MM = window.MM;
  const { el, svg, api, show, showError, fmt, UI, t } = MM;
  if (!MM.requireKey()) return;

  const listId = MM.listId;
  const base = `/match-lists/${listId}`;
  const MAX_BARS = 20;

  /* A profile's Chinese name for a reader who asked for Chinese, where it has one; else its name as entered. */
  function zh(nameZh, name) {
    return (MM.LANG === "zh" && nameZh) || name;
  }

  function stat(name, label, value, note) {
    return el("div", { class: "stat", dataset: { stat: name } },
      el("div", { class: "stat-label" }, label),
      el("div", { class: "stat-value" }, value),
      note ? el("div", { class: "stat-note muted" }, note) : null);
  }

  /* A horizontal bar chart in inline SVG. rows: {label, value (0..1), inner (0..1)?, text, title}. */
  function barChart(container, rows, options) {
    const opts = options || {};
    container.replaceChildren();
    if (!rows.length) {
      container.append(el("p", { class: "muted" }, opts.empty || t("Nothing to draw.")));
      return;
    }
    const labelWidth = 210;
    const barWidth = 300;
    const textWidth = 110;
    const rowHeight = 22;
    const width = labelWidth + barWidth + textWidth;
    const height = rows.length * rowHeight + 24;
    const chart = svg("svg", {
      width: "100%", viewBox: `0 0 ${width} ${height}`, role: "img", class: "bars",
      "aria-label": opts.label || "bar chart", "data-bars": rows.length,
    });
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      const x = labelWidth + tick * barWidth;
      chart.append(svg("line", { x1: x, x2: x, y1: 0, y2: height - 18, class: "grid" }),
        svg("text", { x, y: height - 4, class: "tick", "text-anchor": "middle" }, `${tick * 100}%`));
    }
    rows.forEach((r, i) => {
      const y = i * rowHeight;
      const label = r.label.length > 30 ? `${r.label.slice(0, 29)}…` : r.label;
      const value = Math.max(0, Math.min(1, r.value || 0));
      const g = svg("g", { class: "bar-row", "data-key": r.key }, svg("title", {}, r.title || `${r.label}: ${r.text}`));
      g.append(svg("text", { x: labelWidth - 8, y: y + 15, class: "label", "text-anchor": "end" }, label));
      g.append(svg("rect", { x: labelWidth, y: y + 4, width: barWidth, height: rowHeight - 8, class: "track" }));
      g.append(svg("rect", { x: labelWidth, y: y + 4, width: value * barWidth, height: rowHeight - 8, class: "bar" }));
      if (r.inner !== undefined) {
        const inner = Math.max(0, Math.min(value, r.inner));
        g.append(svg("rect", { x: labelWidth, y: y + 4, width: inner * barWidth, height: rowHeight - 8, class: "bar inner" }));
      }
      g.append(svg("text", { x: labelWidth + barWidth + 8, y: y + 15, class: "value" }, r.text));
      chart.append(g);
    });
    container.append(chart);
    if (opts.more) container.append(el("p", { class: "hint" }, opts.more));
  }

  function coverageRows(tbody, rows, key) {
    tbody.replaceChildren(...rows.map((r) => el("tr", {},
      el("td", {}, r[key] || t("(none)")),
      el("td", { class: "num" }, fmt.num(r.headcount)),
      el("td", { class: "num" }, fmt.num(r.allocated)),
      el("td", { class: "num" }, fmt.pct(r.coverage)))));
  }

  const REASONS = {
    below_min_score: t("no candidate reaches the list's minimum score"),
    capacity_used: t("the suitable colleges' capacity is used up"),
    filtered_out: t("the scope filters out every candidate"),
    no_candidates: t("no college trains anything close"),
    rejected: t("its entries were rejected"),
  };

  function render(list, report) {
    const d = report.demand || {};
    const c = list.counts || {};
    document.getElementById("report-name").textContent = t("Report: {name}", { name: report.name || list.name });
    document.title = `${t("Report: {name}", { name: report.name || list.name })} · matchmaker`;

    document.getElementById("stats").replaceChildren(
      stat("headcount", t("Demand in scope"), fmt.num(d.headcount), t("{n} talent gaps", { n: fmt.num(d.gaps) })),
      stat("allocated", t("Allocated"), fmt.num(d.allocated), t("{coverage} covered (proposed + accepted)", { coverage: fmt.pct(d.coverage) })),
      stat("accepted", t("Accepted headcount"), fmt.num(d.accepted), null),
      stat("gaps", t("Gaps filled"), `${fmt.num(d.gaps_filled)} / ${fmt.num(d.gaps)}`,
        t("{partly} partly, {unfilled} unfilled", { partly: fmt.num(d.gaps_partly_filled), unfilled: fmt.num(d.gaps_unfilled) })),
      stat("entries", t("Entries"), fmt.num(c.entries), t("{n} proposed", { n: fmt.num(c.proposed) })),
      stat("accepted-entries", t("Accepted entries"), fmt.num(c.accepted), null),
      stat("rejected-entries", t("Rejected entries"), fmt.num(c.rejected), t("{n} withdrawn", { n: fmt.num(c.withdrawn) })));

    const notes = report.notes || [];
    const notesBox = document.getElementById("notes");
    notesBox.replaceChildren(...notes.map((n) => el("li", {}, n)));
    notesBox.hidden = !notes.length;

    const provinces = [...(report.by_province || [])].sort((a, b) => b.headcount - a.headcount);
    barChart(document.getElementById("chart-provinces"), provinces.slice(0, MAX_BARS).map((p) => ({
      key: p.province, label: p.province || "(none)", value: p.coverage,
      text: `${fmt.pct(p.coverage)} of ${fmt.num(p.headcount)}`,
    })), { label: "coverage by province", empty: t("No demand in scope."),
      more: provinces.length > MAX_BARS ? `and ${provinces.length - MAX_BARS} more provinces in the table below` : null });

    const colleges = [...(report.colleges || [])].filter((x) => x.allocated > 0 || x.accepted > 0)
      .sort((a, b) => b.utilisation - a.utilisation || b.allocated - a.allocated);
    barChart(document.getElementById("chart-colleges"), colleges.slice(0, MAX_BARS).map((x) => ({
      key: x.college_id, label: zh(x.name_zh, x.name), value: x.utilisation, inner: x.capacity ? x.accepted / x.capacity : 0,
      text: `${fmt.pct(x.utilisation)} · ${fmt.num(x.allocated)}/${fmt.num(x.capacity)}`,
      title: `${zh(x.name_zh, x.name)}: ${fmt.num(x.allocated)} allocated (${fmt.num(x.accepted)} accepted) of ${fmt.num(x.capacity)} graduates a year`,
    })), { label: "college utilisation", empty: t("No college has an allocation."),
      more: colleges.length > MAX_BARS ? `and ${colleges.length - MAX_BARS} more colleges in the table below` : null });

    coverageRows(document.querySelector("#by-province tbody"), report.by_province || [], "province");
    coverageRows(document.querySelector("#by-industry tbody"), report.by_industry || [], "industry");

    document.querySelector("#colleges tbody").replaceChildren(...(report.colleges || []).map((x) => el("tr", { dataset: { collegeId: x.college_id } },
      el("td", {}, el("a", { href: `${UI}/lists/${listId}?college_id=${x.college_id}` }, zh(x.name_zh, x.name))),
      el("td", {}, x.province || ""),
      el("td", { class: "num" }, fmt.num(x.capacity)),
      el("td", { class: "num" }, fmt.num(x.allocated)),
      el("td", { class: "num" }, fmt.num(x.accepted)),
      el("td", { class: "num" }, fmt.pct(x.utilisation)))));

    const unfilled = report.unfilled || [];
    document.getElementById("unfilled-count").textContent = `(${fmt.num(unfilled.length)})`;
    document.getElementById("unfilled-empty").hidden = unfilled.length > 0;
    document.querySelector("#unfilled tbody").replaceChildren(...unfilled.map((u) => el("tr", {},
      el("td", {}, el("a", { href: `${UI}/lists/${listId}?enterprise_id=${u.enterprise_id}` }, zh(u.enterprise_name_zh, u.enterprise_name))),
      el("td", {}, u.gap_name),
      el("td", { class: "num" }, fmt.num(u.headcount)),
      el("td", { class: "num" }, fmt.num(u.allocated)),
      el("td", { class: "num" }, fmt.num(u.missing)),
      el("td", {}, REASONS[u.reason] || u.reason),
      el("td", {}, (u.near_misses || []).length
        ? el("ul", { class: "near-misses" }, ...(u.near_misses || []).map((m) => el("li", {},
          el("span", {}, `${zh(m.college_name_zh, m.college_name)} — ${m.specialty_name} `),
          el("span", { class: "muted" }, t("(score {score})", { score: fmt.score(m.score) })),
          m.why ? el("div", { class: "small muted" }, m.why) : null)))
        : el("span", { class: "muted" }, t("none"))))));
  }

  async function load() {
    try {
      const [list, report] = await Promise.all([api("GET", base), api("GET", `${base}/report`)]);
      render(list, report);
      document.body.dataset.loaded = String(Date.now());
    } catch (err) {
      showError(err);
    }
  }

  for (const button of document.querySelectorAll("#exports button[data-part]")) {
    button.addEventListener("click", async () => {
      const { part, format } = button.dataset;
      await MM.busy(button, async () => {
        const name = await MM.download(`${base}/export?format=${format}&part=${part}`, `match-list-${listId}-${part}.${format}`);
        show(t("Saved {name}.", { name }), "success");
      });
    });
  }
  document.getElementById("refresh").addEventListener("click", load);
  load();
})();
