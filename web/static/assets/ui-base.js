// ui-base.js: the pieces every screen shares: modal dialogs, the toast
// line, a confirm and a one-field form, in-app links and a page's frame.
// Feature modules import this (never app.js or lazy.js, which load them).

import { h, icon } from './dom.js';
import { t, errorText } from './i18n.js';

export const narrow = () => matchMedia('(max-width: 720px)').matches;
const plain = (e) => e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;

// link is an <a> that navigates inside the app on a plain click.
export function link(path, nav, attrs, ...kids) {
  const a = h('a', { href: path, ...attrs }, ...kids);
  a.addEventListener('click', (e) => {
    if (!plain(e)) return;
    e.preventDefault();
    nav(path);
  });
  return a;
}

// page: a page's frame (a back button on phones, unless it is a tab of its
// own); returns its body.
export function page(root, title, nav, opts = {}) {
  const body = h('div', { class: 'page-body' });
  const head = h('h2', { class: 'chat-title', id: 'page-title', tabindex: '-1' }, title);
  const back = opts.tab ? null : h('button', { class: 'icon-btn back', type: 'button', 'aria-label': t('back'), onclick: () => nav(opts.back || '/') }, icon('back'));
  root.append(h('header', { class: 'chat-head' }, back, head), body);
  if (narrow()) head.focus();
  return body;
}

export function dialog(labelText, ...content) {
  const id = 'dlg-' + Math.random().toString(36).slice(2, 8);
  const close = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('close'), onclick: () => d.close() }, icon('close'));
  const d = h('dialog', { class: 'dialog', 'aria-labelledby': id }, h('header', { class: 'dialog-head' }, h('h2', { id }, labelText), close), ...content);
  d.addEventListener('close', () => d.remove());
  d.addEventListener('click', (e) => {
    if (e.target === d) d.close();
  });
  document.body.append(d);
  d.showModal();
  return d;
}

let toastTimer = 0;
export function toast(text) {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', role: 'alert' });
    document.body.append(el);
  }
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

export function confirmDialog(text, okLabel) {
  return new Promise((resolve) => {
    let ok = false;
    const okBtn = h('button', { type: 'button', class: 'btn danger', dataset: { confirm: '1' }, onclick: () => {
      ok = true;
      d.close();
    } }, okLabel);
    const d = dialog(text, h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('cancel')), okBtn));
    d.classList.add('confirm');
    d.addEventListener('close', () => resolve(ok));
    okBtn.focus();
  });
}

// ask shows a one-field form; fn gets the trimmed value and may throw (the
// error is shown and the dialog stays).
export function ask(title, label, value, okLabel, fn) {
  const input = h('input', { id: 'ask-input', type: 'text', value: value || '', maxlength: '64', required: true, autocomplete: 'off' });
  const err = h('p', { class: 'error', role: 'alert' });
  const ok = h('button', { type: 'submit', class: 'btn primary' }, okLabel);
  const form = h('form', { class: 'stack' }, h('label', { for: 'ask-input' }, label), input, err, h('div', { class: 'dialog-actions' }, ok));
  const d = dialog(title, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) return input.focus();
    ok.disabled = true;
    try {
      await fn(v);
      d.close();
    } catch (x) {
      err.textContent = errorText(x);
    } finally {
      ok.disabled = false;
    }
  });
  input.focus();
}
