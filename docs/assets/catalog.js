/* Filters the "All automations" table in the browser: no server, no library.
   Rows carry data-department, data-tag, data-status and data-owner attributes written
   by the catalog generator; ?tag=x (etc.) in the URL preselects a filter. */
(function () {
  "use strict";

  function rowMatches(row, filters, text) {
    for (const [facet, value] of Object.entries(filters)) {
      if (!value) continue;
      const data = row.dataset[facet] || "";
      const hit = facet === "tag" || facet === "owner"
        ? data.includes(" " + value + " ")
        : data === value;
      if (!hit) return false;
    }
    return !text || row.textContent.toLowerCase().includes(text);
  }

  function apply(form, table, counter) {
    const filters = {};
    for (const select of form.querySelectorAll("select")) filters[select.name] = select.value;
    const text = form.elements.text.value.trim().toLowerCase();
    let shown = 0;
    for (const row of table.tBodies[0].rows) {
      const visible = rowMatches(row, filters, text);
      row.hidden = !visible;
      if (visible) shown += 1;
    }
    if (counter) counter.textContent = String(shown);
  }

  function init() {
    const form = document.querySelector("form.ak-filters");
    const table = document.querySelector("table.ak-filterable");
    if (!form || !table) return;
    const counter = document.querySelector("[data-ak-count]");
    const params = new URLSearchParams(window.location.search);
    for (const select of form.querySelectorAll("select")) {
      if (params.has(select.name)) select.value = params.get(select.name);
    }
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", () => apply(form, table, counter));
    apply(form, table, counter);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
