// A segment's audience: its size over time and what entered and exited per period, as charts
// (uPlot, served from its WebJar), with the instant the counts are as of.
import { h, show, field, when, errorBox } from "./dom.js";
import { segments, enc } from "./api.js";

export async function audience(main, id) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const granularity = params.get("granularity") || "hour";
  const pick = h("select", {}, ["minute", "hour", "day"].map(g => h("option", { value: g, selected: g === granularity }, g)));
  pick.addEventListener("change", () => { location.hash = "#/segments/" + enc(id) + "/audience?granularity=" + pick.value; });
  const body = h("div", { "aria-live": "polite" }, "Loading…");
  show(main, h("h1", {}, "Audience"), h("p", { class: "sub" }, h("a", { href: "#/segments/" + enc(id) }, id)),
    h("div", { class: "toolbar" }, field("Per", pick)), body);
  const at = location.hash;
  let a, s;
  try {
    [a, s] = await Promise.all([
      segments("GET", "/segments/" + enc(id) + "/audience?granularity=" + granularity).then(r => r.json),
      segments("GET", "/segments/" + enc(id)).then(r => r.json),
    ]);
  } catch (e) {
    show(body, errorBox(e));
    return;
  }
  if (location.hash !== at) return; // navigated elsewhere meanwhile: not this page any more
  main.querySelector("h1").textContent = "Audience of " + s.name;
  const t = a.series.map(p => Date.parse(p.start) / 1000);
  const sizeBox = h("div", { class: "chart", role: "img", "aria-label": "size over time" });
  const flowBox = h("div", { class: "chart", role: "img", "aria-label": "entered and exited per " + granularity });
  const entered = a.series.reduce((n, p) => n + p.entered, 0);
  const exited = a.series.reduce((n, p) => n + p.exited, 0);
  show(body,
    h("p", { class: "big" }, h("strong", { class: "audience-size" }, a.size.toLocaleString()), " members now"),
    h("p", { class: "sub" }, "As of ", when(a.asOf), " (event time of the newest change counted) · over the period shown: +",
      entered, " entered, −", exited, " exited"),
    h("h2", {}, "Size"), sizeBox,
    h("h2", {}, "Entered and exited per " + granularity), flowBox,
    h("details", {}, h("summary", {}, "The numbers"),
      h("table", { class: "list" },
        h("thead", {}, h("tr", {}, ["Period", "Entered", "Exited", "Size at its end"].map(c => h("th", { scope: "col" }, c)))),
        h("tbody", {}, a.series.filter(p => p.entered || p.exited).slice(-200).map(p =>
          h("tr", {}, h("td", {}, when(p.start)), h("td", { class: "num" }, p.entered), h("td", { class: "num" }, p.exited), h("td", { class: "num" }, p.size)))))));
  if (typeof uPlot === "undefined") {
    show(sizeBox, "The charting library did not load.");
    return;
  }
  const width = () => Math.max(280, Math.min(main.clientWidth - 32, 1100));
  const size = new uPlot({
    width: width(), height: 240,
    series: [{}, { label: "members", stroke: "#2563eb", fill: "rgba(37,99,235,0.12)" }],
    axes: [{}, { label: "members" }],
  }, [t, a.series.map(p => p.size)], sizeBox);
  const bars = uPlot.paths.bars({ size: [0.6, 40] });
  const flow = new uPlot({
    width: width(), height: 240,
    series: [{},
      { label: "entered", stroke: "#16a34a", fill: "rgba(22,163,74,0.5)", paths: bars },
      { label: "exited", stroke: "#dc2626", fill: "rgba(220,38,38,0.5)", paths: bars }],
    axes: [{}, { label: "users" }],
  }, [t, a.series.map(p => p.entered), a.series.map(p => p.exited)], flowBox);
  // One listener, removed with the charts: each visit added one that kept its charts alive.
  const resize = () => {
    if (!sizeBox.isConnected) {
      window.removeEventListener("resize", resize);
      size.destroy();
      flow.destroy();
      return;
    }
    size.setSize({ width: width(), height: 240 });
    flow.setSize({ width: width(), height: 240 });
  };
  window.addEventListener("resize", resize);
}
