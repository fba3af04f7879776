// ui-list.js: the sidebar: the organisation bar, a search box over chats
// and people, connection status, the conversation list with unread badges,
// previews and times, and who I am. The one-line texts of a message
// (previewText, systemText) are here, in the first load; ui-chat.js, loaded
// after the list shows, uses them too.

import { h, clear, icon, avatar, groupAvatar, reconcile } from './dom.js';
import { t, formatShort, languages, lang, setLang, errorText } from './i18n.js';
import * as S from './store.js';
import * as O from './org.js';
import { feature } from './lazy.js';
import { link, toast, narrow } from './ui-base.js';

// Phones and tablets have no use for desktop notifications.
const coarse = () => matchMedia('(pointer: coarse)').matches;

// orgBar: the chosen organisation and its links. With no organisation it
// offers to create one, in words.
function orgBar(nav) {
  const sel = h('select', { id: 'org-select', 'aria-label': t('org') });
  sel.addEventListener('change', () => O.choose(sel.value));
  const plus = h('button', { type: 'button', class: 'icon-btn small', id: 'org-create', 'aria-label': t('createOrg'), title: t('createOrg'), onclick: () => O.createOrgDialog(nav) }, icon('plus'));
  const first = h('button', { type: 'button', class: 'side-link', id: 'org-create-first', onclick: () => O.createOrgDialog(nav) }, icon('plus'), t('createOrg'));
  const contacts = link('/contacts', nav, { class: 'side-link', id: 'nav-contacts' }, icon('people'), t('contacts'));
  // The workbench (attendance, approvals, leave) is a tab on phones; here
  // it is a link beside the directory.
  const work = link('/workbench', nav, { class: 'side-link', id: 'nav-work' }, icon('grid'), t('tabWork'));
  const admin = link('/admin', nav, { class: 'side-link', id: 'nav-admin' }, icon('gear'), t('manage'));
  const top = h('div', { class: 'row' }, sel, plus);
  const el = h('div', { class: 'org-bar' }, top, h('div', { class: 'row' }, contacts, work, admin), first);
  const render = () => {
    clear(sel).append(...O.orgs.list.map((o) => h('option', { value: o.id, selected: o === O.orgs.cur, disabled: o.me.status !== 'active' }, o.me.status === 'active' ? o.name : `${o.name} (${t('st_' + o.me.status)})`)));
    top.hidden = !O.orgs.list.length;
    first.hidden = !O.orgs.loaded || O.orgs.list.length > 0;
    admin.hidden = !O.isAdmin();
  };
  el.off = S.on('orgs', render);
  render();
  if (!O.orgs.loaded) O.loadOrgs().catch(() => {});
  return el;
}

export class ListView {
  constructor(root, nav, signOut) {
    this.root = root;
    this.nav = nav;
    this.signOut = signOut;
    this.cache = new Map();
    this.q = '';
    this.build();
    S.on('convs', () => this.schedule());
    S.on('members', () => this.schedule(true));
    S.on('users', () => this.schedule(true));
    S.on('conn', () => this.renderConn());
    S.on('synced', () => this.schedule());
    setInterval(() => this.renderConn(), 1000);
  }

  build() {
    const nav = this.nav;
    clear(this.root);
    this.cache.clear();
    this.newBtn = h('button', { type: 'button', class: 'icon-btn accent', id: 'new-chat', 'aria-label': t('newChat'), title: t('newChat'), onclick: () => feature('newchat').then((m) => m.openNewChat(nav)) }, icon('plus'));
    this.searchBtn = h('button', { type: 'button', class: 'icon-btn', id: 'open-search', 'aria-label': t('searchMsgs'), title: t('searchMsgs') + ' (Ctrl K)', onclick: () => feature('search').then((m) => m.openSearch(nav)) }, icon('search'));
    this.conn = h('div', { class: 'conn', role: 'status', 'aria-live': 'polite' });
    this.notify = h('button', { type: 'button', class: 'notify link', hidden: true, onclick: () => this.askNotify() }, icon('bell'), h('span', null, t('notifyEnable')));
    this.search = h('input', { type: 'search', id: 'list-search', class: 'list-search', placeholder: t('search'), 'aria-label': t('search'), autocomplete: 'off', value: this.q });
    this.search.addEventListener('input', () => this.onSearch());
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.search.value) {
        this.search.value = '';
        this.onSearch();
      }
    });
    this.list = h('ul', { class: 'conv-list' });
    this.chatsHead = h('h3', { class: 'list-head', hidden: true }, t('chatsHeading'));
    this.peopleHead = h('h3', { class: 'list-head', hidden: true }, t('peopleHeading'));
    this.people = h('ul', { class: 'people conv-people', 'aria-live': 'polite' });
    this.navEl = h('nav', { class: 'convs', 'aria-label': t('conversations') }, this.chatsHead, this.list, this.peopleHead, this.people);
    this.emptyEl = h('p', { class: 'empty-list', hidden: true }, t('noConversations'));
    this.langSel = h('select', { id: 'lang', 'aria-label': t('language') }, languages.map(([v, label]) => h('option', { value: v, selected: v === lang }, label)));
    this.langSel.addEventListener('change', () => setLang(this.langSel.value));
    this.outBtn = h('button', { type: 'button', class: 'icon-btn', id: 'sign-out', 'aria-label': t('signOut'), title: t('signOut'), onclick: this.signOut }, icon('out'));
    const me = S.state.me;
    this.bar = orgBar(nav);
    this.root.append(
      h('header', { class: 'side-head' }, h('h1', { class: 'brand' }, t('app')), this.searchBtn, this.newBtn),
      this.bar,
      h('div', { class: 'search-row' }, this.search),
      this.conn,
      this.notify,
      this.navEl,
      this.emptyEl,
      h('footer', { class: 'side-foot' }, link('/me', this.nav, { class: 'me side-link', id: 'side-me', title: t('tabMe') }, avatar(me.id, me.name), h('span', { class: 'me-name' }, me.name)), this.langSel, this.outBtn),
    );
    this.renderConn(true);
    this.renderNotify();
    this.render();
    if (this.q) this.findPeople();
  }

  // relabel rebuilds the sidebar in the new language (the search text stays).
  relabel() {
    this.bar.off();
    this.build();
  }

  renderNotify() {
    this.notify.hidden = coarse() || !('Notification' in window) || Notification.permission !== 'default';
  }

  async askNotify() {
    try {
      await Notification.requestPermission();
    } catch {}
    this.renderNotify();
  }

  renderConn(force) {
    const s = S.state.conn;
    let text = t('connecting');
    if (s === 'online') text = t('online');
    else if (s === 'syncing') text = t('syncing');
    else if (s === 'waiting') {
      const info = S.state.connInfo || { at: Date.now() };
      text = t('offline', { s: Math.max(1, Math.ceil((info.at - Date.now()) / 1000)) });
    }
    // Started without network: the list is this device's copy.
    if (S.state.saved) text = t('savedOffline');
    this.conn.dataset.state = S.state.saved ? 'saved' : s;
    if (!force && this.conn.dataset.text === text) return;
    this.conn.dataset.text = text;
    clear(this.conn).append(h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', null, text));
    if (s === 'waiting') this.conn.append(h('button', { type: 'button', class: 'link', onclick: () => S.reconnectNow() }, t('reconnectNow')));
  }

  schedule(force) {
    if (force) this.cache.clear();
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.render();
    });
  }

  setCurrent(id) {
    const prev = this.current;
    this.current = id;
    this.render();
    // On a phone the list comes back in place of the chat: put focus on
    // the conversation just left.
    if (!id && prev && narrow()) {
      const e = this.cache.get(prev);
      if (e) e.el.querySelector('a').focus();
    }
  }

  // ---- search: chats by title and last message, people by name ----

  onSearch() {
    this.q = this.search.value.trim();
    this.render();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.findPeople(), 200);
  }

  async findPeople() {
    const q = this.q;
    const seq = (this.seq = (this.seq || 0) + 1);
    if (!q) {
      clear(this.people);
      this.peopleHead.hidden = true;
      return;
    }
    let list;
    try {
      list = await S.searchUsers(q, 10);
    } catch (e) {
      list = e;
    }
    if (seq !== this.seq) return;
    this.peopleHead.hidden = false;
    clear(this.people);
    if (list instanceof Error) return this.people.append(h('li', { class: 'empty' }, errorText(list)));
    if (!list.length) return this.people.append(h('li', { class: 'empty' }, t('noneFound')));
    for (const u of list) {
      this.people.append(h('li', null, h('button', { type: 'button', class: 'person', dataset: { id: u.id }, onclick: () => this.openPerson(u) },
        avatar(u.id, u.name), h('span', { class: 'grow' }, h('span', { class: 'p-name' }, u.name), S.personDetail(u) ? h('span', { class: 'p-sub' }, S.personDetail(u)) : null))));
    }
  }

  async openPerson(u) {
    try {
      const c = await S.createConversation('direct', [u.id], '');
      this.search.value = '';
      this.onSearch();
      this.nav('/c/' + c.id);
    } catch (e) {
      toast(errorText(e));
    }
  }

  render() {
    const q = this.q.toLowerCase();
    let convs = S.sortedConvs();
    this.emptyEl.hidden = convs.length > 0 || !S.state.synced || !!q;
    if (q) convs = convs.filter((c) => (S.convTitle(c) + '\n' + previewText(c.last_message, c)).toLowerCase().includes(q));
    this.chatsHead.hidden = !q;
    if (q && !convs.length) {
      this.cache.clear();
      clear(this.list).append(h('li', { class: 'empty' }, t('noneFound')));
      return;
    }
    const items = convs.map((c) => {
      const title = S.convTitle(c);
      const m = c.last_message;
      const muted = S.isMuted(c.id);
      const preview = previewText(m, c);
      const when = m ? m.created_at : c.created_at;
      const ext = S.isExternal(c);
      const faces = c.type === 'group' ? S.faces(c) : null;
      const sig = [title, preview, when, c.unread, muted, c.id === this.current, lang, ext, faces && faces.join()].join('|');
      return [c.id, sig, () => this.item(c, title, preview, when, muted, ext, faces)];
    });
    reconcile(this.list, this.cache, items);
  }

  item(c, title, preview, when, muted, ext, faces) {
    const d = when ? new Date(when) : null;
    const unread = c.unread || 0;
    const a = h('a', { class: ['conv', c.id === this.current && 'active', unread && 'has-unread', muted && 'muted'], href: '/c/' + encodeURIComponent(c.id), 'aria-current': c.id === this.current ? 'page' : null, dataset: { id: c.id } },
      c.type === 'group' ? groupAvatar(c.id, title, faces) : avatar(c.peer_id, title),
      h('span', { class: 'conv-main' },
        h('span', { class: 'conv-top' }, h('span', { class: 'conv-title' }, title), ext ? h('span', { class: 'ext' }, t('external')) : null, d ? h('time', { datetime: when }, formatShort(d)) : null),
        h('span', { class: 'conv-bottom' }, h('span', { class: 'preview' }, preview), unread ? h('span', { class: 'badge' }, h('span', { 'aria-hidden': 'true' }, unread > 99 ? '99+' : String(unread)), h('span', { class: 'sr-only' }, t('unreadBadge', { n: unread }))) : null),
      ),
    );
    a.addEventListener('click', (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      this.nav('/c/' + c.id);
    });
    return h('li', null, a);
  }
}

export function systemText(m) {
  const s = m.system || {};
  const c = S.state.convs.get(m.conversation_id);
  const a = S.userName(s.actor_id || m.sender_id) || t('someone');
  const list = (s.users || []).map(S.userName).join(lang === 'zh' ? '、' : ', ');
  switch (s.action) {
    case 'created':
      return t(c && c.type !== 'group' ? 'sysCreatedDirect' : 'sysCreated', { a });
    case 'added':
      return t('sysAdded', { a, b: list });
    case 'removed':
      return t('sysRemoved', { a, b: list });
    case 'left':
      return t('sysLeft', { a: list || a });
    case 'renamed':
      return t('sysRenamed', { a, t: s.title || '' });
    case 'owner_changed':
      return t('sysOwner', { a, b: list });
    case 'admin_added':
      return t('sysAdminAdded', { a, b: list });
    case 'admin_removed':
      return t('sysAdminRemoved', { a, b: list });
    case 'muted':
      return t('sysMuted', { a });
    case 'unmuted':
      return t('sysUnmuted', { a });
    case 'screenshot':
      return t('sysShot', { a });
    case 'approval':
    case 'auto_reply':
    case 'security':
      if (m.text) return m.text;
  }
  return t('sysOther', { a });
}

// previewText: one line for the conversation list.
export function previewText(m, c) {
  if (!m) return '';
  if (m.kind === 'system') return systemText(m);
  if (m.burn_after_s) return t('secretMsg');
  if (m.recalled) return m.sender_id === S.state.me.id ? t('youRecalled') : t('recalledBy', { a: S.userName(m.sender_id) });
  const card = m.kind === 'robot' && m.system && m.system.card;
  const text = ((card && card.title) || m.text || (m.kind !== 'text' ? t('att_' + m.kind) : '')).replace(/\s+/g, ' ');
  if (card) return t('said', { a: m.system.title, t: text });
  if (m.sender_id === S.state.me.id) return t('said', { a: t('you'), t: text });
  if (c && c.type === 'group') return t('said', { a: S.userName(m.sender_id), t: text });
  return text;
}
