// msgmenu.js: a message's menu (feature): reply, edit, recall, opened by
// its "···" button, a long press or a right click, and worked from the
// keyboard.

import { h, clear, icon, css } from './dom.js';
import { t, errorText, addStrings } from './i18n.js';
import * as S from './store.js';
import { confirmDialog, toast } from './ui-base.js';

const RECALL_WINDOW = 2 * 60 * 1000;
await css(new URL('./msgmenu.css', import.meta.url));
addStrings({ en: { recallConfirm: 'Recall this message for everyone?' }, zh: { recallConfirm: '为所有人撤回这条消息？' } });

export class MessageMenu {
  constructor(view) {
    this.v = view;
    this.el = h('div', { class: 'menu', role: 'menu', hidden: true });
    this.el.addEventListener('keydown', (e) => this.key(e));
    document.addEventListener('pointerdown', (e) => {
      if (!this.el.hidden && !this.el.contains(e.target) && !e.target.closest('.msg-menu-btn')) this.close(false);
    });
    view.pane.append(this.el);
  }

  open(btn, seq) {
    const v = this.v;
    if (!this.el.hidden && this.seq === seq) return this.close(true);
    const m = S.timeline(v.id).bySeq.get(seq);
    if (!m) return;
    const c = v.conv();
    const me = S.state.me.id;
    const mine = m.sender_id === me;
    const age = Date.now() - Date.parse(m.created_at);
    const admin = c && c.type === 'group' && (c.role === 'owner' || c.role === 'admin');
    const items = [[t('reply'), 'reply', () => v.composer.startReply(m)]];
    if (mine && age < S.EDIT_WINDOW) items.push([t('edit'), 'edit', () => v.composer.startEdit(m)]);
    if ((mine && age < RECALL_WINDOW) || admin) items.push([t('recall'), 'recall', () => this.recall(m)]);
    clear(this.el);
    for (const [label, ic, fn] of items) {
      this.el.append(
        h('button', { type: 'button', role: 'menuitem', tabindex: '-1', class: 'menu-item', dataset: { action: ic }, onclick: () => {
          this.close(false);
          fn();
        } }, icon(ic), label),
      );
    }
    this.seq = seq;
    this.btn = btn;
    btn.setAttribute('aria-expanded', 'true');
    this.el.hidden = false;
    this.place();
    this.el.firstChild.focus();
  }

  // place puts the menu next to its button, kept inside the visible log
  // (a long message's button may be out of view), or closes it when the
  // message has scrolled out of view.
  place() {
    const v = this.v;
    if (this.el.hidden) return;
    const btn = this.btn;
    const li = btn && btn.closest('.msg');
    if (!li || !li.isConnected) return this.close(false);
    const lr = li.getBoundingClientRect();
    const sr = v.scroller.getBoundingClientRect();
    if (lr.bottom < sr.top || lr.top > sr.bottom) return this.close(false);
    const r = btn.getBoundingClientRect();
    const pr = v.pane.getBoundingClientRect();
    const mh = this.el.offsetHeight;
    const mw = this.el.offsetWidth;
    let top = r.bottom - pr.top + 4;
    if (top + mh > sr.bottom - pr.top - 8) top = r.top - pr.top - mh - 4;
    top = Math.min(Math.max(top, sr.top - pr.top + 8), sr.bottom - pr.top - mh - 8);
    const left = Math.min(Math.max(8, r.right - pr.left - mw), pr.width - mw - 8);
    this.el.style.top = top + 'px';
    this.el.style.left = left + 'px';
  }

  close(refocus) {
    if (this.el.hidden) return;
    this.el.hidden = true;
    if (this.btn) {
      this.btn.setAttribute('aria-expanded', 'false');
      if (refocus && this.btn.isConnected) this.btn.focus();
    }
    this.seq = null;
  }

  key(e) {
    const items = [...this.el.querySelectorAll('[role=menuitem]')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') items[(i + 1) % items.length].focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length].focus();
    else if (e.key === 'Home') items[0].focus();
    else if (e.key === 'End') items[items.length - 1].focus();
    else if (e.key === 'Escape' || e.key === 'Tab') this.close(true);
    else return;
    e.preventDefault();
  }

  async recall(m) {
    if (!(await confirmDialog(t('recallConfirm'), t('recall')))) return;
    try {
      await S.recallMessage(this.v.id, m.seq);
    } catch (e) {
      toast(errorText(e));
    }
  }
}
