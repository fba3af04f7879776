// directory.js: the organisation's directory (feature): the department
// tree, search by name, pinyin, initials, email or phone, and profile
// cards.

import { h, clear, avatar } from './dom.js';
import { t, errorText, addStrings } from './i18n.js';
import * as O from './org.js';
import { page, narrow } from './ui-base.js';
import { profile } from './profile.js';

addStrings({
  en: {
    noOrg: 'You are not in an organisation yet. Join one with an invitation link, or create one.',
    searchDir: 'Search name, pinyin, email…',
    allMembers: 'All members',
    people: 'People',
    more: 'Show more',
    nobody: 'No one found.',
  },
  zh: {
    noOrg: '你还没有加入组织。用邀请链接加入，或创建一个。',
    searchDir: '搜索姓名、拼音、邮箱…',
    allMembers: '全部成员',
    people: '成员',
    more: '加载更多',
    nobody: '没有找到。',
  },
});

export function noOrg(body, nav) {
  body.append(h('div', { class: 'chat-empty stack' }, h('p', null, t('noOrg')), h('button', { type: 'button', class: 'btn primary', onclick: () => O.createOrgDialog(nav) }, t('createOrg'))));
}

export async function directory(root, nav) {
  const body = page(root, O.orgs.cur ? `${t('contacts')} · ${O.orgs.cur.name}` : t('contacts'), nav, { tab: true });
  if (!O.orgs.cur) return noOrg(body, nav);
  const q = h('input', { type: 'search', id: 'dir-search', placeholder: t('searchDir'), 'aria-label': t('searchDir'), autocomplete: 'off' });
  const tree = h('ul', { class: 'tree' });
  const list = h('ul', { class: 'people dir-list' });
  const status = h('p', { class: 'hint', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn small', hidden: true, onclick: () => load(true) }, t('more'));
  body.append(h('div', { class: 'dir' }, h('details', { class: 'depts', open: !narrow() }, h('summary', null, t('departments')), tree), h('section', { class: 'dir-main', 'aria-label': t('people') }, q, list, status, more)));
  let dept = '';
  let cursor = '';
  let seq = 0;
  let timer = 0;
  const load = async (append) => {
    const my = ++seq;
    const p = new URLSearchParams({ limit: '50' });
    if (q.value.trim()) p.set('q', q.value.trim());
    else if (dept) p.set('department_id', dept);
    if (append) p.set('cursor', cursor);
    try {
      const r = await O.call('GET', '/members?' + p);
      if (my !== seq) return;
      if (!append) clear(list);
      list.append(...r.members.map((m) => h('li', null, h('button', { type: 'button', class: 'person', onclick: () => profile(m.id, nav) },
        avatar(m.user_id || m.id, m.name),
        h('span', { class: 'grow' }, h('span', { class: 'p-name' }, m.name), h('span', { class: 'p-sub' }, [m.away && m.away.label, m.title, O.deptNames(m)].filter(Boolean).join(' · ')))))));
      cursor = r.next_cursor || '';
      more.hidden = !cursor;
      status.textContent = list.children.length ? '' : t('nobody');
    } catch (e) {
      if (my === seq) status.textContent = errorText(e);
    }
  };
  q.addEventListener('input', () => {
    tree.querySelector('[aria-current]')?.removeAttribute('aria-current');
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  const pick = (id, btn) => {
    dept = id;
    q.value = '';
    tree.querySelectorAll('[aria-current]').forEach((b) => b.removeAttribute('aria-current'));
    btn.setAttribute('aria-current', 'true');
    load();
    if (narrow()) btn.closest('details').open = false;
  };
  const node = (id, name, depth) => {
    const b = h('button', { type: 'button', class: 'tree-item', title: name, onclick: () => pick(id, b) }, name);
    b.style.setProperty('--depth', depth);
    return h('li', null, b);
  };
  try {
    const ds = await O.depts(true);
    tree.append(node('', t('allMembers'), 0), ...ds.list.map((d) => node(d.id, d.name, d.depth + 1)));
    tree.querySelector('button').setAttribute('aria-current', 'true');
  } catch (e) {
    status.textContent = errorText(e);
  }
  load();
}
