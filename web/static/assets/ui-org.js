// ui-org.js: the sidebar's organisation bar, the directory, profile cards
// and the join page.

import { h, clear, icon, avatar } from './dom.js';
import { t, errorText } from './i18n.js';
import { get, post, enc } from './api.js';
import * as S from './store.js';
import * as O from './org.js';
import { dialog, ask, toast } from './ui-dialogs.js';

export const narrow = () => matchMedia('(max-width: 720px)').matches;
const plain = (e) => e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;

export function link(path, nav, attrs, ...kids) {
  const a = h('a', { href: path, ...attrs }, ...kids);
  a.addEventListener('click', (e) => {
    if (!plain(e)) return;
    e.preventDefault();
    nav(path);
  });
  return a;
}

export const createOrg = (nav) => ask(t('createOrg'), t('orgName'), '', t('create'), async (v) => {
  await O.createOrg(v);
  nav('/contacts');
});

export function orgBar(nav) {
  const sel = h('select', { id: 'org-select', 'aria-label': t('org') });
  sel.addEventListener('change', () => O.choose(sel.value));
  const plus = h('button', { type: 'button', class: 'icon-btn small', id: 'org-create', 'aria-label': t('createOrg'), title: t('createOrg'), onclick: () => createOrg(nav) }, icon('plus'));
  const contacts = link('/contacts', nav, { class: 'side-link', id: 'nav-contacts' }, icon('people'), t('contacts'));
  const admin = link('/admin', nav, { class: 'side-link', id: 'nav-admin' }, icon('gear'), t('manage'));
  const el = h('div', { class: 'org-bar' }, h('div', { class: 'row' }, sel, plus), h('div', { class: 'row' }, contacts, admin));
  const render = () => {
    clear(sel).append(...O.orgs.list.map((o) => h('option', { value: o.id, selected: o === O.orgs.cur, disabled: o.me.status !== 'active' }, o.me.status === 'active' ? o.name : `${o.name} (${t('st_' + o.me.status)})`)));
    sel.hidden = !O.orgs.list.length;
    admin.hidden = !O.isAdmin();
  };
  el.off = S.on('orgs', render);
  render();
  O.loadOrgs().catch(() => {});
  return el;
}

// page: a page's frame (back button on phones); returns its body.
export function page(root, title, nav) {
  const body = h('div', { class: 'page-body' });
  const head = h('h2', { class: 'chat-title', id: 'page-title', tabindex: '-1' }, title);
  root.append(h('header', { class: 'chat-head' }, h('button', { class: 'icon-btn back', type: 'button', 'aria-label': t('back'), onclick: () => nav('/') }, icon('back')), head), body);
  if (narrow()) head.focus();
  return body;
}

function noOrg(body, nav) {
  body.append(h('div', { class: 'chat-empty stack' }, h('p', null, t('noOrg')), h('button', { type: 'button', class: 'btn primary', onclick: () => createOrg(nav) }, t('createOrg'))));
}

// ---- directory ----

export async function directory(root, nav) {
  const body = page(root, O.orgs.cur ? `${t('contacts')} · ${O.orgs.cur.name}` : t('contacts'), nav);
  if (!O.orgs.cur) return noOrg(body, nav);
  const q = h('input', { type: 'search', id: 'dir-search', placeholder: t('searchDir'), 'aria-label': t('searchDir'), autocomplete: 'off' });
  const tree = h('ul', { class: 'tree' });
  const list = h('ul', { class: 'people dir-list' });
  const status = h('p', { class: 'hint', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn small', hidden: true, onclick: () => load(true) }, t('more'));
  body.append(h('div', { class: 'dir' }, h('details', { class: 'depts', open: !narrow() }, h('summary', null, t('departments')), tree), h('section', { class: 'dir-main', 'aria-label': t('adm_members') }, q, list, status, more)));
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
        h('span', { class: 'grow' }, h('span', { class: 'p-name' }, m.name), h('span', { class: 'p-sub' }, [m.title, O.deptNames(m)].filter(Boolean).join(' · ')))))));
      cursor = r.next_cursor || '';
      more.hidden = !cursor;
      status.textContent = list.children.length ? '' : t('noMatches');
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
  };
  const node = (id, name, depth) => {
    const b = h('button', { type: 'button', class: 'tree-item', onclick: () => pick(id, b) }, name);
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

export async function profile(id, nav) {
  let m;
  try {
    m = await O.call('GET', '/members/' + enc(id));
  } catch (e) {
    return toast(errorText(e));
  }
  const err = h('p', { class: 'error', role: 'alert' });
  const rows = [['title', m.title], ['departments', O.deptNames(m)], ['email', m.work_email], ['phone', m.phone]].filter((r) => r[1]);
  const msg = m.user_id && m.user_id !== S.state.me.id && m.status === 'active' && h('button', { type: 'button', class: 'btn primary', id: 'profile-message', onclick: async () => {
    try {
      const c = await S.createConversation('direct', [m.user_id], '');
      d.close();
      nav('/c/' + c.id);
    } catch (e) {
      err.textContent = errorText(e);
    }
  } }, t('sendMessage'));
  const d = dialog(m.name, h('div', { class: 'info-head' }, avatar(m.user_id || m.id, m.name, true)),
    h('dl', { class: 'card' }, rows.map(([k, v]) => h('div', null, h('dt', null, t(k)), h('dd', null, v)))), err, h('div', { class: 'dialog-actions' }, msg));
  d.classList.add('profile');
  if (msg) msg.focus();
}

// ---- join ----

export async function joinPage(root, code, nav) {
  const body = page(root, t('joinOrg'), nav);
  const card = h('div', { class: 'join stack' });
  body.append(card);
  const say = (s, cls) => card.append(h('p', { class: cls, role: 'status' }, s));
  try {
    const inv = await get('/invitations/' + enc(code));
    const btn = h('button', { type: 'button', class: 'btn primary', id: 'join-btn', onclick: async () => {
      btn.disabled = true;
      try {
        const r = await post(`/invitations/${enc(code)}/accept`);
        btn.remove();
        await O.loadOrgs();
        if (r.status === 'pending') return say(t('waiting'), 'hint');
        O.choose(r.org.id);
        S.refreshExternal();
        say(t('joined', { o: inv.org_name }));
        card.append(link('/contacts', nav, { class: 'btn' }, t('contacts')));
      } catch (e) {
        btn.disabled = false;
        say(errorText(e), 'error');
      }
    } }, t('join'));
    card.append(h('p', null, t('joinInvite')), h('h3', { id: 'join-org' }, inv.org_name), h('div', null, btn));
  } catch (e) {
    say(e.status === 404 ? t('badInvite') : errorText(e), 'error');
  }
}
