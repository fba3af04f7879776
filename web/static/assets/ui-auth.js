// ui-auth.js: sign in and sign up (a feature: a signed-in start never
// loads it).

import { h, clear, css } from './dom.js';
import { t, errorText, languages, lang, setLang, addStrings } from './i18n.js';
import * as S from './store.js';
import { post } from './api.js';

addStrings({
  en: {
    signIn: 'Sign in',
    signUp: 'Create account',
    login: 'Email or phone',
    password: 'Password',
    name: 'Your name',
    nameRequired: 'Enter your name: it is how colleagues will find you.',
    loginRequired: 'Enter your email address or phone number.',
    noAccount: 'New here?',
    haveAccount: 'Already have an account?',
    tagline: 'Team chat that stays out of your way.',
    passwordHint: 'At least 8 characters',
    passwordShort: 'The password needs at least 8 characters.',
    working: 'Please wait…',
    loginTaken: 'An account with this email or phone already exists.',
    badLogin: 'Enter an email address or a phone number.',
    badName: 'Enter a name of 1 to 64 characters.',
    forgot: 'Forgot password?',
    authCode: 'Code from your authenticator app',
    authCodeHint: 'Two-step sign-in is on: enter the 6-digit code, or a recovery code.',
    authCodeWrong: 'That code is wrong or was used already. Enter the newest code.',
    forgotTitle: 'Reset your password',
    forgotHint: 'We email a link to choose a new password. It works once, for 30 minutes.',
    sendLink: 'Email me a link',
    haveCode: 'I have a code',
    backToSignIn: 'Back to sign in',
    linkSent: 'If {l} has an account here, a link is on its way. Check your inbox (and spam).',
    noEmail: 'This server cannot send email. Ask an administrator of your organisation for help.',
    newPasswordTitle: 'Choose a new password',
    resetCode: 'Code from the email',
    newPassword: 'New password',
    setPassword: 'Set password',
    resetDone: 'Your password is changed and every device is signed out. Sign in with the new one.',
    resetExpired: 'This link was used, replaced or has expired. Ask for a new one.',
    resetBadCode: 'Copy the whole code from the email (it starts with rs_).',
  },
  zh: {
    signIn: '登录',
    signUp: '注册账号',
    login: '邮箱或手机号',
    password: '密码',
    name: '你的名字',
    nameRequired: '请填写你的名字，同事会用它找到你。',
    loginRequired: '请填写邮箱地址或手机号。',
    noAccount: '还没有账号？',
    haveAccount: '已有账号？',
    tagline: '不打扰你的团队沟通。',
    passwordHint: '至少 8 个字符',
    passwordShort: '密码至少需要 8 个字符。',
    working: '请稍候…',
    loginTaken: '该邮箱或手机号已注册。',
    badLogin: '请输入邮箱地址或手机号。',
    badName: '请输入 1 到 64 个字符的名字。',
    forgot: '忘记密码？',
    authCode: '身份验证器中的验证码',
    authCodeHint: '已开启两步验证：请输入 6 位验证码，或一个恢复码。',
    authCodeWrong: '验证码错误或已使用，请输入最新的验证码。',
    forgotTitle: '重置密码',
    forgotHint: '我们会发送一封邮件，通过其中的链接设置新密码。链接仅可使用一次，30 分钟内有效。',
    sendLink: '发送重置链接',
    haveCode: '我有重置码',
    backToSignIn: '返回登录',
    linkSent: '如果 {l} 在这里有账号，重置链接已发出，请查看收件箱（及垃圾邮件）。',
    noEmail: '此服务器无法发送邮件，请联系你所在组织的管理员。',
    newPasswordTitle: '设置新密码',
    resetCode: '邮件中的重置码',
    newPassword: '新密码',
    setPassword: '设置密码',
    resetDone: '密码已修改，所有设备均已退出登录。请用新密码登录。',
    resetExpired: '该链接已使用、已被替换或已过期，请重新申请。',
    resetBadCode: '请从邮件中完整复制重置码（以 rs_ 开头）。',
  },
});
await css(new URL('./auth.css', import.meta.url));

export function renderAuth(root, done, opts = {}) {
  if (location.pathname === '/reset' && !opts.notice) {
    const token = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, '', '/reset');
    return renderReset(root, done, { token, step: 'set' });
  }
  let signup = false;
  const err = h('p', { class: 'error', role: 'alert', id: 'auth-error' });
  const name = h('input', { id: 'auth-name', name: 'name', type: 'text', autocomplete: 'name', maxlength: '64' });
  const login = h('input', { id: 'auth-login', name: 'login', type: 'text', autocomplete: 'username', inputmode: 'email', required: true, spellcheck: 'false', autocapitalize: 'off' });
  const pass = h('input', { id: 'auth-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, minlength: '8', 'aria-describedby': 'pw-hint' });
  const nameRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'auth-name' }, t('name')), name);
  // Asked for when the server says two-step sign-in is on.
  const code = h('input', { id: 'auth-code', name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '9', spellcheck: 'false', autocapitalize: 'off', 'aria-describedby': 'auth-code-hint' });
  const codeRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'auth-code' }, t('authCode')), code, h('p', { class: 'hint', id: 'auth-code-hint' }, t('authCodeHint')));
  const submit = h('button', { type: 'submit', class: 'btn primary wide', id: 'auth-submit' });
  const switchText = h('span');
  const switchBtn = h('button', { type: 'button', class: 'link', id: 'auth-switch' });
  const hint = h('p', { class: 'hint', id: 'pw-hint' });
  const heading = h('h2', { id: 'auth-title' });
  const forgot = h('button', { type: 'button', class: 'link', id: 'auth-forgot', onclick: () => renderReset(root, done, { login: login.value.trim() }) }, t('forgot'));
  const notice = h('p', { class: 'notice', role: 'status', id: 'auth-notice' }, opts.notice || '');
  const form = h('form', { class: 'auth-form', 'aria-labelledby': 'auth-title', novalidate: true },
    heading,
    nameRow,
    h('div', { class: 'field' }, h('label', { for: 'auth-login' }, t('login')), login),
    h('div', { class: 'field' }, h('label', { for: 'auth-password' }, t('password')), pass, hint),
    codeRow,
    notice,
    err,
    submit,
    h('p', { class: 'switch' }, switchText, ' ', switchBtn),
    h('p', { class: 'switch' }, forgot),
  );
  const langSel = h('select', { id: 'auth-lang', 'aria-label': t('language') }, languages.map(([v, l]) => h('option', { value: v, selected: v === lang }, l)));
  langSel.addEventListener('change', () => {
    setLang(langSel.value);
    const keep = { signup, name: name.value, login: login.value };
    renderAuth(root, done);
    const f = root.querySelector('form');
    if (keep.signup) f.querySelector('#auth-switch').click();
    f.querySelector('#auth-name').value = keep.name;
    f.querySelector('#auth-login').value = keep.login;
    root.querySelector('#auth-lang').focus();
  });

  const mode = () => {
    heading.textContent = signup ? t('signUp') : t('signIn');
    submit.textContent = signup ? t('signUp') : t('signIn');
    switchText.textContent = signup ? t('haveAccount') : t('noAccount');
    switchBtn.textContent = signup ? t('signIn') : t('signUp');
    nameRow.hidden = !signup;
    forgot.hidden = signup;
    name.required = signup;
    hint.textContent = signup ? t('passwordHint') : '';
    pass.autocomplete = signup ? 'new-password' : 'current-password';
    err.textContent = '';
  };
  switchBtn.addEventListener('click', () => {
    signup = !signup;
    mode();
    (signup ? name : login).focus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    if (signup && !name.value.trim()) return fail(name, t('nameRequired'));
    if (!login.value.trim()) return fail(login, t('loginRequired'));
    if (pass.value.length < 8) return fail(pass, t('passwordShort'));
    submit.disabled = true;
    submit.textContent = t('working');
    try {
      if (signup) await S.signUp(name.value.trim(), login.value.trim(), pass.value);
      else await S.signIn(login.value.trim(), pass.value, codeRow.hidden ? '' : code.value.trim());
      done();
    } catch (x) {
      const bad = x.field === 'name' ? name : x.field === 'password' ? pass : x.field === 'login' ? login : null;
      if (bad) bad.setAttribute('aria-invalid', 'true');
      submit.disabled = false;
      mode();
      if (!signup && x.code === 'unauthorized' && x.field === 'code') {
        const asked = !codeRow.hidden && code.value.trim();
        codeRow.hidden = false;
        if (asked) err.textContent = t('authCodeWrong');
        code.focus();
        code.select();
        return;
      }
      if (signup && x.code === 'conflict') err.textContent = t('loginTaken');
      else if (x.code === 'invalid' && x.field === 'login') err.textContent = t('badLogin');
      else if (x.code === 'invalid' && x.field === 'name') err.textContent = t('badName');
      else if (x.code === 'invalid' && x.field === 'password') err.textContent = t('passwordShort');
      else err.textContent = errorText(x);
    }
  });
  function fail(input, text) {
    input.setAttribute('aria-invalid', 'true');
    err.textContent = text;
    input.focus();
  }
  for (const i of [name, login, pass]) i.addEventListener('input', () => i.removeAttribute('aria-invalid'));
  mode();
  if (opts.login) login.value = opts.login;
  card(root, form, langSel);
  (opts.login ? pass : login).focus();
}

function card(root, form, langSel) {
  clear(root).append(
    h('main', { class: 'auth' },
      h('div', { class: 'auth-card' },
        h('div', { class: 'auth-brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, 'T'), h('h1', null, t('app'))),
        h('p', { class: 'tagline' }, t('tagline')),
        form,
      ),
      langSel ? h('div', { class: 'auth-lang' }, langSel) : null,
    ),
  );
}

// renderReset: forgot password. Step 'ask' emails a link (or a code) to a
// login; step 'set' takes the code (from the link's #fragment, or pasted)
// and a new password.
function renderReset(root, done, { login: given = '', token = '', step = 'ask' } = {}) {
  if (location.pathname !== '/reset') history.pushState(null, '', '/reset');
  const back = () => {
    history.replaceState(null, '', '/');
    renderAuth(root, done);
  };
  const err = h('p', { class: 'error', role: 'alert', id: 'reset-error' });
  const status = h('p', { class: 'notice', role: 'status', id: 'reset-status' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide', id: 'reset-submit' });
  const links = h('p', { class: 'switch' });
  const form = h('form', { class: 'auth-form', 'aria-labelledby': 'reset-title', novalidate: true });
  const busy = async (label, fn) => {
    err.textContent = '';
    submit.disabled = true;
    submit.textContent = t('working');
    try {
      await fn();
    } catch (x) {
      err.textContent = x.code === 'unavailable' ? t('noEmail') : x.code === 'expired' ? t('resetExpired') : x.field === 'token' ? t('resetBadCode') : x.field === 'new_password' ? t('passwordShort') : errorText(x);
    } finally {
      submit.disabled = false;
      submit.textContent = label;
    }
  };
  if (step === 'ask') {
    const login = h('input', { id: 'reset-login', type: 'text', autocomplete: 'username', inputmode: 'email', required: true, spellcheck: 'false', autocapitalize: 'off', value: given });
    submit.textContent = t('sendLink');
    form.append(h('h2', { id: 'reset-title' }, t('forgotTitle')), h('p', { class: 'hint' }, t('forgotHint')),
      h('div', { class: 'field' }, h('label', { for: 'reset-login' }, t('login')), login), status, err, submit, links);
    links.append(h('button', { type: 'button', class: 'link', id: 'reset-have-code', onclick: () => renderReset(root, done, { step: 'set' }) }, t('haveCode')), ' · ',
      h('button', { type: 'button', class: 'link', id: 'reset-back', onclick: back }, t('backToSignIn')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!login.value.trim()) {
        err.textContent = t('loginRequired');
        return login.focus();
      }
      busy(t('sendLink'), async () => {
        await post('/password-resets', { login: login.value.trim() });
        status.textContent = t('linkSent', { l: login.value.trim() });
      });
    });
    card(root, form);
    login.focus();
    return;
  }
  const code = h('input', { id: 'reset-code', type: 'text', autocomplete: 'one-time-code', spellcheck: 'false', autocapitalize: 'off', value: token });
  const pass = h('input', { id: 'reset-password', type: 'password', autocomplete: 'new-password', minlength: '8', required: true, 'aria-describedby': 'reset-pw-hint' });
  submit.textContent = t('setPassword');
  form.append(h('h2', { id: 'reset-title' }, t('newPasswordTitle')),
    h('div', { class: 'field', hidden: !!token }, h('label', { for: 'reset-code' }, t('resetCode')), code),
    h('div', { class: 'field' }, h('label', { for: 'reset-password' }, t('newPassword')), pass, h('p', { class: 'hint', id: 'reset-pw-hint' }, t('passwordHint'))),
    err, submit, links);
  links.append(h('button', { type: 'button', class: 'link', id: 'reset-back', onclick: back }, t('backToSignIn')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (pass.value.length < 8) {
      err.textContent = t('passwordShort');
      return pass.focus();
    }
    busy(t('setPassword'), async () => {
      await post('/password-resets/confirm', { token: code.value.trim(), new_password: pass.value });
      history.replaceState(null, '', '/');
      renderAuth(root, done, { notice: t('resetDone') });
    });
  });
  card(root, form);
  (token ? pass : code).focus();
}
