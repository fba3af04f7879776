// picker.js: <tack-picker>, a people picker with its own state (query,
// results, selection). mode="single" picks one person at once (event
// "pick"); otherwise people are ticked and read from .selected. It finds
// colleagues, friends, external contacts and chat partners by name, pinyin
// or initials, and anyone by exact email or phone (GET /users?q=).
// Feature modules that need it import it statically.

import { h, clear, avatar, css } from './dom.js';
import { t, errorText, addStrings } from './i18n.js';
import * as S from './store.js';

addStrings({
  en: {
    findPeople: 'Find people',
    findHint: 'Name, pinyin or initials (zs for 张三), or an exact email or phone',
    noMatches: 'No one found.',
    selected: 'Selected',
    remove: 'Remove',
  },
  zh: {
    findPeople: '查找联系人',
    findHint: '姓名、拼音或首字母（如 zs 找张三），或完整的邮箱、手机号',
    noMatches: '没有找到。',
    selected: '已选',
    remove: '移除',
  },
});
await css(new URL('./people.css', import.meta.url));

let n = 0;

// who: a name, and below it where the person comes from.
const who = (u) => h('span', { class: 'grow' }, h('span', { class: 'p-name' }, u.name), S.personDetail(u) ? h('span', { class: 'p-sub' }, S.personDetail(u)) : null);

class Picker extends HTMLElement {
  connectedCallback() {
    if (this.built) return;
    this.built = true;
    this.exclude = this.exclude || new Set();
    this.chosen = new Map(); // id -> name
    this.results = [];
    const id = 'picker-' + ++n;
    this.input = h('input', { id, type: 'search', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': id + '-hint', class: 'picker-input' });
    this.chips = h('ul', { class: 'chips', 'aria-label': t('selected') });
    this.out = h('ul', { class: 'picker-results', 'aria-live': 'polite', 'aria-label': t('findPeople') });
    this.append(
      h('label', { for: id }, t('findPeople')),
      this.input,
      h('p', { class: 'hint', id: id + '-hint' }, t('findHint')),
      this.chips,
      this.out,
    );
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.search(), 180);
    });
    // Enter searches, and must never submit a surrounding form.
    this.input.addEventListener('keypress', (e) => e.key === 'Enter' && e.preventDefault());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        clearTimeout(this.timer);
        this.search(true);
      }
    });
    this.search();
  }

  get single() {
    return this.getAttribute('mode') === 'single';
  }

  get selected() {
    return [...this.chosen.keys()];
  }

  async search(pickFirst) {
    const q = this.input.value.trim();
    const seq = (this.seq = (this.seq || 0) + 1);
    let list;
    try {
      list = await S.searchUsers(q);
    } catch (e) {
      if (seq === this.seq) {
        clear(this.out).append(h('li', { class: 'empty' }, errorText(e)));
      }
      return;
    }
    if (seq !== this.seq) return;
    this.results = list.filter((u) => !this.exclude.has(u.id));
    this.render();
    if (pickFirst && this.single && this.results.length === 1) this.pick(this.results[0]);
  }

  render() {
    clear(this.out);
    if (!this.results.length) {
      if (this.input.value.trim()) this.out.append(h('li', { class: 'empty' }, t('noMatches')));
      return;
    }
    for (const u of this.results) {
      if (this.single) {
        this.out.append(h('li', null, h('button', { type: 'button', class: 'person', dataset: { id: u.id }, onclick: () => this.pick(u) }, avatar(u.id, u.name), who(u))));
      } else {
        const box = h('input', { type: 'checkbox', checked: this.chosen.has(u.id), dataset: { id: u.id } });
        box.addEventListener('change', () => {
          box.checked ? this.chosen.set(u.id, u.name) : this.chosen.delete(u.id);
          this.renderChips();
        });
        this.out.append(h('li', null, h('label', { class: 'person' }, box, avatar(u.id, u.name), who(u))));
      }
    }
  }

  renderChips() {
    clear(this.chips);
    for (const [id, name] of this.chosen) {
      this.chips.append(
        h('li', null, h('button', { type: 'button', class: 'chip', 'aria-label': t('remove') + ' ' + name, onclick: () => {
          this.chosen.delete(id);
          this.renderChips();
          this.render();
        } }, name, ' ×')),
      );
    }
    this.dispatchEvent(new CustomEvent('change'));
  }

  // reset clears the query and the selection.
  reset() {
    this.chosen.clear();
    this.input.value = '';
    this.renderChips();
    this.search();
  }

  pick(u) {
    this.dispatchEvent(new CustomEvent('pick', { detail: u }));
  }

  focus() {
    this.input.focus();
  }
}

customElements.define('tack-picker', Picker);
