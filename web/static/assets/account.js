// account.js: the account pages under 我 (feature): account and security
// (/me/security: the login, proved with a 6-digit code), the password
// (/me/password), signed-in devices (/me/devices) and privacy
// (/me/privacy); and two pieces others borrow: the verification panel (the
// join page, when an invitation is for one person) and the invitations
// addressed to my login (我, once it is verified).

import { h, clear, css, icon } from './dom.js';
import { t, addStrings, errorText, formatShort, formatFull } from './i18n.js';
import { get, post, put, del, enc } from './api.js';
import * as S from './store.js';
import { page, link, toast, confirmDialog } from './ui-base.js';

addStrings({
  en: {
    acSecurity: 'Account and security',
    acPrivacy: 'Privacy',
    meData: 'My data',
    tfTitle: 'Two-step sign-in',
    tfOff: 'Off. Signing in needs only your password.',
    tfWhy: 'With an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password…), signing in also needs a 6-digit code from your phone: a stolen password alone is not enough.',
    tfOn: 'On since {d}. {n} recovery codes left.',
    tfStart: 'Turn on',
    tfScan: 'Add this key to your authenticator app (or open the link on this phone), then enter the 6-digit code it shows.',
    tfKey: 'Key',
    tfOpenApp: 'Open in the authenticator app',
    tfEnable: 'Turn on',
    tfCodes: 'Your recovery codes. Each works once, in place of a code, if you lose your phone. Keep them somewhere safe: they are shown only now.',
    tfSaved: 'I have saved them',
    tfNewCodes: 'New recovery codes',
    tfTurnOff: 'Turn off',
    tfOffAsk: 'Turn off two-step sign-in? Enter your password and a code.',
    tfCodeOrRecovery: 'Code (or a recovery code)',
    tfWrong: 'That code is wrong or was used already. Enter the newest code.',
    tfTooMany: 'Too many wrong codes. Try again in a minute.',
    tfIsOff: 'Two-step sign-in is off.',
    acPassword: 'Change password',
    acDevices: 'Signed-in devices',
    acLogin: 'Sign-in {what}',
    acVerified: 'Verified',
    acUnverified: 'Not verified',
    acVerifiedOn: 'Verified on {d}. Invitations sent to it reach you.',
    acWhyVerify: 'Prove that this {what} is yours: only then do invitations sent to it reach you, and you can join at once.',
    acEmail: 'email address',
    acPhone: 'phone number',
    acVerify: 'Verify',
    acSendCode: 'Send code',
    acResend: 'Send a new code',
    acSentTo: 'We sent a 6-digit code to {to}. It works for 15 minutes.',
    acCode: 'Code',
    acConfirm: 'Confirm',
    acDone: 'Your {what} is verified.',
    acWrongCode: 'That code is wrong. {n} more tries.',
    acWrongLast: 'That code is wrong. Ask for a new one.',
    acCodeDigits: 'Enter the 6 digits of the code.',
    acCodeExpired: 'This code no longer works (expired or tried too often). Ask for a new one.',
    acTooSoon: 'A code was sent a moment ago. You can ask for another in {m} min.',
    acCannotSend: 'This server cannot send codes by {how} yet, so it cannot check your {what}. Ask your organisation’s admin: an invitation code you use then waits for their approval.',
    acSendFailed: 'The code could not be sent. Try again later.',
    acByEmail: 'email',
    acByPhone: 'text message',
    acCurrentPw: 'Current password',
    acNewPw: 'New password',
    acRepeatPw: 'New password again',
    acPwRules: '8 to 256 characters. After the change, your other devices are signed out; this one stays signed in.',
    acPwShort: 'The new password needs at least 8 characters.',
    acPwLong: 'The new password may have at most 256 characters.',
    acPwMismatch: 'The two new passwords differ.',
    acPwSame: 'The new password is the current one.',
    acPwWrong: 'The current password is wrong.',
    acPwDone: 'Password changed. Your other devices are signed out.',
    acThisDevice: 'This device',
    acSeen: 'Last active {d}',
    acSignOutDevice: 'Sign out',
    acSignOutAsk: 'Sign out {d}?',
    acSignedOut: 'Signed out.',
    acOn: '{b} on {os}',
    acUnknownDevice: 'Unknown device',
    acDevicesHint: 'Where you are signed in. Sign out a device you do not recognise, then change your password.',
    acAddToGroups: 'Who may add me to groups',
    acEveryone: 'Everyone',
    acColleagues: 'Colleagues and friends',
    acNobody: 'Nobody',
    acGroupsHint: 'Anyone else is refused. Your organisations’ all-staff and department groups include you whatever this says.',
    acShowOnline: 'Show when I am online',
    acOnlineHint: 'Only colleagues and friends ever see it. Off: nobody does.',
    acSaved: 'Saved.',
    acInvites: 'Invitations for you',
    acOpenInvite: 'View',
  },
  zh: {
    acSecurity: '账号与安全',
    acPrivacy: '隐私',
    meData: '我的数据',
    tfTitle: '两步验证',
    tfOff: '未开启。登录只需要密码。',
    tfWhy: '开启后，登录时除了密码，还需要输入身份验证器应用（如 Google Authenticator、Microsoft Authenticator、1Password）中的 6 位验证码：仅凭被盗的密码无法登录。',
    tfOn: '已于 {d} 开启，还剩 {n} 个恢复码。',
    tfStart: '开启',
    tfScan: '将此密钥添加到身份验证器应用（或在这台手机上打开下面的链接），然后输入应用显示的 6 位验证码。',
    tfKey: '密钥',
    tfOpenApp: '在身份验证器中打开',
    tfEnable: '开启',
    tfCodes: '这些是你的恢复码。手机丢失时，每个恢复码可代替验证码使用一次。请妥善保存：它们只显示这一次。',
    tfSaved: '我已保存',
    tfNewCodes: '重新生成恢复码',
    tfTurnOff: '关闭',
    tfOffAsk: '关闭两步验证？请输入密码和验证码。',
    tfCodeOrRecovery: '验证码（或恢复码）',
    tfWrong: '验证码错误或已使用，请输入最新的验证码。',
    tfTooMany: '错误次数过多，请一分钟后再试。',
    tfIsOff: '两步验证已关闭。',
    acPassword: '修改密码',
    acDevices: '登录设备管理',
    acLogin: '登录{what}',
    acVerified: '已验证',
    acUnverified: '未验证',
    acVerifiedOn: '已于 {d} 验证。发给它的组织邀请会显示给你。',
    acWhyVerify: '验证这个{what}属于你：验证后，发给它的组织邀请才会显示给你，并可直接加入。',
    acEmail: '邮箱',
    acPhone: '手机号',
    acVerify: '去验证',
    acSendCode: '发送验证码',
    acResend: '重新发送验证码',
    acSentTo: '验证码已发送至 {to}，15 分钟内有效。',
    acCode: '验证码',
    acConfirm: '确认',
    acDone: '你的{what}已验证。',
    acWrongCode: '验证码不正确，还可以再试 {n} 次。',
    acWrongLast: '验证码不正确，请重新获取。',
    acCodeDigits: '请输入 6 位数字验证码。',
    acCodeExpired: '验证码已失效（已过期或尝试次数过多），请重新获取。',
    acTooSoon: '验证码刚刚发送过，{m} 分钟后可以再次获取。',
    acCannotSend: '这台服务器还不能发送{how}，因此无法验证你的{what}。请联系组织管理员：你使用邀请码加入后，由管理员审批通过。',
    acSendFailed: '验证码发送失败，请稍后再试。',
    acByEmail: '邮件',
    acByPhone: '短信',
    acCurrentPw: '当前密码',
    acNewPw: '新密码',
    acRepeatPw: '再次输入新密码',
    acPwRules: '8 到 256 个字符。修改后，你在其他设备上的登录都会退出，本设备保持登录。',
    acPwShort: '新密码至少需要 8 个字符。',
    acPwLong: '新密码最多 256 个字符。',
    acPwMismatch: '两次输入的新密码不一致。',
    acPwSame: '新密码不能与当前密码相同。',
    acPwWrong: '当前密码不正确。',
    acPwDone: '密码已修改，其他设备已退出登录。',
    acThisDevice: '本机',
    acSeen: '最近活动：{d}',
    acSignOutDevice: '下线',
    acSignOutAsk: '让 {d} 退出登录？',
    acSignedOut: '已退出登录。',
    acOn: '{os} 上的 {b}',
    acUnknownDevice: '未知设备',
    acDevicesHint: '你在这些设备上登录着。如有不认识的设备，请让它下线，并修改密码。',
    acAddToGroups: '谁可以把我拉进群',
    acEveryone: '所有人',
    acColleagues: '同事和好友',
    acNobody: '任何人都不可以',
    acGroupsHint: '其他人拉你进群会被拒绝。组织的全员群和部门群不受此设置影响。',
    acShowOnline: '显示我的在线状态',
    acOnlineHint: '只有同事和好友能看到。关闭后，任何人都看不到。',
    acSaved: '已保存。',
    acInvites: '邀请你加入的组织',
    acOpenInvite: '查看',
  },
});
await Promise.all([css(new URL('./account.css', import.meta.url)), css(new URL('./pages.css', import.meta.url))]);

// A signed-in user from /me or /bootstrap says verified; one from signing in
// has verified_at.
const verifiedMe = () => !!(S.state.me.verified || S.state.me.verified_at);
const isEmail = (login) => String(login || '').includes('@');
const what = () => t(isEmail(S.state.me.login) ? 'acEmail' : 'acPhone');

// tag is a small status label: verified (green) or not (orange).
export const verifiedTag = (ok) => h('span', { class: ['ac-tag', ok ? 'ok' : 'warn'], id: 'ac-status' }, t(ok ? 'acVerified' : 'acUnverified'));

// row is one line of a settings menu: a label, what it is now, a chevron.
export function row(path, nav, id, label, ...extra) {
  return link(path, nav, { class: 'ac-row', id }, h('span', { class: 'grow' }, label), ...extra, h('span', { class: 'ac-chev' }, icon('back')));
}

// sendText and confirmText put the errors of sending and confirming a
// code in words.
function sendText(e) {
  if (e.code === 'rate_limited') return t('acTooSoon', { m: Math.max(1, Math.ceil((e.retryAfter || 60) / 60)) });
  if (e.code === 'unavailable') {
    return /cannot send/.test(e.message || '') ? t('acCannotSend', { how: t(isEmail(S.state.me.login) ? 'acByEmail' : 'acByPhone'), what: what() }) : t('acSendFailed');
  }
  return errorText(e);
}

function confirmText(e) {
  if (e.code === 'expired') return t('acCodeExpired');
  if (e.code === 'invalid') {
    const n = /(\d+) more tr/.exec(e.message || '');
    if (n) return t('acWrongCode', { n: n[1] });
    return /wrong code/.test(e.message || '') ? t('acWrongLast') : t('acCodeDigits');
  }
  return errorText(e);
}

// verifyPanel proves the signed-in login with a code: Send code, then the
// 6-digit entry. done(me) runs once the login is verified.
export function verifyPanel(done) {
  const me = S.state.me;
  const err = h('p', { class: 'error', role: 'alert', id: 'verify-error' });
  const status = h('p', { class: 'hint', role: 'status', id: 'verify-sent' });
  const code = h('input', { id: 'verify-code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', pattern: '[0-9]{6}', placeholder: '······', 'aria-label': t('acCode'), class: 'ac-code' });
  const ok = h('button', { type: 'submit', class: 'btn primary', id: 'verify-confirm' }, t('acConfirm'));
  const form = h('form', { class: 'ac-code-row', hidden: true }, code, ok);
  const send = h('button', { type: 'button', class: 'btn primary', id: 'verify-send' }, t('acSendCode'));
  const busy = async (b, fn) => {
    b.disabled = true;
    err.textContent = '';
    try {
      await fn();
    } finally {
      b.disabled = false;
    }
  };
  const verified = (r) => {
    S.state.me = { ...S.state.me, ...r, verified: true };
    done(S.state.me);
  };
  send.addEventListener('click', () => busy(send, async () => {
    try {
      const p = await post('/me/verifications', { channel: isEmail(me.login) ? 'email' : 'phone' });
      status.textContent = t('acSentTo', { to: p.sent_to });
      form.hidden = false;
      send.textContent = t('acResend');
      send.classList.remove('primary');
      code.value = '';
      code.focus();
    } catch (e) {
      if (e.code === 'conflict') return verified(await get('/me'));
      err.textContent = sendText(e);
      // A server that cannot send will not on a second try.
      send.hidden = e.code === 'unavailable' && /cannot send/.test(e.message || '');
    }
  }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = code.value.replace(/\s/g, '');
    if (!/^\d{6}$/.test(v)) {
      err.textContent = t('acCodeDigits');
      return code.focus();
    }
    busy(ok, async () => {
      try {
        verified(await post('/me/verifications/confirm', { code: v }));
      } catch (x) {
        err.textContent = confirmText(x);
        code.select();
      }
    });
  });
  return h('div', { class: 'ac-verify stack' }, status, form, err, h('div', null, send));
}

// invites lists the invitations addressed to my login (none until it is
// verified); each opens its join page. Empty: nothing is shown.
export function invites(nav) {
  const box = h('section', { class: 'ac-invites', id: 'my-invites', hidden: true });
  get('/me/invitations').then((r) => {
    const list = r.invitations || [];
    if (!list.length) return;
    box.append(h('h3', { class: 'list-head' }, t('acInvites')),
      h('div', { class: 'ac-card' }, list.map((v) => row('/join/' + enc(v.code), nav, 'invite-' + v.code, v.org_name, h('span', { class: 'ac-value' }, t('acOpenInvite'))))));
    box.hidden = false;
  }, () => {});
  return box;
}

function security(body, nav) {
  const me = S.state.me;
  const card = h('div', { class: 'ac-card' });
  const head = h('div', { class: 'ac-row static' }, h('span', { class: 'grow' }, h('span', { class: 'ac-label' }, t('acLogin', { what: what() })), h('strong', { class: 'ac-login', id: 'ac-login' }, me.login)), verifiedTag(verifiedMe()));
  card.append(head);
  const more = h('div');
  if (verifiedMe()) {
    card.append(h('p', { class: 'hint ac-pad' }, t('acVerifiedOn', { d: me.verified_at ? formatFull(new Date(me.verified_at)) : '' })));
  } else {
    card.append(h('div', { class: 'ac-pad' }, h('p', { class: 'hint' }, t('acWhyVerify', { what: what() })), verifyPanel(() => {
      clear(body);
      security(body, nav);
      toast(t('acDone', { what: what() }));
    })));
  }
  body.append(card, h('div', { class: 'ac-card' }, row('/me/password', nav, 'ac-password', t('acPassword')), row('/me/twofactor', nav, 'ac-2fa', t('tfTitle')), row('/me/devices', nav, 'ac-devices', t('acDevices'))), more);
  if (verifiedMe()) more.append(invites(nav));
}

function password(body) {
  const f = (id, label, ac) => [h('label', { for: id }, label), h('input', { id, type: 'password', autocomplete: ac, required: true, maxlength: '256' })];
  const err = h('p', { class: 'error', role: 'alert', id: 'pw-error' });
  const done = h('p', { class: 'ac-ok', role: 'status', id: 'pw-done' });
  const ok = h('button', { type: 'submit', class: 'btn primary wide', id: 'pw-submit' }, t('acPassword'));
  const form = h('form', { class: 'stack settings' }, f('pw-current', t('acCurrentPw'), 'current-password'), f('pw-new', t('acNewPw'), 'new-password'), f('pw-repeat', t('acRepeatPw'), 'new-password'),
    h('p', { class: 'hint' }, t('acPwRules')), err, done, ok);
  const val = (id) => form.querySelector('#' + id).value;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = done.textContent = '';
    const cur = val('pw-current');
    const next = val('pw-new');
    const n = new TextEncoder().encode(next).length;
    const bad = n < 8 ? 'acPwShort' : n > 256 ? 'acPwLong' : next !== val('pw-repeat') ? 'acPwMismatch' : next === cur ? 'acPwSame' : '';
    if (bad) {
      err.textContent = t(bad);
      return;
    }
    ok.disabled = true;
    try {
      await post('/me/password', { current_password: cur, new_password: next });
      form.reset();
      done.textContent = t('acPwDone');
    } catch (x) {
      err.textContent = x.code === 'forbidden' ? t('acPwWrong') : errorText(x);
    } finally {
      ok.disabled = false;
    }
  });
  body.append(form);
}

// deviceName makes a user agent readable: "Chrome on Android".
function deviceName(ua) {
  const b = /Edg\//.test(ua) ? 'Edge' : /MicroMessenger/.test(ua) ? 'WeChat' : /DingTalk/i.test(ua) ? 'DingTalk' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\/|CriOS/.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : '';
  const os = /iPhone/.test(ua) ? 'iPhone' : /iPad/.test(ua) ? 'iPad' : /Android/.test(ua) ? 'Android' : /Windows/.test(ua) ? 'Windows' : /Macintosh|Mac OS X/.test(ua) ? 'macOS' : /CrOS/.test(ua) ? 'ChromeOS' : /Linux/.test(ua) ? 'Linux' : '';
  if (b && os) return t('acOn', { b, os });
  return b || os || (ua ? ua.split(/[\s(;]/)[0].slice(0, 40) : t('acUnknownDevice'));
}

async function devices(body) {
  const list = h('ul', { class: 'ac-card ac-devices', id: 'devices' });
  const err = h('p', { class: 'error', role: 'alert' });
  body.append(h('p', { class: 'hint' }, t('acDevicesHint')), err, list);
  let r;
  try {
    r = await get('/sessions');
  } catch (e) {
    err.textContent = errorText(e);
    return;
  }
  const sessions = (r.sessions || []).sort((a, b) => (!!b.current - !!a.current) || (b.last_seen_at > a.last_seen_at ? 1 : -1));
  for (const s of sessions) {
    const name = deviceName(s.device || '');
    const li = h('li', { class: 'ac-device', dataset: { id: s.id } },
      h('div', { class: 'grow' }, h('strong', { class: 'ac-dev-name' }, name, s.current ? h('span', { class: 'ac-tag ok' }, t('acThisDevice')) : null),
        h('span', { class: 'p-sub' }, [s.address, t('acSeen', { d: formatShort(new Date(s.last_seen_at)) })].filter(Boolean).join(' · '))));
    if (!s.current) {
      const out = h('button', { type: 'button', class: 'btn small danger', onclick: async () => {
        if (!(await confirmDialog(t('acSignOutAsk', { d: name }), t('acSignOutDevice')))) return;
        out.disabled = true;
        try {
          await del('/sessions/' + enc(s.id));
          li.remove();
          toast(t('acSignedOut'));
        } catch (e) {
          out.disabled = false;
          err.textContent = errorText(e);
        }
      } }, t('acSignOutDevice'));
      li.append(out);
    }
    list.append(li);
  }
}

async function privacy(body) {
  const err = h('p', { class: 'error', role: 'alert', id: 'privacy-error' });
  body.append(err);
  let p;
  try {
    p = await get('/me/privacy');
  } catch (e) {
    err.textContent = errorText(e);
    return;
  }
  // save sends what the controls show, one request at a time (the server
  // reads and writes the settings whole, so two at once could undo each
  // other); one that fails puts the controls back as the server has them.
  let queue = Promise.resolve();
  const save = () => (queue = queue.then(async () => {
    err.textContent = '';
    try {
      p = await put('/me/privacy', { add_to_groups: body.querySelector('[name=add_to_groups]:checked').value, show_online: box.checked ? 'everyone' : 'nobody' });
      toast(t('acSaved'));
    } catch (e) {
      body.querySelector(`[name=add_to_groups][value=${p.add_to_groups}]`).checked = true;
      box.checked = p.show_online !== 'nobody';
      err.textContent = errorText(e);
    }
  }));
  const groups = h('fieldset', { class: 'ac-card ac-choices', id: 'privacy-groups' }, h('legend', null, t('acAddToGroups')),
    [['everyone', 'acEveryone'], ['colleagues_and_friends', 'acColleagues'], ['nobody', 'acNobody']].map(([v, l]) => {
      const r = h('input', { type: 'radio', name: 'add_to_groups', value: v, id: 'groups-' + v, checked: p.add_to_groups === v });
      r.addEventListener('change', save);
      return h('label', { class: 'ac-choice', for: 'groups-' + v }, h('span', { class: 'grow' }, t(l)), r);
    }), h('p', { class: 'hint ac-pad' }, t('acGroupsHint')));
  const box = h('input', { type: 'checkbox', role: 'switch', id: 'privacy-online', checked: p.show_online !== 'nobody', 'aria-describedby': 'privacy-online-hint' });
  box.addEventListener('change', save);
  body.append(groups, h('div', { class: 'ac-card ac-pad' }, h('div', { class: 'toggle' }, h('label', { for: 'privacy-online' }, t('acShowOnline')), box, h('p', { class: 'hint', id: 'privacy-online-hint' }, t('acOnlineHint')))));
}

const tfError = (x) => (x.field === 'code' || x.code === 'invalid' ? t('tfWrong') : x.code === 'rate_limited' ? t('tfTooMany') : x.code === 'forbidden' ? t('acPwWrong') : errorText(x));

// twofactor: /me/twofactor, an authenticator app as a second step of
// signing in: turn on (key, link, a code, then the recovery codes shown
// once), new recovery codes, turn off (password and a code).
async function twofactor(body) {
  const st = await get('/me/2fa');
  const err = h('p', { class: 'error', role: 'alert', id: 'tf-error' });
  const codeInput = (id, label) => [h('label', { for: id }, label), h('input', { id, type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '9', spellcheck: 'false', autocapitalize: 'off' })];
  const again = () => {
    clear(body);
    twofactor(body);
  };
  const showCodes = (codes) => {
    clear(body).append(h('div', { class: 'stack settings' },
      h('p', null, t('tfCodes')),
      h('ol', { class: 'tf-codes', id: 'tf-codes' }, codes.map((c) => h('li', null, h('code', null, c)))),
      h('button', { type: 'button', class: 'btn primary wide', id: 'tf-saved', onclick: again }, t('tfSaved'))));
  };
  if (!st.enabled) {
    const start = h('button', { type: 'button', class: 'btn primary wide', id: 'tf-start' }, t('tfStart'));
    body.append(h('div', { class: 'stack settings' }, h('p', { id: 'tf-state' }, t('tfOff')), h('p', { class: 'hint' }, t('tfWhy')), err, start));
    start.addEventListener('click', async () => {
      try {
        const s = await post('/me/2fa/setup');
        const form = h('form', { class: 'stack settings', novalidate: true },
          h('p', null, t('tfScan')),
          h('p', null, h('span', { class: 'ac-label' }, t('tfKey')), ' ', h('code', { class: 'tf-key', id: 'tf-key' }, s.secret.replace(/(.{4})/g, '$1 ').trim())),
          h('a', { href: s.otpauth_url, class: 'link', id: 'tf-link' }, t('tfOpenApp')),
          ...codeInput('tf-code', t('acCode')), err,
          h('button', { type: 'submit', class: 'btn primary wide', id: 'tf-enable' }, t('tfEnable')));
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          err.textContent = '';
          try {
            showCodes((await post('/me/2fa/enable', { code: form.querySelector('#tf-code').value })).recovery_codes);
          } catch (x) {
            err.textContent = tfError(x);
          }
        });
        clear(body).append(form);
        form.querySelector('#tf-code').focus();
      } catch (x) {
        err.textContent = errorText(x);
      }
    });
    return;
  }
  const fresh = h('form', { class: 'stack settings', novalidate: true }, ...codeInput('tf-fresh-code', t('acCode')),
    h('button', { type: 'submit', class: 'btn', id: 'tf-new-codes' }, t('tfNewCodes')));
  fresh.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      showCodes((await post('/me/2fa/recovery-codes', { code: fresh.querySelector('#tf-fresh-code').value })).recovery_codes);
    } catch (x) {
      err.textContent = tfError(x);
    }
  });
  const off = h('form', { class: 'stack settings', novalidate: true }, h('p', { class: 'hint' }, t('tfOffAsk')),
    h('label', { for: 'tf-password' }, t('acCurrentPw')), h('input', { id: 'tf-password', type: 'password', autocomplete: 'current-password' }),
    ...codeInput('tf-off-code', t('tfCodeOrRecovery')),
    h('button', { type: 'submit', class: 'btn danger', id: 'tf-off' }, t('tfTurnOff')));
  off.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      await post('/me/2fa/disable', { password: off.querySelector('#tf-password').value, code: off.querySelector('#tf-off-code').value });
      toast(t('tfIsOff'));
      again();
    } catch (x) {
      err.textContent = tfError(x);
    }
  });
  body.append(h('p', { class: 'ac-ok', id: 'tf-state' }, t('tfOn', { d: formatFull(new Date(st.enabled_at)), n: st.recovery_codes_left })), err, fresh, off);
}

const PAGES = {
  twofactor: ['tfTitle', '/me/security', twofactor],
  security: ['acSecurity', '/me', security],
  password: ['acPassword', '/me/security', password],
  devices: ['acDevices', '/me/security', devices],
  privacy: ['acPrivacy', '/me', privacy],
  data: ['meData', '/me', (body) => import('./export.js').then((m) => m.dataPage(body))],
};

// accountPage shows /me/<which>; anything else goes back to 我.
export function accountPage(root, nav, which) {
  const p = PAGES[which];
  if (!p) return nav('/me', true);
  const body = page(root, t(p[0]), nav, { back: p[1] });
  body.classList.add('ac-page');
  // A way back on a desktop too: these pages sit one or two levels below 我.
  root.querySelector('.chat-head').classList.add('ac-head');
  return p[2](body, nav);
}
