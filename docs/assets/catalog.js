/* Filters the "All automations" table in the browser: no server, no library.
   Rows carry data-department, data-tag, data-status and data-owner attributes written
   by the catalog generator. The filters live in the URL's query (?tag=x&text=late, named
   as the form's fields), so a filtered view can be shared, bookmarked and reopened. */
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

  function apply(parts) {
    const filters = {};
    for (const select of parts.form.querySelectorAll("select")) filters[select.name] = select.value;
    const text = parts.form.elements.text.value.trim().toLowerCase();
    let shown = 0;
    for (const row of parts.table.tBodies[0].rows) {
      const visible = rowMatches(row, filters, text);
      row.hidden = !visible;
      if (visible) shown += 1;
    }
    if (parts.counter) parts.counter.textContent = String(shown);
    if (parts.empty) parts.empty.hidden = shown > 0;
    parts.table.hidden = shown === 0;
  }

  function fields(form) {
    return Array.from(form.elements).filter((field) => field.name);
  }

  /* The form's state into the address bar, keeping any other query (e.g. search's ?h=). */
  function remember(form) {
    const params = new URLSearchParams(window.location.search);
    for (const field of fields(form)) {
      const value = field.value.trim();
      if (value) params.set(field.name, value);
      else params.delete(field.name);
    }
    const query = params.toString();
    const url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
    window.history.replaceState(window.history.state, "", url);
  }

  function restore(form) {
    const params = new URLSearchParams(window.location.search);
    for (const field of fields(form)) {
      if (params.has(field.name)) field.value = params.get(field.name);
    }
  }

  function init() {
    const form = document.querySelector("form.ak-filters");
    const table = document.querySelector("table.ak-filterable");
    if (!form || !table) return;
    const parts = {
      form: form,
      table: table,
      counter: document.querySelector("[data-ak-count]"),
      empty: document.querySelector("[data-ak-empty]"),
    };
    restore(form);
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", () => {
      apply(parts);
      remember(form);
    });
    const clear = document.querySelector("[data-ak-clear]");
    if (clear) {
      clear.addEventListener("click", () => {
        for (const field of fields(form)) field.value = "";
        apply(parts);
        remember(form);
        form.elements.text.focus();
      });
    }
    apply(parts);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
