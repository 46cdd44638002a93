// The editor: a definition as JSON, validated by the API as you type with each problem placed at
// its line; preview on pasted events, estimate, save as a new version, and the version history
// with a diff against the current version and rollback.
import { h, show, field, toast, when, errorBox } from "./dom.js";
import { segments, enc } from "./api.js";
import { locate, place, syntaxPlace, diffLines } from "./json.js";
import { explainTree } from "./tree.js";

const STARTER = {
  func: "segment-def",
  version: [1, 0, 0],
  container: {
    func: "container", context: "visitors",
    pred: { func: "streq", val: { func: "attr", name: "variables/section" }, str: "sport" },
  },
};

const SAMPLE_EVENTS = () => JSON.stringify([
  { name: "Pageview", time: new Date().toISOString(), properties: { section: "sport" } },
], null, 2);

/**
 * A request body of `fields` and the definition as its text (valid JSON, checked), not as
 * JSON.parse read it: the service's reader then sees what the user typed.
 */
function withDefinition(fields, text) {
  const mark = "\u0000definition\u0000";
  return JSON.stringify({ ...fields, definition: mark }).replace(JSON.stringify(mark), () => text);
}

export async function editor(main, id) {
  let segment = null;
  if (id) {
    const at = location.hash;
    try {
      segment = (await segments("GET", "/segments/" + enc(id) + "?expansion=definition,publishingStatus,tags,modified")).json;
    } catch (e) {
      if (location.hash === at) show(main, h("h1", {}, "Segment " + id), errorBox(e));
      return;
    }
    // Navigated elsewhere meanwhile: the page there is drawing, not this one (a Save here would
    // write to the segment the address no longer names).
    if (location.hash !== at) return;
  }
  const name = h("input", { type: "text", value: segment ? segment.name : "", required: true });
  const text = JSON.stringify(segment ? segment.definition : STARTER, null, 2);
  const area = h("textarea", { class: "code", rows: 22, spellcheck: "false", "aria-describedby": "problems" });
  area.value = text;
  const gutter = h("ol", { class: "gutter", "aria-hidden": "true" });
  const status = h("div", { id: "validity", class: "validity", "aria-live": "polite" });
  const problems = h("ul", { id: "problems", class: "problems" });
  const facts = h("p", { class: "facts" });

  const redrawGutter = marks => {
    const lines = area.value.split("\n").length;
    show(gutter, Array.from({ length: lines }, (_, i) =>
      h("li", { class: marks && marks.has(i + 1) ? "mark" : null }, String(i + 1))));
  };
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });

  let seq = 0;
  let unchecked = false; // the last validation failed to run (429, 504...): nothing is known
  // Answers the text as typed when it is valid: that text is what Save, Estimate and Preview send
  // (withDefinition), since JSON.parse's reading of it keeps the last of a key given twice and
  // rounds integers past 2^53, where the service refuses the first and keeps the second exact.
  const validate = async () => {
    const mine = ++seq;
    const text = area.value;
    try {
      JSON.parse(text);
    } catch (e) {
      const at = syntaxPlace(area.value, e);
      status.className = "validity bad";
      show(status, "Not JSON");
      show(problems, problem(at, "", e.message, "error"));
      redrawGutter(at ? new Set([at.line]) : null);
      return null;
    }
    let c;
    try {
      c = (await segments("POST", "/segments/validate?rsid=default", text)).json;
    } catch (e) {
      if (mine === seq && e.status === 400 && e.code === "malformed_json") {
        // JSON to the browser, not to the service's strict reader (a key given twice): not valid.
        unchecked = false;
        status.className = "validity bad";
        show(status, "Not valid");
        show(facts, []);
        show(problems, problem(null, "", e.message, "error", e.code));
        redrawGutter(null);
      } else if (mine === seq) {
        // Not "Valid" from an older text, nor its facts and marks: this text is unchecked.
        unchecked = true;
        status.className = "validity bad";
        show(status, "Not checked — the validation did not answer");
        show(facts, []);
        show(problems, h("li", {}, errorBox(e)));
        redrawGutter(null);
      }
      return null;
    }
    if (mine !== seq) return null; // a newer keystroke's answer will come
    unchecked = false;
    const where = locate(area.value);
    const marks = new Set();
    const items = [];
    for (const [list, kind] of [[c.errors || [], "error"], [c.warnings || [], "warning"]]) {
      for (const p of list) {
        const at = place(where, p.pointer);
        if (kind === "error") marks.add(at.line);
        items.push(problem(at, p.pointer, p.message, kind, p.code));
      }
    }
    status.className = "validity " + (c.valid ? "good" : "bad");
    show(status, c.valid ? "Valid" : "Not valid", " — ", c.message);
    show(facts, c.valid
      ? ["Evaluation: ", h("strong", {}, c.evaluation || "–"), " · supported products: ",
         h("strong", {}, (c.supported_products || []).join(", ") || "none"),
         (c.unsupported_products || []).length ? " · not for " + c.unsupported_products.map(u => u.product + " (" + u.reason + ")").join(", ") : ""]
      : []);
    show(problems, items);
    redrawGutter(marks);
    return c.valid ? text : null;
  };
  let timer;
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(validate, 350); redrawGutter(); });
  // What a button needs checked now: the keystrokes' pending check is dropped, since it would
  // start after this one and make its answer stale (a save within 350 ms of typing was refused as
  // not ready, and more often so on a slow server).
  const validateNow = () => { clearTimeout(timer); return validate(); };

  /** A problem placed at its line; choosing it puts the caret there. */
  function problem(at, pointer, message, kind, code) {
    const go = () => {
      if (!at) return;
      area.focus();
      area.setSelectionRange(at.offset, at.offset);
      const lineHeight = area.scrollHeight / Math.max(area.value.split("\n").length, 1);
      area.scrollTop = Math.max(0, (at.line - 3) * lineHeight);
    };
    return h("li", { class: "problem " + kind, dataset: { pointer: pointer || "", line: at ? at.line : "" } },
      h("button", { type: "button", class: "link", onclick: go }, at ? "line " + at.line + ", column " + at.column : "here"),
      " ", pointer ? h("code", {}, pointer) : null, " ", h("span", { class: "message" }, message),
      code ? h("span", { class: "sub" }, " (" + code + ")") : null);
  }

  // Why an action on the definition did not run: it is not valid, or could not be checked.
  const notReady = () => unchecked
    ? "The definition could not be checked: try again."
    : "Fix the definition first: it is not valid.";

  const save = async () => {
    const def = await validateNow();
    if (!def) {
      toast(notReady(), "bad");
      return;
    }
    try {
      if (segment) {
        // The version this page was opened on: someone else's save since is a 409, not lost.
        const r = (await segments("PUT", "/segments/" + enc(segment.id), withDefinition({ name: name.value, version: segment.version }, def))).json;
        // A save that changes nothing writes no version: the answer is the version it was.
        toast(r.version === segment.version ? "Nothing to save: unchanged." : "Saved as version " + r.version + ".", "good");
        editor(main, segment.id);
      } else {
        const r = (await segments("POST", "/segments", withDefinition({ name: name.value, rsid: "default" }, def))).json;
        toast("Created " + r.name + ".", "good");
        location.hash = "#/segments/" + enc(r.id);
      }
    } catch (e) {
      show(saveResult, errorBox(e));
    }
  };
  const saveResult = h("div", { "aria-live": "polite" });

  // Estimate of the draft's size over the users the job holds.
  const estimateOut = h("div", { class: "estimate", "aria-live": "polite" });
  const estimate = async () => {
    const def = await validateNow();
    if (!def) {
      show(estimateOut, h("p", { class: "error" }, notReady()));
      return;
    }
    show(estimateOut, "Estimating…");
    try {
      const e = (await segments("POST", "/segments/estimate", withDefinition({}, def))).json;
      show(estimateOut, h("strong", { class: "estimated-size" }, e.size.toLocaleString()), " users",
        e.exact ? " (exact)" : " (95 % interval " + e.interval.low + "–" + e.interval.high + ")",
        h("span", { class: "sub" }, " · sampled " + e.sample.users + " of " + e.sample.population + " in " + e.durationMs + " ms"));
    } catch (e) {
      show(estimateOut, errorBox(e));
    }
  };

  // Preview against pasted events.
  const events = h("textarea", { class: "code", rows: 8, spellcheck: "false" });
  events.value = SAMPLE_EVENTS();
  const previewOut = h("div", { class: "preview", "aria-live": "polite" });
  const preview = async () => {
    const def = await validateNow();
    if (!def) {
      show(previewOut, h("p", { class: "error" }, notReady()));
      return;
    }
    let sample;
    try {
      sample = JSON.parse(events.value);
    } catch (e) {
      show(previewOut, h("p", { class: "error" }, "The sample events are not JSON: " + e.message));
      return;
    }
    const fields = Array.isArray(sample) ? { events: sample } : { ...sample };
    delete fields.definition;
    try {
      const r = (await segments("POST", "/segments/preview", withDefinition(fields, def))).json;
      show(previewOut, r.users.map(u => h("section", { class: "card" },
        h("h3", {}, u.userId, ": ", u.member ? h("span", { class: "good" }, "member") : h("span", { class: "bad" }, "not a member")),
        h("p", {}, "Entered ", when(u.enteredAt), " · lapses ", u.lapsesAt ? when(u.lapsesAt) : "never (with no new events)",
          u.ignored.length ? " · ignored: " + u.ignored.map(i => "#" + i.index + " " + i.reason).join(", ") : ""),
        u.changes.length ? h("p", { class: "sub" }, u.changes.map(c => c.change + " " + when(c.time)).join(" → ")) : null,
        explainTree(u.explanation))));
    } catch (e) {
      show(previewOut, errorBox(e));
    }
  };

  const history = h("div", { class: "history" });
  show(main,
    h("h1", {}, segment ? segment.name : "New segment"),
    segment ? h("p", { class: "sub" }, segment.id, " · version ", segment.version, " · ",
      h("a", { href: "#/segments/" + enc(segment.id) + "/audience" }, "audience")) : null,
    h("form", { class: "editor", onsubmit: ev => { ev.preventDefault(); save(); } },
      field("Name", name),
      h("div", { class: "field" },
        h("label", { for: "definition" }, "Definition (JSON)"),
        h("div", { class: "code-box" }, gutter, Object.assign(area, { id: "definition" }))),
      status, facts, problems,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary" }, segment ? "Save as new version" : "Create segment"),
        h("button", { type: "button", onclick: estimate }, "Estimate size")),
      saveResult, estimateOut),
    h("section", {},
      h("h2", {}, "Preview on sample events"),
      field("Events (an array, or {users: [{userId, events}], at})", events),
      h("button", { type: "button", onclick: preview }, "Preview"),
      previewOut),
    segment ? h("section", {}, h("h2", {}, "Version history"), history) : null);
  redrawGutter();
  validate();
  if (segment) versions(segment, history, main);
}

async function versions(segment, box, main) {
  let list;
  try {
    list = (await segments("GET", "/segments/" + enc(segment.id) + "/versions")).json;
  } catch (e) {
    show(box, errorBox(e));
    return;
  }
  const diff = h("div", { class: "diff-box" });
  const current = JSON.stringify(segment.definition, null, 2);
  show(box,
    h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ["Version", "Change", "Modified", "By", ""].map(c => h("th", { scope: "col" }, c)))),
      h("tbody", {}, list.map(v => h("tr", {},
        h("td", {}, v.version, v.current ? " (current)" : ""),
        h("td", {}, v.change), h("td", {}, when(v.modified)), h("td", {}, v.modifiedBy ? v.modifiedBy.name : ""),
        h("td", {},
          h("button", { type: "button", onclick: () => showDiff(segment, v.version, current, diff) }, "Diff"),
          v.current ? null : h("button", { type: "button", onclick: () => rollback(segment, v.version, main) }, "Roll back")))))),
    diff);
}

async function showDiff(segment, version, current, box) {
  try {
    const v = (await segments("GET", "/segments/" + enc(segment.id) + "/versions/" + version + "?expansion=definition")).json;
    const lines = diffLines(JSON.stringify(v.definition, null, 2), current);
    show(box, h("h3", {}, "Version " + version + " → current"),
      h("pre", { class: "diff" }, lines.map(l => h("span", { class: l.kind === "+" ? "add" : l.kind === "-" ? "del" : "same" }, l.kind + " " + l.text + "\n"))));
  } catch (e) {
    show(box, errorBox(e));
  }
}

async function rollback(segment, version, main) {
  if (!confirm("Roll " + segment.name + " back to version " + version + "? This saves a new version with its content.")) return;
  try {
    // With the version this page shows as current: someone's save since is a 409, not undone.
    const r = (await segments("POST", "/segments/" + enc(segment.id) + "/versions/" + version + "/rollback", { version: segment.version })).json;
    toast("Rolled back: now version " + r.version + ".", "good");
    editor(main, segment.id);
  } catch (e) {
    toast(e.message, "bad");
  }
}
