// ui-chat.js: the open conversation: header, message log with lazy history,
// day separators, receipts, the message menu, and the composer.

import { h, clear, icon, avatar, groupAvatar, reconcile } from './dom.js';
import { t, memberCount, formatTime, formatDay, formatFull, dayKey, errorText, lang } from './i18n.js';
import * as S from './store.js';
import { confirmDialog, toast } from './ui-base.js';
import { feature } from './lazy.js';
import './composer.js';
import { systemText } from './ui-list.js';

const openInfo = (id, nav) => feature('convinfo').then((m) => m.openInfo(id, nav));
const openReceipts = (id, seq) => feature('convinfo').then((m) => m.openReceipts(id, seq));

const GROUP_GAP = 5 * 60 * 1000;
const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]】。，]/g;

export class ChatView {
  constructor(root, nav) {
    this.root = root;
    this.nav = nav;
    this.id = null;
    this.cache = new Map(); // key -> {sig, el}
    this.atBottom = true;
    this.newLineSeq = 0; // the first unread message when the conversation was opened
    this.build();
    S.on('messages', (id) => id === this.id && this.schedule());
    S.on('users', () => this.id && this.schedule(true));
    S.on('conv', (id) => id === this.id && this.renderHeader());
    S.on('members', (id) => id === this.id && this.renderHeader());
    S.on('conn', () => this.id && this.schedule());
    // Long-press (touch) or right-click on a message opens its menu.
    this.list.addEventListener('contextmenu', (e) => this.pressMenu(e));
    this.list.addEventListener('pointerdown', (e) => {
      if (e.pointerType !== 'touch') return;
      clearTimeout(this.press);
      this.pressAt = [e.clientX, e.clientY];
      this.press = setTimeout(() => this.pressMenu(e), 550);
    });
    const stop = () => clearTimeout(this.press);
    this.list.addEventListener('pointerup', stop);
    this.list.addEventListener('pointercancel', stop);
    this.list.addEventListener('pointermove', (e) => {
      if (this.pressAt && Math.hypot(e.clientX - this.pressAt[0], e.clientY - this.pressAt[1]) > 8) stop();
    });
    S.on('typing', (id) => id === this.id && this.renderTyping());
    S.on('removed', (id) => {
      if (id === this.id) {
        toast(t('removedFromConv'));
        this.nav('/');
      }
    });
    document.addEventListener('visibilitychange', () => this.maybeRead());
  }

  build() {
    this.back = h('button', { class: 'icon-btn back', type: 'button', 'aria-label': t('back'), onclick: () => this.nav('/') }, icon('back'));
    this.headAvatar = h('span', { class: 'head-avatar' });
    this.title = h('h2', { class: 'chat-title', id: 'chat-title', tabindex: '-1' });
    this.ext = h('span', { class: 'ext', hidden: true });
    this.sub = h('p', { class: 'chat-sub', 'aria-live': 'polite' });
    this.infoBtn = h('button', { class: 'icon-btn', id: 'conv-info', type: 'button', 'aria-label': t('chatInfo'), onclick: () => openInfo(this.id, this.nav) }, icon('info'));
    this.head = h('header', { class: 'chat-head' }, this.back, this.headAvatar, h('div', { class: 'chat-names' }, h('div', { class: 'chat-line' }, this.title, this.ext), this.sub), this.infoBtn);

    this.list = h('ol', { class: 'messages', role: 'log', 'aria-labelledby': 'chat-title' });
    this.scroller = h('div', { class: 'scroller', tabindex: '0' }, this.list);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // The soft keyboard (or a resized window) shrinks the log: the newest
    // message stays in view when it was.
    new ResizeObserver(() => this.atBottom && this.toBottom(false)).observe(this.scroller);
    this.jump = h('button', { class: 'jump', type: 'button', hidden: true, onclick: () => this.toBottom(true) }, t('jumpLatest'));

    this.notice = h('p', { class: 'composer-notice', hidden: true });
    this.savedNote = h('p', { class: 'saved-note', role: 'status', hidden: true });
    this.composer = document.createElement('tack-composer');
    this.composer.addEventListener('send', (e) => this.onSend(e.detail));
    this.composer.addEventListener('edit-last', () => this.editLast());


    this.pane = h('section', { class: 'chat-pane', 'aria-labelledby': 'chat-title' }, this.head, this.savedNote, h('div', { class: 'log-wrap' }, this.scroller, this.jump), this.notice, this.composer);
    this.empty = h('div', { class: 'chat-empty' }, h('p', null, t('pickConversation')));
    this.root.append(this.empty);

    this.io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && this.older(), { root: this.scroller, rootMargin: '300px 0px 0px 0px' });
  }

  relabel() {
    this.back.setAttribute('aria-label', t('back'));
    this.jump.textContent = t('jumpLatest');
    this.empty.firstChild.textContent = t('pickConversation');
    this.composer.relabel && this.composer.relabel();
    this.cache.clear();
    if (this.id) this.render();
  }

  async open(id) {
    if (id === this.id) return;
    this.closeMenu(false);
    this.id = id;
    this.cache.clear();
    clear(this.list);
    if (!id) {
      this.pane.remove();
      this.root.append(this.empty);
      return;
    }
    this.empty.remove();
    this.root.append(this.pane);
    let c = S.state.convs.get(id);
    let readAtOpen = c ? c.read_seq || 0 : 0;
    this.newLineSeq = 0;
    this.atBottom = true;
    this.composer.setConversation(id);
    this.renderHeader();
    this.render();
    // On a phone the chat replaces the list: move focus into it.
    if (matchMedia('(max-width: 720px)').matches) this.title.focus();
    try {
      if (!c) {
        c = await S.loadConversation(id);
        readAtOpen = c.read_seq || 0;
      }
      S.members(id).catch(() => {});
      await S.loadLatest(id);
    } catch (e) {
      if (this.id !== id) return;
      if (e.status === 404) {
        toast(errorText(e));
        this.nav('/');
      } else toast(errorText(e));
      return;
    }
    if (this.id !== id) return;
    const me = S.state.me.id;
    const first = S.timeline(id).sorted().find((m) => m.seq > readAtOpen && m.sender_id !== me && m.kind !== 'system');
    this.newLineSeq = readAtOpen && first ? first.seq : 0;
    this.render();
    const line = this.list.querySelector('.new-line');
    if (line && line.offsetTop > this.scroller.clientHeight / 2) {
      this.scroller.scrollTop = line.offsetTop - 80;
      this.onScroll();
    } else this.toBottom(false);
    if (matchMedia('(min-width: 721px)').matches) this.composer.focus();
  }

  conv() {
    return S.state.convs.get(this.id);
  }

  renderHeader() {
    const c = this.conv();
    if (!c) return;
    const title = S.convTitle(c);
    this.title.textContent = title;
    this.ext.hidden = !S.isExternal(c);
    if (this.pane.classList.toggle('secret', c.type === 'secret')) feature('secret').then((x) => x.head(this));
    this.ext.textContent = t('external');
    clear(this.headAvatar).append(c.type === 'group' ? groupAvatar(c.id, title, S.faces(c)) : avatar(c.peer_id, title));
    this.infoBtn.setAttribute('aria-label', c.type === 'group' ? t('groupInfo') : t('chatInfo'));
    this.composer.setPlaceholder(t('messagePlaceholder', { t: title }));
    const blocked = c.type === 'group' && c.mute_all && c.role === 'member';
    this.notice.hidden = !blocked;
    this.notice.textContent = t('mutedAllNotice');
    this.savedNote.hidden = !S.state.saved;
    this.savedNote.textContent = t('savedOffline');
    this.composer.hidden = blocked;
    this.renderTyping();
  }

  renderTyping() {
    const c = this.conv();
    if (!c) return;
    const who = S.typingUsers(this.id).map(S.userName);
    let s = '';
    if (who.length === 1) s = t('typing1', { a: who[0] });
    else if (who.length === 2) s = t('typing2', { a: who[0], b: who[1] });
    else if (who.length > 2) s = t('typingN');
    this.sub.classList.toggle('typing', !!s);
    const peer = c.type === 'direct' && S.state.users.get(c.peer_id);
    this.sub.textContent = s || (c.type === 'group' ? memberCount(c.member_count || 0) : (peer && peer.away && peer.away.label) || '');
  }

  schedule(force) {
    if (force) this.cache.clear();
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.render();
    });
  }

  // render reconciles the log with the timeline: elements are cached by key
  // and rebuilt only when their signature changes.
  render() {
    if (!this.id) return;
    this.renderHeader();
    const tl = S.timeline(this.id);
    const items = [];
    if (tl.loaded) {
      if (tl.hasMore) items.push(['older', 'o' + lang, () => h('li', { class: 'older', role: 'status' }, t('loadingOlder'))]);
      else items.push(['begin', 'b' + lang, () => h('li', { class: 'beginning' }, t('beginning'))]);
    }
    const msgs = tl.sorted();
    let prev = null;
    const add = (m, pending) => {
      const d = new Date(m.created_at);
      const dk = dayKey(d);
      if (!prev || dayKey(new Date(prev.created_at)) !== dk) {
        items.push(['d' + dk, lang, () => h('li', { class: 'day', role: 'separator' }, h('span', null, formatDay(d)))]);
      }
      if (!pending && m.seq === this.newLineSeq) {
        items.push(['new', lang, () => h('li', { class: 'new-line', role: 'separator' }, h('span', null, t('newMessages')))]);
      }
      const grouped = !!prev && !pending === !prev.pending && prev.sender_id === m.sender_id && prev.kind !== 'system' && !prev.recalled && m.kind !== 'system' && dayKey(new Date(prev.created_at)) === dk && d - new Date(prev.created_at) < GROUP_GAP;
      items.push(this.item(m, grouped, pending));
      prev = pending ? { ...m, pending: true } : m;
    };
    for (const m of msgs) add(m, null);
    for (const p of tl.pending.values()) add(p.msg, p);

    const wasBottom = this.atBottom;
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    const firstBefore = this.list.querySelector('.msg');
    reconcile(this.list, this.cache, items);

    const older = this.list.querySelector('.older');
    this.io.disconnect();
    if (older) this.io.observe(older);
    const firstAfter = this.list.querySelector('.msg');
    if (wasBottom) this.toBottom(false);
    else if (firstBefore && firstAfter !== firstBefore) this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    this.updateJump();
    this.maybeRead();
  }

  // item returns [key, signature, make] for one message.
  item(m, grouped, pending) {
    const me = S.state.me.id;
    const mine = m.sender_id === me;
    const c = this.conv();
    if (pending) {
      const sig = [pending.status, grouped, lang, m.text, pending.error && pending.error.code, S.state.conn === 'online'].join('|');
      return ['p' + m.client_id, sig, () => this.pendingEl(m, pending, grouped)];
    }
    const names = [S.userName(m.sender_id)];
    if (m.quote) {
      const q = S.timeline(this.id).bySeq.get(m.quote.seq);
      names.push(S.userName(m.quote.sender_id), q ? q.mod : 0);
    }
    if (m.system) names.push(S.userName(m.system.actor_id), ...(m.system.users || []).map(S.userName));
    if (m.recalled_by) names.push(S.userName(m.recalled_by));
    for (const id of m.mentions || []) names.push(S.userName(id));
    const sig = [m.mod, m.unread, grouped, lang, c && c.type, c && c.member_count, names.join(',')].join('|');
    return ['m' + m.seq, sig, () => this.messageEl(m, grouped, mine)];
  }

  messageEl(m, grouped, mine) {
    const d = new Date(m.created_at);
    if (m.kind === 'system') {
      return h('li', { class: 'notice', id: 'm-' + m.seq, dataset: { seq: m.seq } }, h('span', null, systemText(m)), ' ', h('time', { datetime: m.created_at, title: formatFull(d) }, formatTime(d)));
    }
    if (m.burn_after_s && !m.recalled) {
      const li = h('li', { class: ['msg', mine ? 'own' : 'other', 'secret-msg'], id: 'm-' + m.seq, dataset: { seq: m.seq } });
      feature('secret').then((x) => x.fill(li, m, mine));
      return li;
    }
    if (m.recalled) {
      const who = m.recalled_by && m.recalled_by !== m.sender_id ? m.recalled_by : m.sender_id;
      const text = who === S.state.me.id ? t('youRecalled') : t('recalledBy', { a: S.userName(who) });
      return h('li', { class: 'notice recalled', id: 'm-' + m.seq, dataset: { seq: m.seq } }, h('span', null, text));
    }
    const bot = m.kind === 'robot' && m.system;
    const name = bot ? bot.title : S.userName(m.sender_id);
    const li = h('li', { class: ['msg', mine ? 'own' : 'other', grouped && 'grouped'], id: 'm-' + m.seq, dataset: { seq: m.seq } });
    if (!mine) li.append(grouped ? h('span', { class: 'avatar-gap' }) : avatar(m.sender_id, name));
    const body = h('div', { class: 'body' });
    if (grouped) body.append(h('span', { class: 'sr-only' }, mine ? t('you') : name));
    else {
      body.append(h('div', { class: 'meta' }, mine ? null : h('span', { class: 'sender' }, name, bot && h('span', { class: 'bot-badge' }, t('robot'))), h('time', { datetime: m.created_at, title: formatFull(d) }, formatTime(d))));
    }
    const bubble = h('div', { class: 'bubble', title: grouped ? formatFull(d) : null });
    if (m.quote) bubble.append(quoteEl(this.currentQuote(m.quote)));
    if (bot && bot.card) feature('robotcard').then((x) => x.card(bubble, m), () => bubble.append(...bodyEls(m)));
    else bubble.append(...bodyEls(m));
    body.append(bubble);
    const foot = h('div', { class: 'foot' });
    if (m.edited_at) foot.append(h('span', { class: 'edited' }, t('edited')));
    if (mine && m.unread != null) foot.append(this.receiptEl(m));
    if (foot.firstChild) body.append(foot);
    li.append(body);
    const btn = h('button', { class: 'msg-menu-btn', type: 'button', 'aria-label': t('actions'), 'aria-haspopup': 'menu', 'aria-expanded': 'false' }, icon('more'));
    btn.addEventListener('click', () => this.openMenu(btn, m.seq));
    li.append(btn);
    return li;
  }

  // currentQuote: a quote as the quoted message is now, when it is loaded.
  currentQuote(q) {
    const cur = S.timeline(this.id).bySeq.get(q.seq);
    return cur ? { seq: q.seq, sender_id: cur.sender_id, text: cur.text, recalled: cur.recalled } : q;
  }

  receiptEl(m) {
    const c = this.conv();
    const n = m.unread;
    let label;
    if (c && c.type === 'direct') label = n > 0 ? t('unreadDirect') : t('readDirect');
    else label = n > 0 ? t('unreadN', { n }) : t('allRead');
    return h('button', { class: ['receipt', n > 0 ? 'some' : 'none'], type: 'button', dataset: { unread: n }, onclick: () => openReceipts(this.id, m.seq) }, label);
  }

  pendingEl(m, p, grouped) {
    const li = h('li', { class: ['msg', 'own', 'pending', grouped && 'grouped', p.status === 'failed' && 'failed'], dataset: { client: m.client_id } });
    const bubble = h('div', { class: 'bubble' });
    if (m.quote) bubble.append(quoteEl(m.quote));
    bubble.append(...bodyEls(m));
    const foot = h('div', { class: 'foot', role: p.status === 'failed' ? 'alert' : null });
    if (p.status === 'failed') {
      foot.append(
        h('span', { class: 'error' }, t('failed', { e: errorText(p.error) })),
        h('button', { type: 'button', class: 'link', onclick: () => S.retryPending(this.id, m.client_id) }, t('retry')),
        h('button', { type: 'button', class: 'link', onclick: () => S.discardPending(this.id, m.client_id) }, t('discard')),
      );
    } else foot.append(h('span', { class: 'sending' }, t(p.status === 'waiting' && S.state.conn !== 'online' ? 'queued' : 'sending')));
    li.append(h('div', { class: 'body' }, bubble, foot));
    return li;
  }

  // ---- scrolling ----

  onScroll() {
    const s = this.scroller;
    this.atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < 48;
    this.updateJump();
    this.maybeRead();
    if (this.mm) this.mm.place();
  }

  toBottom(smooth) {
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? 'smooth' : 'instant' });
    this.atBottom = true;
    this.updateJump();
    this.maybeRead();
  }

  updateJump() {
    this.jump.hidden = this.atBottom;
  }

  async older() {
    if (!this.id) return;
    const id = this.id;
    try {
      const n = await S.loadOlder(id);
      // Keep filling while the top is still in view.
      if (n && this.id === id && this.scroller.scrollTop < 300) requestAnimationFrame(() => this.older());
    } catch (e) {
      if (e.status !== 0 || S.state.conn === 'online') toast(errorText(e));
    }
  }

  maybeRead() {
    if (!this.id || document.visibilityState !== 'visible' || !this.atBottom) return;
    if (!this.pane.isConnected || !this.pane.offsetParent) return;
    S.markRead(this.id);
  }

  // ---- sending, editing ----

  onSend(d) {
    const c = this.conv();
    if (!c) return;
    if (d.editSeq) {
      S.editMessage(this.id, d.editSeq, d.text, d.mentions).catch((e) => toast(errorText(e)));
      return;
    }
    if (c.type === 'secret') feature('secret').then((x) => x.send(this, d));
    else S.sendMessage(this.id, d.text, d);
    this.toBottom(false);
  }

  editLast() {
    const tl = S.timeline(this.id);
    const me = S.state.me.id;
    const mine = tl.sorted().filter((m) => m.sender_id === me && m.kind === 'text' && !m.recalled);
    const m = mine[mine.length - 1];
    if (m && Date.now() - Date.parse(m.created_at) < S.EDIT_WINDOW) this.composer.startEdit(m);
  }

  // ---- the message menu ----

  pressMenu(e) {
    const li = e.target.closest('.msg[data-seq]');
    if (!li || e.target.closest('a, button') || String(getSelection())) return;
    if (e.type === 'contextmenu') e.preventDefault();
    clearTimeout(this.press);
    const btn = li.querySelector('.msg-menu-btn');
    if (btn && (!this.mm || this.mm.seq !== +li.dataset.seq)) this.openMenu(btn, +li.dataset.seq);
  }

  // openMenu opens a message's menu (its module loads on first use).
  openMenu(btn, seq) {
    feature('msgmenu').then((m) => {
      this.mm = this.mm || new m.MessageMenu(this);
      this.mm.open(btn, seq);
    });
  }

  closeMenu(refocus) {
    if (this.mm) this.mm.close(refocus);
  }
}

// ---- message parts ----

function quoteEl(q) {
  return h('div', { class: 'quote' }, h('span', { class: 'q-name' }, S.userName(q.sender_id)), h('span', { class: 'q-text' }, q.recalled ? t('recalled') : q.text));
}

// bodyEls: a message's files (drawn by the media feature) and its text.
function bodyEls(m) {
  if (!m.attachments) return [textEl(m)];
  const d = h('div', { class: 'att' });
  feature('media').then((x) => x.render(d, m), () => {});
  return m.text ? [d, textEl(m)] : [d];
}

// textEl renders message text as text nodes, with @mentions and links
// marked up by building elements around substrings, never by parsing HTML.
function textEl(m) {
  const p = h('p', { class: 'text' });
  const text = m.text || '';
  const marks = [];
  const me = S.state.me.id;
  const names = new Map();
  for (const id of m.mentions || []) names.set('@' + S.userName(id), id);
  if (m.mention_all) for (const n of ['all', 'Everyone', '所有人']) names.set('@' + n, '*');
  for (const [token, id] of names) {
    let i = 0;
    while ((i = text.indexOf(token, i)) >= 0) {
      marks.push({ at: i, end: i + token.length, kind: id === me || id === '*' ? 'mention me' : 'mention' });
      i += token.length;
    }
  }
  for (const x of text.matchAll(URL_RE)) marks.push({ at: x.index, end: x.index + x[0].length, kind: 'link', url: x[0] });
  marks.sort((a, b) => a.at - b.at);
  let pos = 0;
  for (const mk of marks) {
    if (mk.at < pos) continue;
    p.append(text.slice(pos, mk.at));
    const s = text.slice(mk.at, mk.end);
    if (mk.kind === 'link') p.append(h('a', { href: mk.url, target: '_blank', rel: 'noopener noreferrer' }, s));
    else p.append(h('span', { class: mk.kind }, s));
    pos = mk.end;
  }
  p.append(text.slice(pos));
  return p;
}
