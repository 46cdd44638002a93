// An explanation (GET /ccs/v1/users/{id}/explain, POST /segments/preview) as a readable tree:
// each predicate with its truth now and what is behind it.
import { h } from "./dom.js";

export function explainTree(e) {
  return h("ul", { class: "tree", role: "tree", "aria-label": "Explanation" }, node(e));
}

function node(e) {
  const facts = [];
  if (e.units !== undefined) facts.push(e.matching_units + " of " + e.units + " units match (at least " + e.at_least + ")");
  if (e.window) facts.push("window: last " + e.window.count + " " + e.window.unit + (e.window.count === 1 ? "" : "s"));
  if (e.value !== undefined) facts.push("value " + e.value);
  const steps = e.steps
    ? h("ol", { class: "steps" }, e.steps.map((s, i) => h("li", {},
        "step " + (i + 1) + ": " + s.occurrences + " occurrence" + (s.occurrences === 1 ? "" : "s"),
        s.matched ? h("span", { class: "sub" }, " — matched " + s.matched.map(m => m.name + " at " + m.time).join(", ")) : null)))
    : null;
  return h("li", { role: "treeitem", class: e.holds ? "holds" : "fails", dataset: { pointer: e.pointer } },
    h("span", { class: "truth", "aria-label": e.holds ? "holds" : "does not hold" }, e.holds ? "✔" : "✘"),
    " ", h("code", {}, e.func), " ", describe(e),
    facts.length ? h("span", { class: "sub" }, " — " + facts.join("; ")) : null,
    steps,
    e.children && e.children.length ? h("ul", { role: "group" }, e.children.map(node)) : null);
}

/** A leaf's definition in words: "variables/section = sport". */
function describe(e) {
  const d = e.definition;
  if (!d) return e.func === "container" ? "" : "";
  const attr = d.val && (d.val.name || (d.val.func === "attr" ? d.val.name : null));
  const operand = d.str ?? d.num ?? (d.list ? d.list.join(", ") : undefined) ?? d.glob ?? d.evt;
  const evt = typeof d.evt === "object" && d.evt ? d.evt.name : d.evt;
  if (e.func.includes("event-exists")) return h("span", {}, evt || "");
  return h("span", {}, [attr, operand].filter(x => x !== undefined && x !== null).join(" · "));
}
