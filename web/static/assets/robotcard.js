// robotcard.js: the cards of robot messages (feature): a safe subset of
// markdown (headings, bold, italics, links, lists, quotes, code) built as
// DOM nodes, never HTML; link, actionCard and feedCard layouts. Only http
// and https links are made clickable.

import { h, css } from './dom.js';

await css(new URL('./robotcard.css', import.meta.url));

const safe = (u) => /^https?:\/\//i.test(u || '');
const a = (url, ...kids) => (safe(url) ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, ...kids) : h('span', null, ...kids));

// inline: **bold**, *italic* or _italic_, `code`, [text](url), ![alt](url) (as a link: images from elsewhere are not loaded).
const INLINE = /\*\*(.+?)\*\*|\*(.+?)\*|_(.+?)_|`([^`]+)`|!?\[([^\]]*)\]\(([^)\s]+)\)/g;
function inline(text) {
  const out = [];
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    if (m[1] != null) out.push(h('strong', null, inline(m[1])));
    else if (m[2] != null || m[3] != null) out.push(h('em', null, inline(m[2] ?? m[3])));
    else if (m[4] != null) out.push(h('code', null, m[4]));
    else out.push(a(m[6], m[5] || m[6]));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

// markdown renders block by block: headings, quotes, lists, paragraphs.
export function markdown(text) {
  const box = h('div', { class: 'md' });
  let list = null;
  for (const raw of String(text || '').split('\n')) {
    const line = raw.trimEnd();
    let m;
    if ((m = line.match(/^\s*(?:[-*+]|\d+\.)\s+(.*)$/))) {
      if (!list) box.append((list = h(/^\s*\d/.test(line) ? 'ol' : 'ul')));
      list.append(h('li', null, inline(m[1])));
      continue;
    }
    list = null;
    if (!line.trim()) continue;
    if ((m = line.match(/^(#{1,6})\s+(.*)$/))) box.append(h('p', { class: 'md-h md-h' + m[1].length }, inline(m[2])));
    else if ((m = line.match(/^>\s?(.*)$/))) box.append(h('blockquote', null, inline(m[1])));
    else box.append(h('p', null, inline(line)));
  }
  return box;
}

// card fills el with the card of robot message m.
export function card(el, m) {
  const c = m.system && m.system.card;
  if (!c) return;
  const title = c.title ? h('p', { class: 'rc-title' }, c.title) : null;
  switch (c.type) {
    case 'markdown':
      el.append(markdown(m.text));
      break;
    case 'link':
      el.append(a(c.url, h('span', { class: 'rc-link' }, title, h('span', { class: 'rc-text' }, m.text.slice((c.title || '').length + 1)))));
      break;
    case 'actionCard':
      el.append(title, markdown(m.text), h('div', { class: ['rc-btns', c.horizontal && 'rc-row'] }, (c.buttons || []).map((b) => a(b.url, h('span', { class: 'btn small' }, b.title)))));
      break;
    case 'feedCard':
      el.append(h('ul', { class: 'rc-feed' }, (c.links || []).map((l) => h('li', null, a(l.url, l.title)))));
      break;
    default:
      el.append(m.text);
  }
}
