// ui-list.js: the sidebar: who I am, connection status, the conversation
// list with unread badges, previews and times.

import { h, clear, icon, avatar, reconcile } from './dom.js';
import { t, formatShort, languages, lang, setLang } from './i18n.js';
import * as S from './store.js';
import { previewText } from './ui-chat.js';
import { openNewChat } from './ui-dialogs.js';

const narrow = () => matchMedia('(max-width: 720px)').matches;

export class ListView {
  constructor(root, nav, signOut) {
    this.root = root;
    this.nav = nav;
    this.cache = new Map();
    this.newBtn = h('button', { type: 'button', class: 'icon-btn accent', id: 'new-chat', 'aria-label': t('newChat'), title: t('newChat'), onclick: () => openNewChat(nav) }, icon('plus'));
    this.heading = h('h1', { class: 'brand' }, t('app'));
    this.conn = h('div', { class: 'conn', role: 'status', 'aria-live': 'polite' });
    this.notify = h('button', { type: 'button', class: 'notify link', hidden: true, onclick: () => this.askNotify() }, icon('bell'), h('span', null, t('notifyEnable')));
    this.list = h('ul', { class: 'conv-list' });
    this.navEl = h('nav', { class: 'convs', 'aria-label': t('conversations') }, this.list);
    this.emptyEl = h('p', { class: 'empty-list', hidden: true }, t('noConversations'));
    this.langSel = h('select', { id: 'lang', 'aria-label': t('language') }, languages.map(([v, label]) => h('option', { value: v, selected: v === lang }, label)));
    this.langSel.addEventListener('change', () => setLang(this.langSel.value));
    this.outBtn = h('button', { type: 'button', class: 'icon-btn', id: 'sign-out', 'aria-label': t('signOut'), title: t('signOut'), onclick: signOut }, icon('out'));
    this.meEl = h('div', { class: 'me' });
    root.append(
      h('header', { class: 'side-head' }, this.heading, this.newBtn),
      this.conn,
      this.notify,
      this.navEl,
      this.emptyEl,
      h('footer', { class: 'side-foot' }, this.meEl, this.langSel, this.outBtn),
    );
    S.on('convs', () => this.schedule());
    S.on('users', () => this.schedule(true));
    S.on('conn', () => this.renderConn());
    S.on('synced', () => this.schedule());
    setInterval(() => this.renderConn(), 1000);
    this.renderMe();
    this.renderConn();
    this.renderNotify();
  }

  relabel() {
    this.newBtn.setAttribute('aria-label', t('newChat'));
    this.newBtn.title = t('newChat');
    this.outBtn.setAttribute('aria-label', t('signOut'));
    this.outBtn.title = t('signOut');
    this.langSel.setAttribute('aria-label', t('language'));
    this.navEl.setAttribute('aria-label', t('conversations'));
    this.notify.lastChild.textContent = t('notifyEnable');
    this.emptyEl.textContent = t('noConversations');
    this.langSel.value = lang;
    this.cache.clear();
    this.render();
    this.renderConn();
  }

  renderMe() {
    const me = S.state.me;
    clear(this.meEl).append(avatar(me.id, me.name), h('span', { class: 'me-name' }, me.name));
  }

  renderNotify() {
    this.notify.hidden = !('Notification' in window) || Notification.permission !== 'default';
  }

  async askNotify() {
    try {
      await Notification.requestPermission();
    } catch {}
    this.renderNotify();
  }

  renderConn() {
    const s = S.state.conn;
    let text = t('connecting');
    if (s === 'online') text = t('online');
    else if (s === 'syncing') text = t('syncing');
    else if (s === 'waiting') {
      const info = S.state.connInfo || { at: Date.now() };
      text = t('offline', { s: Math.max(1, Math.ceil((info.at - Date.now()) / 1000)) });
    }
    this.conn.dataset.state = s;
    if (this.conn.dataset.text === text) return;
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

  render() {
    const convs = S.sortedConvs();
    this.emptyEl.hidden = convs.length > 0 || !S.state.synced;
    const items = convs.map((c) => {
      const title = S.convTitle(c);
      const m = c.last_message;
      const muted = S.isMuted(c.id);
      const preview = previewText(m, c);
      const when = m ? m.created_at : c.created_at;
      const ext = S.isExternal(c);
      const sig = [title, preview, when, c.unread, muted, c.id === this.current, lang, ext].join('|');
      return [c.id, sig, () => this.item(c, title, preview, when, muted, ext)];
    });
    reconcile(this.list, this.cache, items);
  }

  item(c, title, preview, when, muted, ext) {
    const d = when ? new Date(when) : null;
    const unread = c.unread || 0;
    const a = h('a', { class: ['conv', c.id === this.current && 'active', unread && 'has-unread', muted && 'muted'], href: '/c/' + encodeURIComponent(c.id), 'aria-current': c.id === this.current ? 'page' : null, dataset: { id: c.id } },
      avatar(c.type === 'direct' ? c.peer_id : c.id, title),
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
