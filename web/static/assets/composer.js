// composer.js: <tack-composer>, the message box. It owns its state: the
// draft of each conversation, reply/edit mode, and @mention completion.
// Enter sends, Shift+Enter breaks the line (and Enter during IME
// composition is left to the IME). Near the length limit it counts; over
// it, it refuses to send and says why: nothing typed is ever cut off.

import { h, clear, icon, avatar } from './dom.js';
import { t } from './i18n.js';
import * as S from './store.js';
import { feature } from './lazy.js';

// The count shows from this many code points on.
const COUNT_FROM = S.MAX_TEXT - 500;
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
    this.area = h('textarea', { id: 'composer-text', rows: '1', 'aria-label': t('messageLabel'), 'aria-autocomplete': 'list', 'aria-controls': 'mention-list', 'aria-describedby': 'composer-count composer-error' });
    this.sendBtn = h('button', { type: 'submit', class: 'send', 'aria-label': t('send') }, icon('send'));
    this.list = h('ul', { id: 'mention-list', class: 'mentions', role: 'listbox', 'aria-label': t('mentionList'), hidden: true });
    this.count = h('span', { id: 'composer-count', class: 'count', hidden: true });
    this.error = h('p', { id: 'composer-error', class: 'error', role: 'alert' });
    this.attachBtn = h('button', { type: 'button', class: 'icon-btn attach', 'aria-label': t('attach'), 'aria-haspopup': 'menu', onclick: () => this.media('menu') }, icon('plus'));
    this.form = h('form', { class: 'composer-form' }, this.attachBtn, this.area, this.sendBtn);
    // Pasted or dropped files and images go to the media feature.
    const take = (e, dt) => dt && dt.files.length && (e.preventDefault(), this.media('files', [...dt.files]));
    this.area.addEventListener('paste', (e) => take(e, e.clipboardData));
    this.addEventListener('dragover', (e) => e.preventDefault());
    this.addEventListener('drop', (e) => take(e, e.dataTransfer));
    this.append(this.list, this.modeBar, this.form, h('div', { class: 'composer-status' }, this.error, this.count));

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
    // Not shown yet (no chat opened on a phone): it labels itself when it is.
    if (!this.built) return;
    this.updateCount();
    this.area.setAttribute('aria-label', t('messageLabel'));
    this.sendBtn.setAttribute('aria-label', t('send'));
    this.attachBtn.setAttribute('aria-label', t('attach'));
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
    this.updateCount();
  }

  // updateCount shows how much room is left near the limit, and clears a
  // refusal once the text fits.
  updateCount() {
    const n = S.textLength(this.area.value);
    const over = n > S.MAX_TEXT;
    this.count.hidden = n < COUNT_FROM;
    this.count.classList.toggle('over', over);
    this.count.textContent = over ? t('charsOver', { n: n - S.MAX_TEXT }) : t('charsLeft', { n: S.MAX_TEXT - n });
    if (!over) this.error.textContent = '';
    this.area.toggleAttribute('aria-invalid', over);
    return n;
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
    this.updateCount();
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
    this.updateCount();
    if (this.area.value.trim() && !(this.mode && this.mode.kind === 'edit')) S.sendTyping(this.conv);
    this.updateList();
  }

  // resize fits the box to the text (not to a long placeholder).
  resize() {
    this.area.style.height = '';
    if (this.area.value) this.area.style.height = Math.min(this.area.scrollHeight, 180) + 'px';
  }

  media(what, arg) {
    if (this.conv) feature('media').then((m) => m[what](this, arg), () => {});
  }

  // ---- @mentions ----

  // The list of people to mention comes from a module of its own, loaded
  // on the first "@" in a group.
  updateList() {
    const mm = this.area.value.slice(0, this.area.selectionStart).match(MENTION_RE);
    const c = S.state.convs.get(this.conv);
    if (!mm || !c || c.type !== 'group') return this.closeList();
    feature('mentions').then((m) => (this.mx = m).update(this), () => {});
  }

  renderList() {
    this.mx.render(this);
  }

  choose(o) {
    this.mx.choose(this, o);
  }

  closeList() {
    if (!this.list) return;
    this.list.hidden = true;
    this.options = [];
    this.area.setAttribute('aria-expanded', 'false');
    this.area.removeAttribute('aria-activedescendant');
  }

  submit() {
    const text = this.area.value.replace(/^\s*\n|\s+$/g, '');
    if (!text.trim() || !this.conv) return;
    const n = S.textLength(text);
    if (n > S.MAX_TEXT) {
      this.updateCount();
      this.error.textContent = t('tooLong', { n, max: S.MAX_TEXT });
      this.area.focus();
      return;
    }
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
    this.updateCount();
    this.dispatchEvent(new CustomEvent('send', { detail: d }));
  }
}

customElements.define('tack-composer', Composer);
