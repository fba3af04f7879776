// workbench.js: 工作台, the organisation's office apps (feature): the
// directory, attendance, approvals (with the number waiting for you), leave,
// and for admins their admin pages (each its own feature module).

import { h, icon, css } from './dom.js';
import { call } from './org.js';
import { t, addStrings } from './i18n.js';
import * as O from './org.js';
import { page, link } from './ui-base.js';
import * as S from './store.js';
import './circle-strings.js';

addStrings({
  en: { appsOf: 'Apps of {o}', noApps: 'Join or create an organisation to see its apps.', appDirectory: 'Directory', appAdmin: 'Admin', appAttendance: 'Attendance', appAttendanceAdmin: 'Attendance admin', appApprovals: 'Approvals', appLeave: 'Leave', appApprovalsAdmin: 'Approval admin', appPlatform: 'Open platform', appDing: 'DING', appMoments: 'Moments', appAnnouncements: 'Announcements', wbVerify: 'Invited by email or text message? Verify your login to see the invitation.' },
  zh: { appsOf: '{o}的应用', noApps: '加入或创建组织后，这里会显示组织的应用。', appDirectory: '通讯录', appAdmin: '管理后台', appAttendance: '考勤打卡', appAttendanceAdmin: '考勤管理', appApprovals: '审批', appLeave: '假期', appApprovalsAdmin: '审批管理', appPlatform: '开放平台', appDing: 'DING消息', appMoments: '动态', appAnnouncements: '公告', wbVerify: '收到了邮件或短信邀请？验证你的登录账号后即可看到邀请。' },
});
await css(new URL('./pages.css', import.meta.url));

// APPS: path, label, icon, who sees it, and the module that must be on
// (the organisation's switchboard: a module off has no tile, so its code
// is never loaded).
const owner = () => ['owner', 'admin'].includes(O.role());
const APPS = [
  ['/contacts', 'appDirectory', 'people', () => true],
  ['/admin', 'appAdmin', 'gear', O.isAdmin],
  ['/attendance', 'appAttendance', 'clock', () => true, 'attendance'],
  ['/attendance/admin', 'appAttendanceAdmin', 'clockcog', O.isAdmin, 'attendance'],
  ['/approvals', 'appApprovals', 'stamp', () => true, 'approvals'],
  ['/leave', 'appLeave', 'leaf', () => true, 'approvals'],
  ['/ding', 'appDing', 'bell', () => true, 'ding'],
  ['/approvals/admin', 'appApprovalsAdmin', 'stampcog', owner, 'approvals'],
  ['/platform', 'appPlatform', 'plug', owner],
];

// Moments (动态) live at /workbench/moments: friends' moments need no
// organisation, and the shell's routes stay as they are.
const momentsTile = (nav) => link('/workbench/moments', nav, { class: 'app-tile', id: 'app-moments' }, h('span', { class: 'app-icon' }, icon('ring')), h('span', { class: 'app-name' }, t('appMoments')));

export async function workbench(root, nav) {
  if (location.pathname === '/workbench/moments') return (await import('./moments.js')).momentsPage(root, nav);
  if (location.pathname === '/workbench/announcements') return (await import('./announcements.js')).announcementsPage(root, nav);
  if (location.pathname === '/workbench/reports') return (await import('./reports.js')).reportsPage(root, nav);
  const body = page(root, t('tabWork'), nav, { tab: true });
  if (!O.orgs.cur) {
    const box = h('div', { class: 'chat-empty stack' }, h('p', null, t('noApps')), h('button', { type: 'button', class: 'btn primary', onclick: () => O.createOrgDialog(nav) }, t('createOrg')));
    body.append(h('ul', { class: 'apps' }, h('li', null, momentsTile(nav))), box);
    // Invited by email or phone? The invitations show once the login is
    // verified (account.js); until then, a way there.
    if (S.state.me.verified || S.state.me.verified_at) import('./account.js').then((m) => box.before(m.invites(nav))).catch(() => {});
    else box.append(link('/me/security', nav, { class: 'hint', id: 'wb-verify' }, t('wbVerify')));
    return;
  }
  const mods = (await call('GET', '/modules').catch(() => null))?.modules || {};
  body.append(h('h3', { class: 'list-head' }, t('appsOf', { o: O.orgs.cur.name })),
    h('ul', { class: 'apps' }, APPS.filter((a) => a[3]() && mods[a[4]] !== false).map(([path, label, ic]) => h('li', null, link(path, nav, { class: 'app-tile', id: 'app-' + ic }, h('span', { class: 'app-icon' }, icon(ic)), h('span', { class: 'app-name' }, t(label))))), h('li', null, momentsTile(nav)),
      mods.circle !== false && h('li', null, link('/workbench/announcements', nav, { class: 'app-tile', id: 'app-announcements' }, h('span', { class: 'app-icon' }, icon('bell')), h('span', { class: 'app-name' }, t('appAnnouncements')))),
      mods.circle !== false && h('li', null, link('/workbench/reports', nav, { class: 'app-tile', id: 'app-reports' }, h('span', { class: 'app-icon' }, icon('stamp')), h('span', { class: 'app-name' }, t('appReports'))))));
  // How many approvals wait for me, on the approvals tile.
  call('GET', '/approvals/counts').then((c) => {
    const tile = body.querySelector('#app-stamp');
    if (c.pending && tile) tile.append(h('span', { class: 'badge', id: 'app-badge' }, c.pending > 99 ? '99+' : String(c.pending)));
  }).catch(() => {});
}
