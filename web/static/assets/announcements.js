// announcements.js: 公告, the organisation's announcements (feature). The
// list (pinned first, unread marked), one announcement (its markdown
// subset rendered as DOM nodes, never as HTML; opening it marks it read),
// and for admins the composer (title, text, departments, attachments, must
// read, pin, a publish time) and who has and has not read, as the
// organisation's read-receipt policy shows it.

import { h, clear, css } from './dom.js';
import { t, errorText, formatFull } from './i18n.js';
import './circle-strings.js';
import * as S from './store.js';
import * as O from './org.js';
import { page, toast, confirmDialog } from './ui-base.js';
import { api, enc } from './api.js';

await css(new URL('./moments.css', import.meta.url));

// inline renders **bold**, *italics* and [text](http(s) URL) as nodes.
function inline(s) {
  const out = [];
  const re = /\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;
  let last = 0;
  for (let m; (m = re.exec(s));) {
    if (m.index > last) out.push(s.slice(last, m.index));
    if (m[1]) out.push(h('strong', null, m[1]));
    else if (m[2]) out.push(h('em', null, m[2]));
    else out.push(h('a', { href: m[4], target: '_blank', rel: 'noopener noreferrer' }, m[3]));
    last = re.lastIndex;
  }
  out.push(s.slice(last));
  return out;
}

// markdown renders the subset, line by line, as DOM nodes.
export function markdown(src) {
  const root = h('div', { class: 'an-md' });
  let list = null;
  for (const line of src.split('\n')) {
    const li = line.match(/^\s*[-*] (.*)$/);
    if (li) {
      if (!list) root.append((list = h('ul')));
      list.append(h('li', null, inline(li[1])));
      continue;
    }
    list = null;
    const hd = line.match(/^(#{1,3}) (.*)$/);
    if (hd) root.append(h('h' + (hd[1].length + 2), null, inline(hd[2])));
    else if (line.startsWith('> ')) root.append(h('blockquote', null, inline(line.slice(2))));
    else if (line.trim()) root.append(h('p', null, inline(line)));
  }
  return root;
}

const call = (m, p, b) => O.call(m, '/announcements' + p, b);

// announcementsPage is /workbench/announcements: the list; one
// announcement and the composer are drawn in place (the path stays).
export function announcementsPage(root, nav, view = {}) {
  clear(root);
  const go = (v) => announcementsPage(root, nav, v);
  const inner = view.id || view.compose;
  const body = page(root, t('anTitle'), inner ? () => go({}) : nav, { back: '/workbench' });
  if (!O.orgs.cur) return body.append(h('p', { class: 'chat-empty' }, t('anNoOrg')));
  const admin = ['owner', 'admin'].includes(O.role());
  if (view.compose && admin) return composer(body, go);
  if (view.id) return one(body, go, view.id, admin);
  if (admin) body.append(h('button', { type: 'button', class: 'btn primary', id: 'an-new', onclick: () => go({ compose: true }) }, t('anNew')));
  const list = h('ul', { class: 'mm-list an-list', id: 'an-list' });
  body.append(list);
  call('GET', '').then((r) => {
    clear(list);
    if (!r.announcements.length) list.append(h('li', { class: 'empty' }, t('anNone')));
    for (const a of r.announcements) {
      list.append(h('li', { class: ['an-item', !a.read && a.published && 'unread'], 'data-id': a.id },
        h('a', { href: '/workbench/announcements', class: 'an-link', onclick: (e) => { e.preventDefault(); go({ id: a.id }); } }, a.title),
        h('span', { class: 'an-tags' },
          a.pinned && h('span', { class: 'an-tag' }, t('anPinned')),
          a.must_read && h('span', { class: 'an-tag must' }, t('anMust')),
          !a.read && a.published && h('span', { class: 'an-tag unread' }, t('anUnread')),
          !a.published && h('span', { class: 'an-tag' }, t('anScheduled', { d: formatFull(new Date(a.publish_at)) })),
          a.recipients != null && h('span', { class: 'an-count' }, t('anCount', { n: a.read_count, m: a.recipients })))));
    }
  }).catch((e) => toast(errorText(e)));
}

async function one(body, go, id, admin) {
  let a;
  try {
    a = await call('GET', '/' + encodeURIComponent(id));
    if (a.published && !a.read) a = await call('POST', '/' + encodeURIComponent(id) + '/read');
  } catch (e) {
    return toast(errorText(e));
  }
  body.append(h('article', { class: 'an-one', id: 'an-one' },
    h('h3', { class: 'an-h' }, a.title),
    h('p', { class: 'hint' }, h('span', { 'data-uid': a.author_id }, S.userName(a.author_id)), ' · ', formatFull(new Date(a.publish_at)), a.must_read ? ' · ' + t('anMust') : ''),
    markdown(a.body),
    a.files.length > 0 && h('ul', { class: 'an-files' }, a.files.map((f) => h('li', null, h('a', { href: f.url, target: '_blank', rel: 'noopener' }, f.name))))));
  if (admin || a.author_id === S.state.me.id) {
    // Who has read it, as the organisation's read-receipt policy shows.
    let r = null;
    try { r = await call('GET', '/' + encodeURIComponent(id) + '/receipts'); } catch (e) {
      if (e.code === 'forbidden') body.append(h('p', { class: 'hint', id: 'an-receipts-off' }, t('anReceiptsOff')));
    }
    if (r) {
      const names = (ids) => h('ul', { class: 'an-who' }, ids.map((u) => h('li', { 'data-uid': u }, S.userName(u))));
      body.append(h('section', { class: 'an-receipts', id: 'an-receipts' },
        h('h4', null, t('anReadBy', { n: r.read_count })), !r.counts_only && names(r.read.map((x) => x.user_id)),
        h('h4', null, t('anNotRead', { n: r.unread_count })), !r.counts_only && names(r.unread),
        r.counts_only && h('p', { class: 'hint' }, t('anCountsOnly'))));
    }
  }
  // Names fill in as they load.
  const off = S.on('users', () => {
    if (!body.isConnected) return off();
    for (const el of body.querySelectorAll('[data-uid]')) el.textContent = S.userName(el.dataset.uid);
  });
  if (admin) {
    body.append(h('button', { type: 'button', class: 'btn', id: 'an-delete', onclick: async () => {
      if (!(await confirmDialog(t('anDeleteQ'), t('anDelete')))) return;
      try { await call('DELETE', '/' + encodeURIComponent(id)); go({}); } catch (e) { toast(errorText(e)); }
    } }, t('anDelete')));
  }
}

function composer(body, go) {
  const title = h('input', { type: 'text', id: 'an-title', maxlength: '100', 'aria-label': t('anHead'), placeholder: t('anHead') });
  const text = h('textarea', { id: 'an-body', rows: '8', 'aria-label': t('anBody'), placeholder: t('anBody') });
  const must = h('input', { type: 'checkbox', id: 'an-must' });
  const pin = h('input', { type: 'checkbox', id: 'an-pin' });
  const at = h('input', { type: 'datetime-local', id: 'an-at', 'aria-label': t('anAt') });
  // To: the whole organisation, or the ticked departments (with theirs).
  const depts = h('div', { class: 'mm-friends an-dlist' });
  const to = h('fieldset', { class: 'mm-pick an-depts', id: 'an-depts' }, h('legend', null, t('anTo')), h('p', { class: 'hint', id: 'an-to' }, t('anToAll')), depts);
  const toHint = () => {
    const n = depts.querySelectorAll('input:checked').length;
    to.querySelector('#an-to').textContent = n ? t('anToSome', { n }) : t('anToAll');
  };
  O.depts().then((d) => {
    for (const x of d.list) depts.append(h('label', { class: 'mm-friend' }, '\u3000'.repeat(x.depth), h('input', { type: 'checkbox', 'data-dept': x.id, onchange: toHint }), ' ', x.name));
    if (!d.list.length) to.hidden = true;
  }).catch(() => { to.hidden = true; });
  // Attachments: up to 9 files, uploaded on publishing.
  const files = h('input', { type: 'file', id: 'an-files', multiple: true, 'aria-label': t('anFiles') });
  const chosen = h('ul', { class: 'an-files', id: 'an-chosen' });
  files.addEventListener('change', () => {
    clear(chosen);
    if (files.files.length > 9) toast(t('anFilesMax'));
    for (const f of [...files.files].slice(0, 9)) chosen.append(h('li', null, f.name));
  });
  const btn = h('button', { type: 'submit', class: 'btn primary', id: 'an-post' }, t('anPost'));
  const submit = async (e) => {
    e.preventDefault();
    const inb = { title: title.value, body: text.value, must_read: must.checked, pinned: pin.checked,
      department_ids: [...depts.querySelectorAll('input:checked')].map((i) => i.dataset.dept) };
    if (at.value) inb.publish_at = new Date(at.value).toISOString();
    btn.disabled = true;
    try {
      inb.file_ids = [];
      for (const f of [...files.files].slice(0, 9)) {
        const kind = f.type.startsWith('image/') ? 'image' : 'file';
        inb.file_ids.push((await api('POST', '/files?kind=' + kind + '&name=' + enc(f.name), f)).id);
      }
      const a = await call('POST', '', inb);
      go({ id: a.id });
    } catch (err) { toast(errorText(err)); } finally { btn.disabled = false; }
  };
  body.append(h('form', { class: 'mm-form stack', id: 'an-form', onsubmit: submit }, title, text, to,
    h('label', null, t('anFiles'), ' ', files), chosen,
    h('label', null, must, ' ', t('anMustRead')), h('label', null, pin, ' ', t('anPin')),
    h('label', null, t('anAt'), ' ', at), btn));
}
