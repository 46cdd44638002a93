// The public API, called with the signed-in key: the Segments API with Adobe's headers, the
// segmentation API (/ccs/v1, /schemas) with X-Api-Key. The key lives in this tab's session storage
// only: never in a URL, gone when the tab closes.

const STORE = "cohortflow.session";

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE));
  } catch {
    return null;
  }
}

export function signIn(key, org, token) {
  sessionStorage.setItem(STORE, JSON.stringify({ key, org, token: token || key }));
}

export function signOut() {
  sessionStorage.removeItem(STORE);
}

/** A failed call: HTTP status, the API's error code, its message and details (with pointers). */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

async function call(method, path, body, headers) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "unreachable", "the service could not be reached: " + e.message);
  }
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!r.ok) {
    // The Segments API's body (errorCode, errorDescription, errors) or the spec's (error{...}).
    if (json && json.error && typeof json.error === "object") {
      throw new ApiError(r.status, json.error.type, json.error.message, json.error.cause ? [{ message: json.error.cause }] : []);
    }
    if (json && json.errorCode) {
      throw new ApiError(r.status, json.errorCode, json.errorDescription, json.errors);
    }
    throw new ApiError(r.status, "http_" + r.status, text || r.statusText);
  }
  return { json, headers: r.headers };
}

function adobe() {
  const s = session();
  return { "x-api-key": s.key, Authorization: "Bearer " + s.token, "x-gw-ims-org-id": s.org };
}

/** The Segments API: answers {json, headers}. */
export function segments(method, path, body) {
  return call(method, path, body, adobe());
}

/** The segmentation API and event schemas: answers {json, headers}. */
export function ccs(method, path, body) {
  return call(method, path, body, { "X-Api-Key": session().key });
}

/** A path segment or query value, escaped. */
export const enc = encodeURIComponent;
