// search.js: message search (feature), opened by Ctrl/⌘+K or the search
// button: Chinese and English, everything the member may read, grouped by
// conversation with the matched words marked; a result opens its message in
// context (/c/<id>#m<seq>). From inside a chat it can keep to that chat.

import { h, icon, avatar, clear, css } from './dom.js';
import { t, errorText, addStrings, formatShort } from './i18n.js';
import { get } from './api.js';
import * as S from './store.js';
import { dialog, toast } from './ui-base.js';

await css(new URL('./search.css', import.meta.url));

addStrings({
  en: {
    searchTitle: 'Search', searchBox: 'Search messages and people', searchHint: 'Words in any language; 会议 finds 会议室', searchIn: 'In {t} only',
    searchPeople: 'People', searchMessages: 'Messages', searchNone: 'No messages found', searchMore: 'More results', searchKeys: 'Ctrl K',
  },
  zh: {
    searchTitle: '搜索', searchBox: '搜索聊天记录和联系人', searchHint: '中英文均可；搜 会议 可找到 会议室', searchIn: '仅在「{t}」中',
    searchPeople: '联系人', searchMessages: '聊天记录', searchNone: '没有找到相关消息', searchMore: '更多结果', searchKeys: 'Ctrl K',
  },
});

let open = null;

// openSearch shows the search dialog (or focuses the one already open).
export function openSearch(nav) {
  if (open) return open.input.focus();
  const cur = S.state.current && S.state.convs.get(S.state.current);
  const input = h('input', { type: 'search', id: 'search-q', class: 'search-q', placeholder: t('searchBox'), 'aria-label': t('searchBox'), autocomplete: 'off', enterkeyhint: 'search', maxlength: '100' });
  const scope = cur ? h('input', { type: 'checkbox', id: 'search-scope' }) : null;
  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' }, t('searchHint'));
  const out = h('div', { class: 'search-results', id: 'search-results' });
  const more = h('button', { type: 'button', class: 'btn small search-more', hidden: true }, t('searchMore'));
  const d = dialog(t('searchTitle'), h('div', { class: 'search-row' }, icon('search'), input),
    scope ? h('label', { class: 'search-scope' }, scope, t('searchIn', { t: S.convTitle(cur) })) : null, status, out, more);
  d.classList.add('search-dialog');
  open = { input };
  d.addEventListener('close', () => (open = null));
  let cursor = '';
  let seq = 0;
  let timer = 0;

  const run = async (next) => {
    const q = input.value.trim();
    const my = ++seq;
    if (!q) {
      clear(out);
      more.hidden = true;
      status.textContent = t('searchHint');
      return;
    }
    const p = new URLSearchParams({ q });
    if (scope && scope.checked) p.set('conversation_id', cur.id);
    if (next) p.set('cursor', cursor);
    let r;
    try {
      r = await get('/search?' + p);
    } catch (e) {
      if (my === seq) status.textContent = errorText(e);
      return;
    }
    if (my !== seq) return;
    if (!next) clear(out);
    cursor = r.next_cursor || '';
    more.hidden = !cursor;
    if (r.people && r.people.length) out.append(people(r.people, d, nav));
    for (const g of r.groups || []) out.append(group(g, d, nav));
    const n = out.querySelectorAll('.search-hit').length;
    status.textContent = n ? '' : t('searchNone');
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(false), 250);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault(); // a search field would only clear itself
      d.close();
    } else if (e.key === 'Enter') {
      clearTimeout(timer);
      run(false);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      const first = out.querySelector('button');
      if (first) first.focus();
    }
  });
  if (scope) scope.addEventListener('change', () => run(false));
  more.addEventListener('click', () => run(true));
  // Arrow keys move through the results.
  out.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const all = [...out.querySelectorAll('button')];
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    const j = i + (e.key === 'ArrowDown' ? 1 : -1);
    if (j < 0) input.focus();
    else if (all[j]) all[j].focus();
  });
  input.focus();
}

function people(list, d, nav) {
  return h('section', { class: 'search-group' }, h('h3', null, t('searchPeople')), h('ul', null, list.map((u) =>
    h('li', null, h('button', { type: 'button', class: 'search-person', dataset: { id: u.id }, onclick: async () => {
      try {
        const c = await S.createConversation('direct', [u.id], '');
        d.close();
        nav('/c/' + c.id);
      } catch (e) {
        d.querySelector('.search-status').textContent = errorText(e);
      }
    } }, avatar(u.id, u.name), h('span', null, u.name))))));
}

function group(g, d, nav) {
  const c = S.state.convs.get(g.conversation_id);
  const title = c ? S.convTitle(c) : t('searchMessages');
  return h('section', { class: 'search-group', dataset: { conv: g.conversation_id } }, h('h3', null, title), h('ul', null, g.results.map((r) =>
    h('li', null, h('button', { type: 'button', class: 'search-hit', dataset: { seq: r.seq }, onclick: () => {
      d.close();
      nav('/c/' + encodeURIComponent(r.conversation_id) + '#m' + r.seq);
    } }, avatar(r.sender_id, S.userName(r.sender_id)), h('span', { class: 'search-main' },
      h('span', { class: 'search-top' }, h('span', { class: 'search-who' }, S.userName(r.sender_id)), h('time', { datetime: r.created_at }, formatShort(new Date(r.created_at)))),
      h('span', { class: 'search-text' }, marked(r.text, r.highlights)), (r.files || []).map((n) => h('span', { class: 'search-text search-file' }, t('att_file') + ' ' + n))))))));
}

// marked returns text as nodes with the highlighted code points in <mark>,
// cut to a window around the first match when long.
function marked(text, hs) {
  const cps = Array.from(text.replace(/\s+/g, ' '));
  let from = 0;
  if (hs.length && hs[0].start > 24) from = hs[0].start - 20;
  const to = Math.min(cps.length, from + 160);
  const nodes = from ? ['…'] : [];
  let at = from;
  for (const r of hs) {
    if (r.start < at || r.end > to) continue;
    nodes.push(cps.slice(at, r.start).join(''), h('mark', null, cps.slice(r.start, r.end).join('')));
    at = r.end;
  }
  nodes.push(cps.slice(at, to).join(''));
  if (to < cps.length) nodes.push('…');
  return nodes;
}

// reveal brings message seq into view in chat (a ChatView), loading older
// pages until it is there, and marks it a moment: a search result opened
// in context (/c/<id>#m<seq>).
export async function reveal(chat, seq) {
  const id = chat.id;
  history.replaceState(history.state, '', location.pathname);
  try {
    for (let i = 0; i < 200 && chat.id === id && S.timeline(id).minSeq > seq; i++) if (!(await S.loadOlder(id))) break;
  } catch (e) {
    return toast(errorText(e));
  }
  if (chat.id !== id) return;
  chat.render();
  const li = chat.list.querySelector(`.msg[data-seq="${seq}"]`);
  if (!li) return;
  li.scrollIntoView({ block: 'center' });
  chat.onScroll();
  li.classList.add('found');
  setTimeout(() => li.classList.remove('found'), 3000);
}
