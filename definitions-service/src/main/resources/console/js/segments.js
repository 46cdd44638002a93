// Segments: the list with search, paging and sort done by the API's own parameters, each row with
// its audience now, what entered and exited in the last day, and how far the job has applied it.
import { h, show, field, labelCells, when, errorBox } from "./dom.js";
import { segments, enc } from "./api.js";

const SORTS = [["name", "Name"], ["modified_date", "Last modified"], ["id", "Id"]];

export async function segmentList(main) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const q = {
    name: params.get("name") || "",
    page: Number(params.get("page") || 0),
    limit: Number(params.get("limit") || 20),
    sort: params.get("sort") || "name",
    dir: params.get("dir") || "ASC",
  };
  const go = change => {
    const next = { ...q, ...change };
    const p = new URLSearchParams({ name: next.name, page: next.page, limit: next.limit, sort: next.sort, dir: next.dir });
    location.hash = "#/segments?" + p;
  };
  const search = h("input", { type: "search", value: q.name, placeholder: "part of a name" });
  const sort = h("select", {}, SORTS.map(([v, label]) => h("option", { value: v, selected: v === q.sort }, label)));
  const dir = h("select", {},
    h("option", { value: "ASC", selected: q.dir === "ASC" }, "Ascending"),
    h("option", { value: "DESC", selected: q.dir === "DESC" }, "Descending"));
  const form = h("form", { class: "toolbar", role: "search" },
    field("Search by name", search), field("Sort by", sort), field("Order", dir),
    h("button", { type: "submit" }, "Apply"),
    h("a", { class: "button primary", href: "#/segments/new" }, "New segment"));
  form.addEventListener("submit", ev => { ev.preventDefault(); go({ name: search.value, sort: sort.value, dir: dir.value, page: 0 }); });
  const body = h("div", { "aria-live": "polite" }, h("p", {}, "Loading…"));
  show(main, h("h1", {}, "Segments"), form, body);

  let page;
  try {
    page = await segments("GET", "/segments?" + new URLSearchParams({
      name: q.name, page: q.page, limit: q.limit, sortProperty: q.sort, sortDirection: q.dir,
      expansion: "tags,publishingStatus,modified,audienceSize,audienceLastDay,propagation",
    }));
  } catch (e) {
    show(body, errorBox(e));
    return;
  }
  const list = page.json;
  const total = Number(page.headers.get("X-Total-Count") || list.length);
  const pages = Number(page.headers.get("X-Total-Pages") || 1);
  if (!list.length && total > 0) {
    // A page past the last (a bookmark, or after deletes): say so, and lead back to the first.
    show(body, h("p", {}, "No segments on this page: there are " + total + ". ",
      h("button", { type: "button", class: "link", onclick: () => go({ ...q, page: 0 }) }, "First page")));
    return;
  }
  if (!list.length) {
    show(body, h("p", {}, q.name ? "No segment's name contains “" + q.name + "”." : "No segments yet. ",
      h("a", { href: "#/segments/new" }, "Create one")));
    return;
  }
  const rows = list.map(s => {
    // Part of the list's answer: a request per row used up the workspace's rate limit.
    const day = h("td", { class: "num" },
      s.audienceLastDay ? "+" + s.audienceLastDay.entered + " / −" + s.audienceLastDay.exited : "–");
    return h("tr", { dataset: { id: s.id } },
      h("td", {}, h("a", { href: "#/segments/" + enc(s.id) }, s.name), h("div", { class: "sub" }, s.id)),
      h("td", {}, (s.tags || []).map(t => h("span", { class: "tag" }, t.name))),
      h("td", {}, s.publishingStatus && s.publishingStatus.published ? "yes" : "no"),
      h("td", { class: "num size" }, h("a", { href: "#/segments/" + enc(s.id) + "/audience", title: "audience over time" },
        s.audienceSize === undefined ? "–" : s.audienceSize.toLocaleString())),
      day,
      h("td", {}, propagation(s.propagation)),
      h("td", {}, when(s.modified)));
  });
  show(body,
    labelCells(h("table", { class: "list" },
      h("caption", {}, total + " segment" + (total === 1 ? "" : "s")),
      h("thead", {}, h("tr", {}, ["Name", "Tags", "Published", "Size", "Entered / exited (24 h)", "Propagation", "Modified"]
        .map(c => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows))),
    h("nav", { class: "pager", "aria-label": "Pages" },
      h("button", { type: "button", disabled: q.page === 0, onclick: () => go({ page: q.page - 1 }) }, "Previous"),
      h("span", {}, "Page " + (q.page + 1) + " of " + Math.max(pages, 1)),
      h("button", { type: "button", disabled: q.page + 1 >= pages, onclick: () => go({ page: q.page + 1 }) }, "Next")));
}

function propagation(p) {
  if (!p) return "–";
  if (p.rejected) return h("span", { class: "bad", title: p.rejected }, "rejected");
  if (p.applied) return h("span", { class: "good", title: "applied to every user at " + when(p.appliedAt) }, "applied to all");
  if (p.inEffect) return h("span", { class: "warn", title: "live since " + when(p.inEffectAt) }, "live");
  return h("span", {}, p.live ? "pending" : "not live");
}

