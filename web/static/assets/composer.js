// composer.js: <tack-composer>, the message box. It owns its state: the
// draft of each conversation, reply/edit mode, and @mention completion.
// Enter sends, Shift+Enter breaks the line (and Enter during IME
// composition is left to the IME).

import { h, clear, icon, avatar } from './dom.js';
import { t } from './i18n.js';
import * as S from './store.js';

const MENTION_RE = /(^|\s)@([^\s@]{0,24})$/;

class Composer extends HTMLElement {
  connectedCallback() {
    if (this.built) return;
    this.built = true;
    this.drafts = new Map();
    this.conv = null;
    this.mode = null; // {kind: 'reply'|'edit', msg}
    this.picked = new Map(); // "@Name" -> user id ('*' for all)
    this.options = [];
    this.active = 0;

    this.modeText = h('span', { class: 'mode-text' });
    this.modeBar = h('div', { class: 'mode-bar', hidden: true }, this.modeText, h('button', { type: 'button', class: 'icon-btn small', 'aria-label': t('cancel'), onclick: () => this.cancelMode() }, icon('close')));
    this.area = h('textarea', { id: 'composer-text', rows: '1', 'aria-label': t('messageLabel'), 'aria-autocomplete': 'list', 'aria-controls': 'mention-list', maxlength: '5000' });
    this.sendBtn = h('button', { type: 'submit', class: 'send', 'aria-label': t('send') }, icon('send'));
    this.list = h('ul', { id: 'mention-list', class: 'mentions', role: 'listbox', 'aria-label': t('mentionList'), hidden: true });
    this.form = h('form', { class: 'composer-form' }, this.area, this.sendBtn);
    this.append(this.list, this.modeBar, this.form);

    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.area.addEventListener('keydown', (e) => this.onKey(e));
    // Some input paths deliver Enter's character separately; the keydown
    // handler has already acted on it.
    this.area.addEventListener('keypress', (e) => e.key === 'Enter' && !e.shiftKey && e.preventDefault());
    this.area.addEventListener('input', () => this.onInput());
    this.area.addEventListener('blur', () => setTimeout(() => this.closeList(), 150));
  }

  relabel() {
    this.area.setAttribute('aria-label', t('messageLabel'));
    this.sendBtn.setAttribute('aria-label', t('send'));
    this.list.setAttribute('aria-label', t('mentionList'));
    this.renderMode();
  }

  setPlaceholder(s) {
    this.area.placeholder = s;
  }

  setConversation(id) {
    if (this.conv) this.drafts.set(this.conv, this.area.value);
    this.conv = id;
    this.mode = null;
    this.picked.clear();
    this.area.value = this.drafts.get(id) || '';
    this.renderMode();
    this.closeList();
    this.resize();
  }

  focus() {
    this.area.focus();
  }

  startReply(m) {
    if (this.mode && this.mode.kind === 'edit') this.area.value = '';
    this.mode = { kind: 'reply', msg: m };
    this.renderMode();
    this.area.focus();
  }

  startEdit(m) {
    this.mode = { kind: 'edit', msg: m };
    this.area.value = m.text;
    this.picked.clear();
    for (const id of m.mentions || []) this.picked.set('@' + S.userName(id), id);
    this.renderMode();
    this.resize();
    this.area.focus();
    this.area.setSelectionRange(this.area.value.length, this.area.value.length);
  }

  cancelMode() {
    if (this.mode && this.mode.kind === 'edit') this.area.value = '';
    this.mode = null;
    this.renderMode();
    this.resize();
    this.area.focus();
  }

  renderMode() {
    if (!this.modeBar) return;
    this.modeBar.hidden = !this.mode;
    if (!this.mode) return;
    const m = this.mode.msg;
    clear(this.modeText);
    if (this.mode.kind === 'reply') {
      this.modeText.append(h('strong', null, t('replyingTo', { a: S.userName(m.sender_id) })), ' ', h('span', { class: 'mode-quote' }, m.text));
    } else this.modeText.append(h('strong', null, t('editing')));
  }

  onKey(e) {
    if (!this.list.hidden && this.options.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = this.options.length;
        this.active = (this.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
        this.renderList();
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.choose(this.options[this.active]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        this.closeList();
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      this.submit();
      return;
    }
    if (e.key === 'Escape' && this.mode) {
      e.preventDefault();
      this.cancelMode();
      return;
    }
    if (e.key === 'ArrowUp' && !this.area.value && !this.mode) {
      e.preventDefault();
      this.dispatchEvent(new CustomEvent('edit-last'));
    }
  }

  onInput() {
    this.resize();
    if (this.area.value.trim() && !(this.mode && this.mode.kind === 'edit')) S.sendTyping(this.conv);
    this.updateList();
  }

  resize() {
    this.area.style.height = 'auto';
    this.area.style.height = Math.min(this.area.scrollHeight, 180) + 'px';
  }

  // ---- @mentions ----

  updateList() {
    const before = this.area.value.slice(0, this.area.selectionStart);
    const mm = before.match(MENTION_RE);
    const c = S.state.convs.get(this.conv);
    if (!mm || !c || c.type !== 'group') return this.closeList();
    const q = mm[2].toLowerCase();
    const members = S.state.members.get(this.conv);
    if (!members) {
      S.members(this.conv).then(() => this.updateList(), () => {});
      return;
    }
    const me = S.state.me.id;
    const opts = [];
    if (c.role === 'owner' && (t('mentionAll').toLowerCase().startsWith(q) || 'all'.startsWith(q))) opts.push({ id: '*', name: t('mentionAll') });
    for (const m of members) {
      if (m.user_id === me) continue;
      const name = m.name || S.userName(m.user_id);
      if (!q || name.toLowerCase().includes(q)) opts.push({ id: m.user_id, name });
      if (opts.length >= 8) break;
    }
    this.query = mm[2];
    this.options = opts;
    this.active = 0;
    if (!opts.length) return this.closeList();
    this.renderList();
  }

  renderList() {
    clear(this.list);
    this.options.forEach((o, i) => {
      const li = h('li', { role: 'option', id: 'mention-' + i, 'aria-selected': i === this.active ? 'true' : 'false', class: i === this.active ? 'active' : null }, avatar(o.id, o.name), h('span', null, o.name));
      li.addEventListener('pointerdown', (e) => {
        e.preventDefault();
        this.choose(o);
      });
      this.list.append(li);
    });
    this.list.hidden = false;
    this.area.setAttribute('aria-expanded', 'true');
    this.area.setAttribute('aria-activedescendant', 'mention-' + this.active);
  }

  closeList() {
    if (!this.list) return;
    this.list.hidden = true;
    this.options = [];
    this.area.setAttribute('aria-expanded', 'false');
    this.area.removeAttribute('aria-activedescendant');
  }

  choose(o) {
    const v = this.area.value;
    const caret = this.area.selectionStart;
    const start = caret - this.query.length - 1;
    const token = '@' + o.name;
    this.area.value = v.slice(0, start) + token + ' ' + v.slice(caret);
    const at = start + token.length + 1;
    this.area.setSelectionRange(at, at);
    this.picked.set(token, o.id);
    this.closeList();
    this.resize();
    this.area.focus();
  }

  submit() {
    const text = this.area.value.replace(/^\s*\n|\s+$/g, '');
    if (!text.trim() || !this.conv) return;
    const mentions = [];
    let all = false;
    for (const [token, id] of this.picked) {
      if (!text.includes(token)) continue;
      if (id === '*') all = true;
      else if (!mentions.includes(id)) mentions.push(id);
    }
    const d = { text, mentions, mention_all: all };
    if (this.mode && this.mode.kind === 'reply') d.reply_to = this.mode.msg.seq;
    if (this.mode && this.mode.kind === 'edit') {
      d.editSeq = this.mode.msg.seq;
      if (text === this.mode.msg.text) {
        this.cancelMode();
        return;
      }
    }
    this.area.value = '';
    this.drafts.delete(this.conv);
    this.mode = null;
    this.picked.clear();
    this.renderMode();
    this.closeList();
    this.resize();
    this.dispatchEvent(new CustomEvent('send', { detail: d }));
  }
}

customElements.define('tack-composer', Composer);
