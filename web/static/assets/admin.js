// admin.js: the admin area (feature): members, departments, invitations,
// join requests, import and the audit log, one tab at a time, re-rendered
// after each action. Tables become cards on phones.

import { h, clear, css, append } from './dom.js';
import { t, errorText, formatFull, addStrings, codeText, lang } from './i18n.js';
import { api, enc } from './api.js';
import * as S from './store.js';
import * as O from './org.js';
import { ask, confirmDialog, toast, page, narrow, link } from './ui-base.js';
import { profile } from './profile.js';
import { en, zh } from './admin-strings.js';

addStrings({ en, zh });
await css(new URL('./admin.css', import.meta.url));

const TABS = { adm_members: members, departments, adm_invitations: invitations, adm_requests: requests, adm_import: importer, adm_audit: audit, adm_data: (p, x) => import('./export.js').then((m) => m.adminTab(p, x)) };

// table: on phones each row is a card, each cell labelled by its column.
const table = (heads, rows) => h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl' },
  h('thead', null, h('tr', null, heads.map((x) => h('th', { scope: 'col' }, x && t(x))))),
  h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { dataset: { label: heads[i] ? t(heads[i]) : '' } }, c)))))));

const btn = (label, onclick, cls) => h('button', { type: 'button', class: 'btn small ' + (cls || ''), onclick }, label);

function select(label, value, options, onchange) {
  const s = h('select', { 'aria-label': label, class: 'small' }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
  s.addEventListener('change', () => onchange(s.value));
  return s;
}

export function adminPage(root, nav) {
  const body = page(root, O.orgs.cur ? `${t('manage')} · ${O.orgs.cur.name}` : t('manage'), nav, { back: narrow() ? '/workbench' : '/' });
  if (!O.isAdmin()) return body.append(h('p', { class: 'chat-empty' }, t('err_forbidden')));
  // The organisation requires two-step sign-in of its admins, and I have
  // none yet: until then I am a plain member here.
  if (O.orgs.cur.me.needs_2fa) {
    return body.append(h('div', { class: 'chat-empty stack', id: 'adm-needs-2fa' }, h('p', null, t('needs2fa')),
      link('/me/twofactor', nav, { class: 'btn primary' }, t('turnOn2fa'))));
  }
  const panel = h('div', { class: 'admin-panel', role: 'tabpanel', id: 'admin-panel' });
  const err = h('p', { class: 'error', role: 'alert' });
  let cur = 'adm_members';
  const x = {
    nav,
    run: async (fn, msg409) => {
      err.textContent = '';
      try {
        await fn();
        show(cur);
      } catch (e) {
        err.textContent = e.status === 409 && msg409 ? t(msg409) : errorText(e);
      }
    },
  };
  const bar = h('div', { class: 'tabs admin-tabs', role: 'tablist' }, Object.keys(TABS).map((k) => h('button', { type: 'button', role: 'tab', id: 'tab-' + k, 'aria-controls': 'admin-panel', onclick: () => show(k) }, t(k))));
  const show = async (k) => {
    cur = k;
    for (const b of bar.children) b.setAttribute('aria-selected', b.id === 'tab-' + k);
    panel.setAttribute('aria-labelledby', 'tab-' + k);
    const fresh = h('div');
    try {
      await O.depts(true);
      await TABS[k](fresh, x);
    } catch (e) {
      err.textContent = errorText(e);
    }
    if (cur === k) clear(panel).append(fresh);
  };
  body.append(bar, err, panel);
  show(cur);
}

async function members(p, x) {
  const r = await O.call('GET', '/members?status=all&limit=200');
  if (O.role() === 'owner') {
    // Owner only: require two-step sign-in of the admins.
    const box = h('input', { type: 'checkbox', role: 'switch', id: 'adm-require-2fa', checked: !!O.orgs.cur.require_admin_2fa });
    box.addEventListener('change', () => x.run(async () => {
      try {
        const o = await O.call('PATCH', '', { require_admin_2fa: box.checked });
        O.orgs.cur.require_admin_2fa = o.require_admin_2fa;
      } catch (e) {
        box.checked = !box.checked;
        if (e.code === 'conflict') throw Object.assign(new Error(t('err_own2fa')), { code: 'own2fa' });
        throw e;
      }
    }));
    p.append(h('label', { class: 'row adm-2fa', for: 'adm-require-2fa' }, box, h('span', null, t('require2fa'))));
  }
  const me = S.state.me.id;
  const roleEdit = ['owner', 'admin'].includes(O.role());
  p.append(table(['colName', 'departments', 'status', 'role', 'password'], r.members.map((m) => {
    const fixed = m.role === 'owner' || m.user_id === me;
    const base = '/members/' + enc(m.id);
    // Owners and admins have a reset link emailed; they never set it.
    const reset = roleEdit && !fixed && /active|suspended/.test(m.status) && (O.role() === 'owner' || m.role !== 'admin')
      ? btn(t('sendReset'), async () => {
        if (!(await confirmDialog(t('sendResetAsk', { n: m.name }), t('sendReset')))) return;
        try {
          await O.call('POST', base + '/password-reset');
          toast(t('resetSent', { n: m.name }));
        } catch (e) {
          toast(e.code === 'unavailable' ? t('resetNoEmail') : errorText(e));
        }
      })
      : '';
    return [
      h('button', { type: 'button', class: 'link', onclick: () => profile(m.id, x.nav) }, m.name),
      O.deptNames(m),
      fixed || /pending|invited/.test(m.status) ? t('st_' + m.status) : select(t('status') + ' ' + m.name, m.status, ['active', 'suspended', 'left'].map((s) => [s, t('st_' + s)]), (v) => x.run(() => O.call('PUT', base + '/status', { status: v }))),
      fixed || !roleEdit ? t('r_' + m.role) : select(t('role') + ' ' + m.name, m.role, ['member', 'subadmin', 'admin'].map((s) => [s, t('r_' + s)]), (v) => x.run(() => O.call('PUT', base + '/role', { role: v, department_ids: m.department_ids || [] }))),
      reset,
    ];
  })));
}

async function departments(p, x) {
  const { list } = O.orgs.depts;
  const name = h('input', { type: 'text', id: 'dept-name', maxlength: '64', required: true, placeholder: t('deptName'), 'aria-label': t('deptName') });
  const parent = h('select', { id: 'dept-parent', 'aria-label': t('parentDept') }, h('option', { value: '' }, t('topLevel')), list.map((d) => h('option', { value: d.id }, '\u00a0'.repeat(d.depth * 2) + d.name)));
  const form = h('form', { class: 'row wrap' }, name, parent, h('button', { type: 'submit', class: 'btn primary', id: 'dept-create' }, t('create')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (name.value.trim()) x.run(() => O.call('POST', '/departments', { name: name.value.trim(), parent_id: parent.value || undefined }));
  });
  p.append(form, h('ul', { class: 'people depts-admin' }, list.map((d) => {
    const li = h('li', null, h('span', { class: 'grow', title: d.name }, d.name),
      btn(t('rename'), () => ask(t('rename'), t('deptName'), d.name, t('save'), async (v) => {
        await O.call('PATCH', '/departments/' + enc(d.id), { name: v });
        x.run(() => 0);
      })),
      btn(t('delete'), async () => (await confirmDialog(t('deleteDept', { d: d.name }), t('delete'))) && x.run(() => O.call('DELETE', '/departments/' + enc(d.id)), 'deptNotEmpty'), 'danger'));
    li.style.setProperty('--depth', Math.min(d.depth, 6));
    return li;
  })));
}

async function invitations(p, x) {
  const { list, by } = O.orgs.depts;
  const dept = h('select', { id: 'inv-dept', 'aria-label': t('departments') }, h('option', { value: '' }, t('noDept')), list.map((d) => h('option', { value: d.id }, d.name)));
  const r = await O.call('GET', '/invitations');
  p.append(h('div', { class: 'row wrap' }, dept, btn(t('newInvite'), () => x.run(() => O.call('POST', '/invitations', { department_ids: dept.value ? [dept.value] : [] })), 'primary')),
    table(['inviteLink', 'departments', 'uses', 'expires', ''], (r.invitations || []).map((v) => {
      const url = location.origin + (v.url || '/join/' + v.code);
      const field = h('input', { type: 'text', readonly: true, value: url, class: 'inv-url', 'aria-label': t('inviteLink') });
      return [field, (v.department_ids || []).map((id) => by.get(id)?.name).filter(Boolean).join(lang === 'zh' ? '、' : ', '), `${v.uses}/${v.max_uses}`, v.expires_at ? formatFull(new Date(v.expires_at)) : '',
        h('span', { class: 'row' }, btn(t('copy'), async () => {
          try {
            await navigator.clipboard.writeText(url);
          } catch {
            field.select();
            document.execCommand('copy');
          }
          toast(t('copied'));
        }), btn(t('withdraw'), () => x.run(() => O.call('DELETE', '/invitations/' + enc(v.code))), 'danger'))];
    })));
}

async function requests(p, x) {
  const r = await O.call('GET', '/join-requests');
  const ms = r.members || [];
  if (!ms.length) return p.append(h('p', { class: 'hint' }, t('noRequests')));
  p.append(table(['colName', 'departments', ''], ms.map((m) => [m.name, O.deptNames(m), h('span', { class: 'row' },
    btn(t('approve'), () => x.run(() => O.call('POST', `/join-requests/${enc(m.id)}/approve`)), 'primary'),
    btn(t('decline'), () => x.run(() => O.call('POST', `/join-requests/${enc(m.id)}/decline`)), 'danger'))])));
}

// problem turns an import problem into a sentence: a code with its details
// ({code, line, value, ...}); a plain English message only in English.
function problem(e) {
  // A plain message (from a server without codes) is English.
  if (typeof e === 'string') return lang === 'en' ? e : t('imp_other');
  const q = e.params || e.args || {};
  const vars = { line: q.first_row ?? q.row ?? '?', value: q.value ?? q.employee_no ?? q.email ?? q.department ?? q.manager ?? q.column ?? '',
    column: q.column ?? '?', max: q.max ?? '?', shown: q.shown ?? '?', more: q.more ?? '?' };
  return codeText('imp_', e.code, vars);
}

async function importer(p) {
  // The browser's own file button speaks the browser's language; ours
  // speaks the user's.
  const file = h('input', { type: 'file', id: 'imp-file', class: 'sr-only', accept: '.csv,.xlsx,text/csv', 'aria-describedby': 'imp-hint' });
  const chosen = h('span', { class: 'hint', id: 'imp-chosen' }, t('noFile'));
  const bar = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': t('adm_import') });
  const out = h('div', { 'aria-live': 'polite' });
  const go = h('button', { type: 'button', class: 'btn primary', id: 'imp-go', disabled: true, onclick: () => send(false) }, t('importNow'));
  const send = async (dry) => {
    const f = file.files[0];
    if (!f) return;
    go.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    clear(out);
    let res = null;
    try {
      await api('POST', `/orgs/${enc(O.orgs.cur.id)}/imports?format=${/\.xlsx$/i.test(f.name) ? 'xlsx' : 'csv'}${dry ? '&dry_run=1' : ''}`, f, { lines: (l) => {
        if (l.type === 'progress') bar.value = l.total ? l.done / l.total : 0;
        else if (l.type === 'result') res = l.result;
        else if (l.type === 'error') throw Object.assign(new Error(l.error.message), l.error);
      } });
    } catch (e) {
      out.append(h('p', { class: 'error' }, errorText(e)));
    }
    bar.hidden = true;
    if (!res) return;
    const bad = (res.rows || []).filter((r) => r.action === 'error');
    const enc8 = res.encoding && String(res.encoding).toLowerCase().replace(/[^a-z0-9]/g, '');
    append(out, [h('p', { id: 'imp-summary' }, (res.committed ? t('impDone') + ' ' : '') + t('impCheck', { ...res, d: (res.new_departments || []).length })),
      enc8 && h('p', { class: 'hint', id: 'imp-encoding' }, codeText('enc_', enc8)),
      (res.problems || res.errors || []).map((s) => h('p', { class: 'error' }, problem(s)))]);
    if (bad.length) out.append(table(['line', 'colName', 'errors'], bad.map((r) => [String(r.line), r.name || '', (r.problems || r.errors || []).map(problem).join(lang === 'zh' ? '；' : '; ')])));
    go.disabled = !dry || bad.length > 0 || (res.errors || []).length > 0;
    if (res.committed) O.orgs.depts = null;
  };
  file.addEventListener('change', () => {
    chosen.textContent = file.files[0] ? file.files[0].name : t('noFile');
    send(true);
  });
  p.append(h('div', { class: 'stack' }, h('span', { class: 'label' }, t('importFile')), h('div', { class: 'row file-row' }, file, h('label', { for: 'imp-file', class: 'btn' }, t('chooseFile')), chosen),
    h('p', { class: 'hint', id: 'imp-hint' }, t('importHint')), bar, out, h('div', null, go)));
}

// auditDetail: what an entry changed, in words (never an ID or a code).
function auditDetail(a) {
  const d = a.after || a.before || {};
  if (d.name) return d.name;
  if (d.title) return d.title;
  if (d.status) return t('st_' + d.status);
  if (d.role) return t('r_' + d.role);
  return '';
}

async function audit(p) {
  const more = btn(t('more'), () => load());
  const tb = table(['when', 'who', 'action', 'target'], []);
  const body = tb.querySelector('tbody');
  let before = '';
  const who = (id) => h('span', { dataset: { uid: id } }, S.userName(id));
  const off = S.on('users', () => {
    if (!body.isConnected) return off();
    body.querySelectorAll('[data-uid]').forEach((e) => (e.textContent = S.userName(e.dataset.uid)));
  });
  const heads = ['when', 'who', 'action', 'target'].map((k) => t(k));
  const load = async () => {
    const r = await O.call('GET', '/audit?limit=50' + (before ? '&before=' + enc(before) : ''));
    body.append(...(r.entries || []).map((a) => h('tr', { dataset: { code: a.code || a.action } },
      [formatFull(new Date(a.at)), who(a.actor_id), codeText('au_', a.code || a.action), auditDetail(a)].map((c, i) => h('td', { dataset: { label: heads[i] } }, c)))));
    before = r.next_before || '';
    more.hidden = !before;
  };
  await load();
  p.append(tb, more);
}
