// Where a JSON pointer lands in the text of a JSON document, so that a problem the API reports
// at "/container/pred/func" is shown on its line; and a line diff for version history.

/**
 * Every value of the document by JSON pointer: {line, column, offset} of where it starts (1-based
 * line and column). A member's key is recorded too, under the pointer of its value with "#key".
 * Assumes the text parses (JSON.parse first).
 */
export function locate(text) {
  const at = new Map();
  let i = 0;
  const ws = () => { while (i < text.length && " \t\r\n".includes(text[i])) i++; };
  const mark = ptr => at.set(ptr, position(text, i));
  const str = () => {
    let out = "";
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") {
        const c = text[i + 1];
        if (c === "u") { out += String.fromCharCode(parseInt(text.substr(i + 2, 4), 16)); i += 6; continue; }
        out += { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" }[c] || c;
        i += 2;
        continue;
      }
      out += text[i++];
    }
    i++; // closing quote
    return out;
  };
  const value = ptr => {
    ws();
    mark(ptr);
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        const keyAt = position(text, i);
        const key = str();
        const child = ptr + "/" + key.replace(/~/g, "~0").replace(/\//g, "~1");
        at.set(child + "#key", keyAt);
        ws();
        i++; // colon
        value(child);
        ws();
        if (text[i] === ",") { i++; continue; }
        i++; // closing brace
        return;
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") { i++; return; }
      for (let n = 0; ; n++) {
        value(ptr + "/" + n);
        ws();
        if (text[i] === ",") { i++; continue; }
        i++;
        return;
      }
    }
    if (c === '"') { str(); return; }
    while (i < text.length && !",]} \t\r\n".includes(text[i])) i++;
  };
  value("");
  return at;
}

function position(text, offset) {
  let line = 1, col = 1;
  for (let k = 0; k < offset; k++) {
    if (text[k] === "\n") { line++; col = 1; } else col++;
  }
  return { line, column: col, offset };
}

/** The place of {@code pointer}, or of its nearest ancestor the text has. */
export function place(locations, pointer) {
  let p = pointer || "";
  for (;;) {
    const hit = locations.get(p + "#key") || locations.get(p);
    if (hit) return hit;
    if (!p) return { line: 1, column: 1, offset: 0 };
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/** Where a JSON.parse error points, as {line, column}, when the engine says (V8: "position N"). */
export function syntaxPlace(text, error) {
  const m = /position (\d+)/.exec(error.message);
  return m ? position(text, Number(m[1])) : null;
}

/** A line diff (longest common subsequence): [{kind: " " | "-" | "+", text}]. */
export function diffLines(a, b) {
  const x = a.split("\n"), y = b.split("\n");
  const n = x.length, m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ kind: " ", text: x[i] }); i++; j++; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ kind: "-", text: x[i++] });
    else out.push({ kind: "+", text: y[j++] });
  }
  while (i < n) out.push({ kind: "-", text: x[i++] });
  while (j < m) out.push({ kind: "+", text: y[j++] });
  return out;
}
