// ui-auth.js: sign in and sign up.

import { h, clear } from './dom.js';
import { t, errorText, languages, lang, setLang } from './i18n.js';
import * as S from './store.js';

export function renderAuth(root, done) {
  let signup = false;
  const err = h('p', { class: 'error', role: 'alert', id: 'auth-error' });
  const name = h('input', { id: 'auth-name', name: 'name', type: 'text', autocomplete: 'name', maxlength: '64' });
  const login = h('input', { id: 'auth-login', name: 'login', type: 'text', autocomplete: 'username', inputmode: 'email', required: true, spellcheck: 'false', autocapitalize: 'off' });
  const pass = h('input', { id: 'auth-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, minlength: '8', 'aria-describedby': 'pw-hint' });
  const nameRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'auth-name' }, t('name')), name);
  const submit = h('button', { type: 'submit', class: 'btn primary wide', id: 'auth-submit' });
  const switchText = h('span');
  const switchBtn = h('button', { type: 'button', class: 'link', id: 'auth-switch' });
  const hint = h('p', { class: 'hint', id: 'pw-hint' });
  const heading = h('h2', { id: 'auth-title' });
  const form = h('form', { class: 'auth-form', 'aria-labelledby': 'auth-title', novalidate: true },
    heading,
    nameRow,
    h('div', { class: 'field' }, h('label', { for: 'auth-login' }, t('login')), login),
    h('div', { class: 'field' }, h('label', { for: 'auth-password' }, t('password')), pass, hint),
    err,
    submit,
    h('p', { class: 'switch' }, switchText, ' ', switchBtn),
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
    if (signup && !name.value.trim()) return fail(name, t('name'));
    if (!login.value.trim()) return fail(login, t('login'));
    if (pass.value.length < 8) return fail(pass, t('passwordHint'));
    submit.disabled = true;
    submit.textContent = t('working');
    try {
      if (signup) await S.signUp(name.value.trim(), login.value.trim(), pass.value);
      else await S.signIn(login.value.trim(), pass.value);
      done();
    } catch (x) {
      const bad = x.field === 'name' ? name : x.field === 'password' ? pass : x.field === 'login' ? login : null;
      if (bad) bad.setAttribute('aria-invalid', 'true');
      submit.disabled = false;
      mode();
      if (signup && x.code === 'conflict') err.textContent = t('loginTaken');
      else if (x.code === 'invalid' && x.field === 'login') err.textContent = t('badLogin');
      else if (x.code === 'invalid' && x.field === 'name') err.textContent = t('badName');
      else if (x.code === 'invalid' && x.field === 'password') err.textContent = t('passwordHint');
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
  clear(root).append(
    h('main', { class: 'auth' },
      h('div', { class: 'auth-card' },
        h('div', { class: 'auth-brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, 'T'), h('h1', null, t('app'))),
        h('p', { class: 'tagline' }, t('tagline')),
        form,
      ),
      h('div', { class: 'auth-lang' }, langSel),
    ),
  );
  login.focus();
}
