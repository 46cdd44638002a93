// Event schemas: list, view and edit, with the API's validation of the schema itself.
import { h, show, field, toast, errorBox } from "./dom.js";
import { ccs, enc } from "./api.js";

export async function schemas(main) {
  const body = h("div", { "aria-live": "polite" }, "Loading…");
  const name = h("input", { type: "text", placeholder: "Pageview", required: true });
  const text = h("textarea", { class: "code", rows: 14, spellcheck: "false" });
  text.value = JSON.stringify({ type: "object", required: ["name", "time", "properties"], properties: { properties: { type: "object" } } }, null, 2);
  const result = h("div", { "aria-live": "polite" });
  const save = async ev => {
    ev.preventDefault();
    if (!name.value.trim()) {
      show(result, h("p", { class: "error", role: "alert" }, "An event name is needed."));
      return;
    }
    let schema;
    try {
      schema = JSON.parse(text.value);
    } catch (e) {
      show(result, h("p", { class: "error", role: "alert" }, "Not JSON: " + e.message));
      return;
    }
    try {
      await ccs("PUT", "/schemas/" + enc(name.value.trim()), schema);
      toast("Saved the schema of " + name.value.trim() + ".", "good");
      schemas(main);
    } catch (e) {
      show(result, errorBox(e));
    }
  };
  show(main, h("h1", {}, "Event schemas"), body,
    h("h2", {}, "Create or replace"),
    h("form", { onsubmit: save }, field("Event name", name), field("JSON Schema (2020-12)", text),
      h("button", { type: "submit", class: "primary" }, "Save schema"), result));
  let list;
  try {
    list = (await ccs("GET", "/schemas")).json.schemas;
  } catch (e) {
    show(body, errorBox(e));
    return;
  }
  const names = Array.isArray(list) ? list.map(s => (typeof s === "string" ? s : s.name)) : Object.keys(list || {});
  if (!names.length) {
    show(body, h("p", {}, "No event schemas yet: events are segmented without schema validation."));
    return;
  }
  show(body, h("ul", { class: "schema-list" }, names.map(n => h("li", {},
    h("button", { type: "button", class: "link", onclick: () => view(n) }, n), " ",
    h("button", { type: "button", class: "link", onclick: () => remove(n) }, "delete")))));
  async function view(n) {
    try {
      const s = (await ccs("GET", "/schemas/" + enc(n))).json;
      name.value = n;
      text.value = JSON.stringify(s.schema || s, null, 2);
      text.focus();
    } catch (e) {
      toast(e.message, "bad");
    }
  }
  async function remove(n) {
    if (!confirm("Delete the schema of " + n + "?")) return;
    try {
      await ccs("DELETE", "/schemas/" + enc(n));
      schemas(main);
    } catch (e) {
      toast(e.message, "bad");
    }
  }
}
