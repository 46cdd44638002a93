// The console's shell: sign-in, navigation and a router over the URL's fragment, each page a
// module that draws into <main> from the public API.
import { h, show, field } from "./dom.js";
import { session, signIn, signOut, segments } from "./api.js";
import { segmentList } from "./segments.js";
import { editor } from "./editor.js";
import { audience } from "./audience.js";
import { users } from "./users.js";
import { schemas } from "./schemas.js";

const main = document.getElementById("main");

const ROUTES = [
  [/^#\/segments$/, () => segmentList(main)],
  [/^#\/segments\/new$/, () => editor(main, null)],
  [/^#\/segments\/([^/]+)$/, m => editor(main, decoded(m[1]))],
  [/^#\/segments\/([^/]+)\/audience$/, m => audience(main, decoded(m[1]))],
  [/^#\/users$/, () => users(main, null)],
  [/^#\/users\/([^/]+)$/, m => users(main, decoded(m[1]))],
  [/^#\/schemas$/, () => schemas(main)],
];

/** A path segment of the address decoded; a malformed escape ("50%") matches no page. */
function decoded(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new NotFound();
  }
}

class NotFound extends Error {}

function route() {
  if (!session()) {
    login();
    return;
  }
  showWho();
  const hash = location.hash && location.hash !== "#" ? location.hash.split("?")[0] : "#/segments";
  for (const a of document.querySelectorAll("#nav a")) {
    a.toggleAttribute("aria-current", hash.startsWith(a.getAttribute("href")));
  }
  for (const [re, page] of ROUTES) {
    const m = hash.match(re);
    if (m) {
      try {
        page(m);
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
        break;
      }
      main.focus();
      return;
    }
  }
  show(main, h("h1", {}, "Not found"), h("p", {}, "No page at ", h("code", {}, hash), "."));
}

function showWho() {
  const s = session();
  show(document.getElementById("who"),
    h("span", { class: "org" }, "Workspace ", h("strong", {}, s.org)),
    h("button", { type: "button", class: "link", onclick: () => { signOut(); route(); } }, "Sign out"));
}

function login() {
  show(document.getElementById("who"));
  const key = h("input", { type: "password", name: "key", autocomplete: "off", required: true });
  const org = h("input", { type: "text", name: "org", required: true, autocomplete: "organization" });
  const token = h("input", { type: "password", name: "token", autocomplete: "off" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "card login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in"),
    h("p", {}, "Your API key stays in this browser tab's session: it is sent to the API only, never put in a URL."),
    field("API key", key),
    field("Workspace (org id)", org),
    field("Bearer token", token, "Leave empty when it is the key itself."),
    problem,
    h("button", { type: "submit", class: "primary" }, "Sign in"));
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    signIn(key.value.trim(), org.value.trim(), token.value.trim());
    try {
      await segments("GET", "/segments?limit=1");
      route();
    } catch (e) {
      signOut();
      problem.hidden = false;
      problem.textContent = "Sign-in refused: " + e.message;
    }
  });
  show(main, form);
  key.focus();
}

window.addEventListener("hashchange", route);
route();
