// api.js: fetch wrapper for /api/v1. Cookie auth; every write carries the
// X-CSRF-Token header copied from the readable tack_csrf cookie.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || String(status));
    this.status = status;
    this.code = code || (status === 0 ? 'network' : 'internal');
    this.field = field;
  }
  // Temporary errors are worth retrying with the same request.
  get temporary() {
    return this.status === 0 || this.status === 429 || this.status === 503 || this.status >= 500;
  }
}

let csrfFallback = '';

export function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === 'tack_csrf') return decodeURIComponent(v || '');
  }
  return csrfFallback;
}

export function rememberCSRF(token) {
  if (token) csrfFallback = token;
}

// Listeners told when the session is gone (401 on an authenticated call).
const unauthorized = new Set();
export function onUnauthorized(fn) {
  unauthorized.add(fn);
}

export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  let payload = body instanceof Blob ? body : undefined;
  if (opts.lines) headers.Accept = 'application/x-ndjson';
  if (body !== undefined && !payload) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      cache: opts.cache || 'no-store',
      signal: opts.signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e.message);
  }
  if (res.status === 204) return null;
  // opts.lines: read an NDJSON answer, a line at a time.
  if (res.ok && opts.lines) {
    const rd = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await rd.read();
      buf += value || '';
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) opts.lines(JSON.parse(line));
      }
      if (done) return null;
    }
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const e = new ApiError(res.status, err.code, err.message, err.field);
    e.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    if (res.status === 401 && !opts.quiet) unauthorized.forEach((fn) => fn(e));
    throw e;
  }
  return data;
}

export const get = (p, o) => api('GET', p, undefined, o);
export const post = (p, b, o) => api('POST', p, b === undefined ? {} : b, o);
export const patch = (p, b) => api('PATCH', p, b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);
export const enc = encodeURIComponent;
