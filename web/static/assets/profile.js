// profile.js: a member's profile card, with a Message button for anyone
// you may message (feature; the directory and the admin area import it).

import { h, avatar, css } from './dom.js';
import { t, errorText, addStrings } from './i18n.js';
import * as S from './store.js';
import * as O from './org.js';
import { dialog, toast } from './ui-base.js';

addStrings({
  en: { title: 'Title', departments: 'Departments', email: 'Email', phone: 'Phone', sendMessage: 'Message' },
  zh: { title: '职位', departments: '部门', email: '邮箱', phone: '手机', sendMessage: '发消息' },
});
await css(new URL('./org.css', import.meta.url));

// profile opens the card of a member (by member or user ID).
export async function profile(id, nav) {
  let m;
  try {
    m = await O.call('GET', '/members/' + encodeURIComponent(id));
  } catch (e) {
    return toast(errorText(e));
  }
  const err = h('p', { class: 'error', role: 'alert' });
  const rows = [['title', m.title], ['departments', O.deptNames(m)], ['email', m.work_email], ['phone', m.phone]].filter((r) => r[1]);
  // Everyone a member sees in the directory is active; admins also see
  // who is not, and cannot message them.
  const msg = m.user_id && m.user_id !== S.state.me.id && m.status === 'active' && h('button', { type: 'button', class: 'btn primary', id: 'profile-message', onclick: async () => {
    msg.disabled = true;
    try {
      const c = await S.createConversation('direct', [m.user_id], '');
      d.close();
      nav('/c/' + c.id);
    } catch (e) {
      msg.disabled = false;
      err.textContent = errorText(e);
    }
  } }, t('sendMessage'));
  const d = dialog(m.name, h('div', { class: 'info-head' }, avatar(m.user_id || m.id, m.name, true)),
    h('dl', { class: 'card' }, rows.map(([k, v]) => h('div', null, h('dt', null, t(k)), h('dd', null, v)))), err, h('div', { class: 'dialog-actions' }, msg));
  d.classList.add('profile');
  if (msg) msg.focus();
}
