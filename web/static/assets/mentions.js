// mentions.js: @mention completion in a group's composer (feature, loaded
// on the first "@"): the members that match, the list, and inserting one.
// It works on the composer it is given (and never imports composer.js,
// which loads it).

import { h, clear, avatar, css } from './dom.js';
import { t, addStrings } from './i18n.js';
import * as S from './store.js';

const MENTION_RE = /(^|\s)@([^\s@]{0,24})$/;
await css(new URL('./mentions.css', import.meta.url));
addStrings({ en: { mentionAll: 'Everyone' }, zh: { mentionAll: '所有人' } });

// update shows the members matching the "@..." before the caret.
export function update(comp) {
  const mm = comp.area.value.slice(0, comp.area.selectionStart).match(MENTION_RE);
  const c = S.state.convs.get(comp.conv);
  if (!mm || !c || c.type !== 'group') return comp.closeList();
  const q = mm[2].toLowerCase();
  const members = S.state.members.get(comp.conv);
  if (!members) {
    S.members(comp.conv).then(() => update(comp), () => {});
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
  comp.query = mm[2];
  comp.options = opts;
  comp.active = 0;
  if (!opts.length) return comp.closeList();
  render(comp);
}

export function render(comp) {
  clear(comp.list);
  comp.options.forEach((o, i) => {
    const li = h('li', { role: 'option', id: 'mention-' + i, 'aria-selected': i === comp.active ? 'true' : 'false', class: i === comp.active ? 'active' : null }, avatar(o.id, o.name), h('span', null, o.name));
    li.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      choose(comp, o);
    });
    comp.list.append(li);
  });
  comp.list.hidden = false;
  comp.area.setAttribute('aria-expanded', 'true');
  comp.area.setAttribute('aria-activedescendant', 'mention-' + comp.active);
}

export function choose(comp, o) {
  const v = comp.area.value;
  const caret = comp.area.selectionStart;
  const start = caret - comp.query.length - 1;
  const token = '@' + o.name;
  comp.area.value = v.slice(0, start) + token + ' ' + v.slice(caret);
  const at = start + token.length + 1;
  comp.area.setSelectionRange(at, at);
  comp.picked.set(token, o.id);
  comp.closeList();
  comp.resize();
  comp.area.focus();
}
