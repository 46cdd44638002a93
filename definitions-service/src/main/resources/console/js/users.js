// One user: look up by id or alias, their memberships with status and times, the explanation of
// one segment as a tree, and erasure (after a confirmation).
import { h, show, field, labelCells, toast, when, errorBox } from "./dom.js";
import { ccs, segments, enc } from "./api.js";
import { explainTree } from "./tree.js";

export async function users(main, userPath) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const id = h("input", { type: "text", value: userPath && userPath !== "alias" ? userPath : "", placeholder: "the id the events carry" });
  const tag = h("input", { type: "text", value: params.get("tag") || "" });
  const aliasId = h("input", { type: "text", value: params.get("id") || "" });
  const byId = h("form", { class: "toolbar" }, field("User id", id), h("button", { type: "submit" }, "Look up"));
  const byAlias = h("form", { class: "toolbar" }, field("Alias tag", tag), field("Alias id", aliasId), h("button", { type: "submit" }, "Look up by alias"));
  byId.addEventListener("submit", ev => { ev.preventDefault(); location.hash = "#/users/" + enc(id.value.trim()); });
  byAlias.addEventListener("submit", ev => {
    ev.preventDefault();
    location.hash = "#/users/alias?" + new URLSearchParams({ tag: tag.value.trim(), id: aliasId.value.trim() });
  });
  const body = h("div", { "aria-live": "polite" });
  show(main, h("h1", {}, "Users"), byId, byAlias, body);
  if (!userPath) return;
  const path = "/ccs/v1/users/" + enc(userPath);
  const query = userPath === "alias" ? "?" + new URLSearchParams({ tag: params.get("tag") || "", id: params.get("id") || "" }) : "";
  show(body, "Loading…");
  let u;
  try {
    u = (await ccs("GET", path + query)).json;
  } catch (e) {
    show(body, errorBox(e));
    return;
  }
  const names = await segmentNames();
  const explainBox = h("div", { class: "explain" });
  const pick = h("select", {}, u.memberships.map(m => h("option", { value: m.segment_id }, names.get(m.segment_id) || m.segment_id)),
    [...names.keys()].filter(k => !u.memberships.some(m => m.segment_id === k)).map(k => h("option", { value: k }, names.get(k) + " (not a member)")));
  const explain = async segmentId => {
    show(explainBox, "Explaining…");
    try {
      const e = (await ccs("GET", path + "/explain" + (query ? query + "&" : "?") + "segment=" + enc(segmentId))).json;
      show(explainBox, h("h3", {}, (names.get(segmentId) || segmentId) + ": ", e.member ? h("span", { class: "good" }, "member") : h("span", { class: "bad" }, "not a member")),
        explainTree(e.explanation));
    } catch (e) {
      show(explainBox, errorBox(e));
    }
  };
  const erase = async () => {
    if (!confirm("Erase user " + u.user_id + "? Their state and alias bindings are removed and every membership ends. This cannot be undone.")) return;
    try {
      // By the id shown and confirmed, not the alias again: the alias may name another user by
      // now (this one erased meanwhile, and a new one minted for it).
      const r = (await ccs("DELETE", "/ccs/v1/users/" + enc(u.user_id))).json;
      toast("Erased " + r.user_id + ": " + r.exited.length + " memberships ended, " + r.aliases_removed + " aliases removed.", "good");
      show(body, h("p", { class: "erased" }, "User " + r.user_id + " is erased."));
    } catch (e) {
      toast(e.message, "bad");
    }
  };
  show(body,
    h("h2", {}, "User ", h("code", { class: "user-id" }, u.user_id)),
    labelCells(h("table", { class: "list memberships" },
      h("caption", {}, u.cohorts.length + " current membership" + (u.cohorts.length === 1 ? "" : "s")),
      h("thead", {}, h("tr", {}, ["Segment", "Status", "Entered", "Last qualified", "Exited", "Version", ""].map(c => h("th", { scope: "col" }, c)))),
      h("tbody", {}, u.memberships.map(m => h("tr", { dataset: { segment: m.segment_id } },
        h("td", {}, h("a", { href: "#/segments/" + enc(m.segment_id) }, names.get(m.segment_id) || m.segment_id)),
        h("td", {}, h("span", { class: "status " + m.status }, m.status)),
        h("td", {}, when(m.entered_at)), h("td", {}, when(m.last_qualified_at)), h("td", {}, when(m.exited_at)),
        h("td", { class: "num" }, m.segment_version),
        h("td", {}, h("button", { type: "button", onclick: () => { pick.value = m.segment_id; explain(m.segment_id); } }, "Explain"))))))),
    h("form", { class: "toolbar", onsubmit: ev => { ev.preventDefault(); explain(pick.value); } },
      field("Explain segment", pick), h("button", { type: "submit" }, "Explain")),
    explainBox,
    h("section", { class: "danger" }, h("h2", {}, "Erase"),
      h("p", {}, "Removes the user's state and alias bindings and ends every membership (admin keys only)."),
      h("button", { type: "button", class: "danger", onclick: erase }, "Erase this user")));
}

/** Segment names by id, for labels (the first 1000). */
async function segmentNames() {
  try {
    const list = (await segments("GET", "/segments?limit=1000")).json;
    return new Map(list.map(s => [s.id, s.name]));
  } catch {
    return new Map();
  }
}
