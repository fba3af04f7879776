// approval-files.js: attachments of approval requests (feature, loaded by
// the request form and the request's page when a form has an attachment
// field): picking photos and files, uploading each with its progress
// (POST /api/v1/files; the server checks the bytes and keeps them only if
// a request carries them in time), and showing a request's files —
// thumbnails for images, which open large, and download links for the
// rest (drawn by media.js, as in chat). Who may read the request may read
// its files.

import { h, clear } from './dom.js';
import { t, errorText } from './i18n.js';
import { csrfToken, ApiError } from './api.js';

// Its strings are in approval-strings.js (loaded with approval-ui.js).

const url = (id, thumb) => '/api/v1/files/' + id + (thumb ? '?thumb=1' : '');

function size(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MB';
  if (n >= 1024) return Math.round(n / 1024) + ' KB';
  return n + ' B';
}

// upload sends one file, calling progress(0..100), and resolves with the
// server's description of it.
function upload(file, progress) {
  const qs = new URLSearchParams({ name: file.name || 'file' });
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/api/v1/files?' + qs);
    x.setRequestHeader('X-CSRF-Token', csrfToken());
    x.upload.onprogress = (e) => e.lengthComputable && progress(Math.round((100 * e.loaded) / e.total));
    x.onload = () => {
      let body = null;
      try {
        body = JSON.parse(x.responseText);
      } catch {
        /* not JSON */
      }
      if (x.status === 201) return resolve(body);
      const e = (body && body.error) || {};
      reject(new ApiError(x.status, e.code, e.message, e.field));
    };
    x.onerror = () => reject(new ApiError(0, 'network'));
    x.send(file);
  });
}

// control is the input of an attachment field: { el, get(), ready() }.
// get() lists the uploaded files' IDs; ready() waits for uploads under way.
export function control(fd, id) {
  const files = []; // uploaded: { id, kind, name, size }
  const busy = new Set();
  const list = h('ul', { class: 'apf-list', id: id + '-list' });
  const status = h('p', { class: 'hint apf-status', role: 'status', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', id, multiple: true, class: 'apf-input', accept: fd.accept || null });
  const pick = h('label', { class: 'btn small apf-pick', for: id }, '+ ' + t('apf_add'));
  const item = (f) => {
    const li = h('li', { class: 'apf-item', dataset: { id: f.id, kind: f.kind } },
      f.kind === 'image' ? h('img', { class: 'apf-thumb', src: url(f.id, true), alt: f.name }) : h('span', { class: 'apf-icon' }, (f.name.split('.').pop() || 'FILE').slice(0, 4).toUpperCase()),
      h('span', { class: 'apf-name' }, f.name), h('span', { class: 'hint' }, size(f.size)),
      h('button', { type: 'button', class: 'icon-btn small', 'aria-label': t('apf_remove', { n: f.name }), onclick: () => {
        files.splice(files.indexOf(f), 1);
        li.remove();
      } }, '×'));
    return li;
  };
  input.addEventListener('change', () => {
    const picked = [...input.files];
    input.value = '';
    for (const file of picked) {
      const name = file.name || 'file';
      const bar = h('progress', { max: '100', value: '0', 'aria-label': t('apf_uploading', { n: name }) });
      const row = h('li', { class: 'apf-item apf-up' }, h('span', { class: 'apf-name' }, t('apf_uploading', { n: name })), bar);
      list.append(row);
      const slot = { id: '', kind: '', name, size: 0 }; // keeps the order picked
      files.push(slot);
      const p = upload(file, (v) => (bar.value = v)).then(
        (f) => {
          Object.assign(slot, { id: f.id, kind: f.kind, name: f.name, size: f.size });
          if (row.isConnected) row.replaceWith(item(slot));
          status.textContent = '';
        },
        (e) => {
          if (files.includes(slot)) files.splice(files.indexOf(slot), 1);
          row.remove();
          status.textContent = t('apf_failed', { n: name, e: errorText(e) });
          status.classList.add('error');
        },
      );
      busy.add(p);
      p.finally(() => busy.delete(p));
    }
  });
  const el = h('div', { class: 'stack apf' }, h('div', { class: 'row' }, pick, input), list, status);
  return { el, get: () => files.filter((f) => f.id).map((f) => f.id), ready: () => Promise.all([...busy]) };
}

// show draws a request's files: images as thumbnails that open large,
// other files as cards that download.
export async function show(el, atts) {
  clear(el);
  if (!atts.length) return el.append(h('span', { class: 'hint' }, t('apf_none')));
  const M = await import('./media.js');
  const imgs = atts.filter((a) => a.kind === 'image');
  const rest = atts.filter((a) => a.kind !== 'image').map((a) => ({ ...a, kind: 'file' }));
  if (imgs.length) {
    const box = h('div', { class: 'apf-images' });
    M.render(box, { attachments: imgs });
    el.append(box);
  }
  for (const a of rest) {
    const box = h('div', { class: 'apf-file' });
    M.render(box, { attachments: [a] });
    el.append(box);
  }
}
