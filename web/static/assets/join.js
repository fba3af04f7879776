// join.js: the page an invitation link opens (/join/<code>) (feature). An
// invitation for one person asks the invited login to be verified first:
// the page offers the code right there, then the Join button.

import { h, css, clear } from './dom.js';
import { t, errorText, addStrings } from './i18n.js';
import { get, post, enc } from './api.js';
import * as S from './store.js';
import * as O from './org.js';
import { page, link } from './ui-base.js';
import { verifyPanel } from './account.js';

addStrings({
  en: {
    joinOrg: 'Join organisation',
    join: 'Join',
    joinInvite: 'You are invited to join:',
    waiting: 'Request sent. Waiting for approval.',
    joined: 'You joined {o}.',
    badInvite: 'This invitation does not exist or was withdrawn.',
    joinVerify: 'This invitation is for one person. Verify that {login} is yours, then join.',
  },
  zh: {
    joinOrg: '加入组织',
    join: '加入',
    joinInvite: '你受邀加入：',
    waiting: '申请已提交，等待审批。',
    joined: '你已加入 {o}。',
    badInvite: '邀请不存在或已撤回。',
    joinVerify: '这份邀请只发给受邀人本人。请先验证 {login} 是你的，然后加入。',
  },
});
await css(new URL('./pages.css', import.meta.url));

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
        // Asked to verify first (the login changed meanwhile): the page
        // again, which offers the code.
        if (e.status === 403 && /verify/.test(e.message || '')) {
          clear(root);
          return joinPage(root, code, nav);
        }
        btn.disabled = false;
        say(errorText(e), 'error');
      }
    } }, t('join'));
    card.append(h('p', null, t('joinInvite')), h('h3', { id: 'join-org' }, inv.org_name));
    // Verified, the preview is asked for again: it may now let them join.
    if (inv.verify_first) {
      card.append(h('p', { class: 'hint', id: 'join-verify' }, t('joinVerify', { login: S.state.me.login })), verifyPanel(() => {
        clear(root);
        joinPage(root, code, nav);
      }));
    } else card.append(h('div', null, btn));
  } catch (e) {
    say(e.status === 404 ? t('badInvite') : errorText(e), 'error');
  }
}
