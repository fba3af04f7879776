// export.js: your data and the organisation's (feature): 我 › 我的数据
// downloads a ZIP of your own data and lists your exports; the admin
// area's 数据与保留 tab exports the directory and attendance, sets how long
// the organisation's groups keep messages and places groups under legal
// hold; a group's info says which of those applies to it.

import { h, clear, css } from './dom.js';
import { t, addStrings, errorText, formatFull } from './i18n.js';
import { api, ApiError, csrfToken, enc } from './api.js';
import * as S from './store.js';
import * as O from './org.js';
import { confirmDialog, toast } from './ui-base.js';

addStrings({
  en: {
    dxIntro: 'Download a copy of your data: your profile, the messages you sent, the files you uploaded, your attendance and your approvals, as a ZIP of JSON files. Secret chats are never included.',
    dxDownload: 'Download my data',
    dxBusy: 'Preparing your export…',
    dxDone: 'Your export is downloaded.',
    dxHistory: 'Exports so far',
    dxNone: 'No exports yet.',
    dxKind_mine: 'Your own data',
    dxKind_org: 'Organisation',
    dxOrgTitle: 'Export the organisation',
    dxOrgHint: 'The directory (departments and members) and everyone’s attendance records of the chosen days (at most 62). Each member sees that their records were viewed; the export is in the audit log.',
    dxFrom: 'From', dxTo: 'To',
    dxOrgDownload: 'Download the export',
    rtTitle: 'Message retention',
    rtHint: 'Messages and files in the organisation’s groups older than this are removed for good, with their search entries. Groups under legal hold keep everything.',
    rtDays: 'Keep messages for (days, 0 = forever)',
    rtSave: 'Save',
    rtSaved: 'Retention saved.',
    rtForever: 'Messages are kept forever.',
    rtKeep: 'Messages older than {n} days are removed.',
    rtConfirm: 'Messages older than {n} days in the organisation’s groups will be removed for good. Continue?',
    lhTitle: 'Legal holds',
    lhNone: 'No group is under legal hold.',
    lhGroup: 'Group', lhReason: 'Reason (optional)',
    lhAdd: 'Place under legal hold',
    lhLift: 'Lift',
    lhSince: 'since {d}',
    ciRetention: 'Messages here are removed after {n} days.',
    ciHold: 'Under legal hold: nothing here is removed.',
  },
  zh: {
    dxIntro: '下载你的数据副本：个人资料、你发送的消息、你上传的文件、你的考勤和审批，打包为 JSON 文件组成的 ZIP。不包含密聊内容。',
    dxDownload: '下载我的数据',
    dxBusy: '正在准备导出…',
    dxDone: '导出文件已下载。',
    dxHistory: '导出记录',
    dxNone: '还没有导出过。',
    dxKind_mine: '个人数据',
    dxKind_org: '组织',
    dxOrgTitle: '导出组织数据',
    dxOrgHint: '通讯录（部门和成员）以及所选日期内所有人的考勤记录（最多 62 天）。成员会看到自己的记录被查看；导出会记入操作日志。',
    dxFrom: '开始日期', dxTo: '结束日期',
    dxOrgDownload: '下载导出文件',
    rtTitle: '消息保留期限',
    rtHint: '组织群中超过期限的消息和文件将被永久删除，搜索中也不再出现。处于法律保留的群不受影响。',
    rtDays: '消息保留天数（0 表示永久保留）',
    rtSave: '保存',
    rtSaved: '保留期限已保存。',
    rtForever: '消息永久保留。',
    rtKeep: '超过 {n} 天的消息将被删除。',
    rtConfirm: '组织群中超过 {n} 天的消息将被永久删除，是否继续？',
    lhTitle: '法律保留',
    lhNone: '没有群处于法律保留。',
    lhGroup: '群', lhReason: '原因（可选）',
    lhAdd: '设为法律保留',
    lhLift: '解除',
    lhSince: '自 {d} 起',
    ciRetention: '本群消息保留 {n} 天，之后自动删除。',
    ciHold: '本群处于法律保留，消息不会被删除。',
  },
});

await css(new URL('./export.css', import.meta.url));

// download posts to path and saves the ZIP it answers with.
async function download(path, name) {
  const res = await fetch('/api/v1' + path, { method: 'POST', headers: { 'X-CSRF-Token': csrfToken() }, credentials: 'same-origin', cache: 'no-store' })
    .catch((e) => { throw new ApiError(0, 'network', e.message); });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    const e = body.error || {};
    throw new ApiError(res.status, e.code, e.message, e.field);
  }
  const disp = res.headers.get('Content-Disposition') || '';
  const m = /filename\*=UTF-8''([^;]+)/.exec(disp);
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: m ? decodeURIComponent(m[1]) : name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function history(list) {
  if (!list.length) return h('p', { class: 'hint', id: 'dx-none' }, t('dxNone'));
  return h('ul', { class: 'dx-list', id: 'dx-list' }, list.map((x) => h('li', null,
    h('span', { class: 'grow' }, t('dxKind_' + x.kind)), h('span', { class: 'hint' }, formatFull(new Date(x.at))))));
}

// dataPage fills 我 › 我的数据.
export function dataPage(body) {
  const err = h('p', { class: 'error', role: 'alert' });
  const status = h('p', { class: 'hint', role: 'status', id: 'dx-status' });
  const past = h('div');
  const refresh = () => api('GET', '/me/exports').then((r) => clear(past).append(history(r.exports || [])), (e) => { err.textContent = errorText(e); });
  const btn = h('button', { type: 'button', class: 'btn primary wide', id: 'dx-download', onclick: async () => {
    err.textContent = '';
    btn.disabled = true;
    status.textContent = t('dxBusy');
    try {
      await download('/me/export', 'tack-export.zip');
      status.textContent = t('dxDone');
    } catch (e) {
      status.textContent = '';
      err.textContent = errorText(e);
    }
    btn.disabled = false;
    refresh();
  } }, t('dxDownload'));
  body.append(h('div', { class: 'stack dx' }, h('p', null, t('dxIntro')), btn, status, err, h('h3', null, t('dxHistory')), past));
  refresh();
}

const day = (d) => d.toISOString().slice(0, 10);

// adminTab fills the admin area's 数据与保留 tab; x is the admin page's
// runner (x.run shows errors and re-renders the tab).
export async function adminTab(p, x) {
  const [pol, holds, groups] = await Promise.all([O.call('GET', '/retention'), O.call('GET', '/legal-holds'), O.call('GET', '/groups')]);
  // Export.
  const now = new Date();
  const from = h('input', { type: 'date', id: 'dx-from', value: day(new Date(now - 30 * 864e5)) });
  const to = h('input', { type: 'date', id: 'dx-to', value: day(now) });
  const go = h('button', { type: 'button', class: 'btn primary', id: 'dx-org-download', onclick: () => x.run(async () => {
    go.disabled = true;
    try {
      await download('/orgs/' + enc(O.orgs.cur.id) + '/export?from=' + enc(from.value) + '&to=' + enc(to.value), 'tack-org-export.zip');
      toast(t('dxDone'));
    } finally {
      go.disabled = false;
    }
  }) }, t('dxOrgDownload'));
  p.append(h('section', { class: 'stack dx-org' }, h('h3', null, t('dxOrgTitle')), h('p', { class: 'hint' }, t('dxOrgHint')),
    h('div', { class: 'row wrap' }, h('label', { class: 'field' }, t('dxFrom'), from), h('label', { class: 'field' }, t('dxTo'), to)), go));
  // Retention.
  const days = h('input', { type: 'number', id: 'rt-days', min: '0', max: '36500', step: '1', value: String(pol.days || 0), inputmode: 'numeric' });
  const now0 = h('p', { class: 'hint', id: 'rt-now' }, pol.days ? t('rtKeep', { n: pol.days }) : t('rtForever'));
  const save = h('form', { class: 'row wrap', id: 'rt-form' }, h('label', { class: 'field grow', for: 'rt-days' }, t('rtDays'), days), h('button', { type: 'submit', class: 'btn' }, t('rtSave')));
  save.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = Number(days.value);
    x.run(async () => {
      if (n > 0 && n !== pol.days && !(await confirmDialog(t('rtConfirm', { n }), t('rtSave')))) return;
      await O.call('PUT', '/retention', { days: Number.isInteger(n) ? n : days.value });
      toast(t('rtSaved'));
    });
  });
  p.append(h('section', { class: 'stack rt' }, h('h3', null, t('rtTitle')), h('p', { class: 'hint' }, t('rtHint')), now0, save));
  // Legal holds.
  const deptName = (await O.depts()).by;
  const title = (id, dept) => (S.state.convs.get(id) || {}).title || (deptName.get(dept) || {}).name || id;
  const held = new Set((holds.holds || []).map((x) => x.conversation_id));
  const list = (holds.holds || []).length
    ? h('ul', { class: 'dx-list', id: 'lh-list' }, holds.holds.map((o) => h('li', null,
      h('span', { class: 'grow' }, h('strong', null, o.title || title(o.conversation_id)), ' ', h('span', { class: 'hint' }, [o.reason, t('lhSince', { d: formatFull(new Date(o.created_at)) })].filter(Boolean).join(' · '))),
      h('button', { type: 'button', class: 'btn small', onclick: () => x.run(() => O.call('DELETE', '/legal-holds/' + enc(o.conversation_id))) }, t('lhLift')))))
    : h('p', { class: 'hint', id: 'lh-none' }, t('lhNone'));
  const free = (groups.groups || []).filter((g) => !held.has(g.conversation_id));
  const sec = h('section', { class: 'stack lh' }, h('h3', null, t('lhTitle')), list);
  if (free.length) {
    const pick = h('select', { id: 'lh-group', 'aria-label': t('lhGroup') }, free.map((g) => h('option', { value: g.conversation_id }, title(g.conversation_id, g.department_id))));
    const reason = h('input', { type: 'text', id: 'lh-reason', maxlength: '500', placeholder: t('lhReason'), 'aria-label': t('lhReason') });
    const add = h('form', { class: 'row wrap', id: 'lh-form' }, pick, reason, h('button', { type: 'submit', class: 'btn' }, t('lhAdd')));
    add.addEventListener('submit', (e) => {
      e.preventDefault();
      x.run(() => O.call('PUT', '/legal-holds/' + enc(pick.value), { reason: reason.value }));
    });
    sec.append(add);
  }
  p.append(sec);
}

// chatInfo is a line for a group's info: its retention or legal hold (null
// when neither applies).
export async function chatInfo(convID) {
  const r = await api('GET', '/conversations/' + enc(convID) + '/retention');
  if (!r.legal_hold && !r.days) return null;
  return h('p', { class: 'hint ci-retention', id: 'ci-retention' }, r.legal_hold ? t('ciHold') : t('ciRetention', { n: r.days }));
}
