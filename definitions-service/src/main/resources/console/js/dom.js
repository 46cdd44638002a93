// Building the page from data without ever parsing data as HTML: every text goes in as text.

/** An element: h("a", {href: "#/x", class: "c", onclick: fn}, "text", child, ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the content of {@code el}. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled field: the label names the control, for screen readers and clicks alike. */
export function field(label, control, hint) {
  const id = control.id || "f-" + Math.random().toString(36).slice(2, 9);
  control.id = id;
  return h("div", { class: "field" },
    h("label", { for: id }, label), control, hint ? h("small", { class: "hint" }, hint) : null);
}

/** A short message for everyone, screen readers included. */
export function toast(text, kind) {
  const t = document.getElementById("toast");
  t.className = kind || "info";
  t.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.textContent = ""; t.className = ""; }, 6000);
}

/** A date-time as the reader's locale writes it, or a dash. */
export function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

/** The error box of a failed call: message, code and each detail with its pointer. */
export function errorBox(e) {
  return h("div", { class: "error", role: "alert" },
    h("strong", {}, e.message || String(e)),
    e.code ? h("span", { class: "code" }, " (" + e.code + (e.status ? ", HTTP " + e.status : "") + ")") : null,
    e.details && e.details.length
      ? h("ul", {}, e.details.map(d => h("li", {}, d.pointer ? h("code", {}, d.pointer) : null, " ", d.message || "")))
      : null);
}

/** Names each cell after its column, so that a narrow window can show a row as label: value. */
export function labelCells(table) {
  const names = [...table.querySelectorAll("thead th")].map(th => th.textContent);
  for (const tr of table.querySelectorAll("tbody tr")) {
    [...tr.children].forEach((td, i) => { if (names[i]) td.dataset.label = names[i]; });
  }
  return table;
}
