// dom.js: a tiny element builder. Strings always become text nodes, so user
// content can never turn into markup. There is no innerHTML anywhere.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// reconcile makes parent's children the elements of items, in order. Each
// item is [key, signature, make]; elements are kept in cache by key and
// rebuilt (by make) only when their signature changes, so an update touches
// only what changed and focus and scroll positions survive.
export function reconcile(parent, cache, items) {
  const keep = new Set();
  let cur = parent.firstChild;
  for (const [key, sig, make] of items) {
    keep.add(key);
    let e = cache.get(key);
    if (!e || e.sig !== sig) {
      const el = make();
      el.dataset.key = key;
      if (e && e.el.parentNode) e.el.replaceWith(el);
      if (e && cur === e.el) cur = el;
      e = { sig, el };
      cache.set(key, e);
    }
    if (e.el !== cur) parent.insertBefore(e.el, cur);
    else cur = cur.nextSibling;
  }
  while (cur) {
    const next = cur.nextSibling;
    cur.remove();
    cur = next;
  }
  for (const k of cache.keys()) if (!keep.has(k)) cache.delete(k);
}

// Icons: fixed paths, drawn with createElementNS.
const ICONS = {
  plus: 'M12 5v14M5 12h14',
  back: 'M15 18l-6-6 6-6',
  info: 'M12 16v-5M12 8h.01M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z',
  more: 'M5 12h.01M12 12h.01M19 12h.01',
  send: 'M4 12l16-8-6 16-2-7z',
  close: 'M6 6l12 12M18 6L6 18',
  reply: 'M9 14L4 9l5-5M4 9h10a6 6 0 0 1 6 6v4',
  edit: 'M4 20h4L19 9l-4-4L4 16zM14 6l4 4',
  recall: 'M3 12a9 9 0 1 0 3-6.7L3 8M3 3v5h5',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 21h4',
  out: 'M15 4h4v16h-4M10 17l5-5-5-5M15 12H3',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-5-5',
  people: 'M16 20v-1a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v1M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM22 20v-1a4 4 0 0 0-3-3.9M16 3.1a4 4 0 0 1 0 7.8',
  gear: 'M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M16 4v4M10 10v4M18 16v4',
  chat: 'M4 5h16v11H9l-5 4z',
  grid: 'M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21v-1a6 6 0 0 1 6-6h4a6 6 0 0 1 6 6v1',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2',
  clockcog: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2M17 3l2 2',
  stamp: 'M9 3h6v6l3 3v3H6v-3l3-3zM5 19h14',
  stampcog: 'M9 3h6v6l3 3v3H6v-3l3-3zM5 19h9M19 17v4M17 19h4',
  leaf: 'M5 19c0-9 6-14 14-14 0 8-5 14-14 14zM5 19l7-7',
  ring: 'M12 3a9 9 0 1 0 0 18 9 9 0 1 0 0-18zm0 5a4 4 0 1 0 0 8 4 4 0 1 0 0-8z',
  plug: 'M9 3v5M15 3v5M6 8h12v3a6 6 0 0 1-12 0zM12 17v4',
};
const SVGNS = 'http://www.w3.org/2000/svg';
export function icon(name) {
  const s = document.createElementNS(SVGNS, 'svg');
  s.setAttribute('viewBox', '0 0 24 24');
  s.setAttribute('aria-hidden', 'true');
  s.setAttribute('class', 'icon');
  const p = document.createElementNS(SVGNS, 'path');
  p.setAttribute('d', ICONS[name]);
  s.append(p);
  return s;
}

// Avatar: the first character of a name on a colour derived from the ID.
export function avatar(id, name, big) {
  const el = h('span', { class: big ? 'avatar big' : 'avatar', 'aria-hidden': 'true' }, initial(name));
  el.style.setProperty('--hue', String(hue(id || name || '')));
  return el;
}

// groupAvatar: up to four members' initials in a grid, as DingTalk shows a
// group; people is [[id, name]...]. With fewer than two it is a plain avatar.
export function groupAvatar(id, name, people, big) {
  if (!people || people.length < 2) return avatar(id, name, big);
  const el = h('span', { class: ['avatar', 'grid', 'n' + Math.min(4, people.length), big && 'big'], 'aria-hidden': 'true' });
  for (const [pid, pname] of people.slice(0, 4)) {
    const c = h('span', null, initial(pname));
    c.style.setProperty('--hue', String(hue(pid || pname || '')));
    el.append(c);
  }
  return el;
}

export function initial(name) {
  const s = (name || '?').trim();
  const first = Array.from(s)[0] || '?';
  return first.toUpperCase();
}

// hue: FNV-1a of the ID, so IDs that share a time prefix still differ.
function hue(s) {
  let x = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619) >>> 0;
  return x % 360;
}

// css loads a feature's stylesheet (a URL next to its module) once, and
// resolves when it applies, so a feature never shows unstyled. The CSP
// allows it: the file comes from this origin.
const sheets = new Map();
export function css(url) {
  const href = String(url);
  if (!sheets.has(href)) {
    const l = h('link', { rel: 'stylesheet', href });
    sheets.set(href, new Promise((done) => (l.onload = l.onerror = done)));
    document.head.append(l);
  }
  return sheets.get(href);
}

// randomID returns n random bytes as hex (works outside secure contexts too).
export function randomID(n = 12) {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
