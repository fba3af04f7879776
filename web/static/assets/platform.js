// platform.js: the open platform (feature): a group's custom robots (in
// group info: add one, show its webhook and secret once, reset, remove),
// and for organisation admins the apps with their secrets (shown once),
// event deliveries with replay, and the module switchboard.

import { h, clear, css } from './dom.js';
import { t, errorText, formatFull, addStrings } from './i18n.js';
import { get, post, del, enc } from './api.js';
import * as O from './org.js';
import { dialog, confirmDialog, page, narrow } from './ui-base.js';

addStrings({
  en: {
    pf_robots: 'Group robots', pf_addRobot: 'Add a robot', pf_name: 'Name', pf_signed: 'Require signed requests (recommended)',
    pf_keywords: 'Keywords (comma-separated; each message must contain one)', pf_ips: 'IP allow-list (comma-separated addresses or CIDR)', pf_outgoing: 'Outgoing URL (optional: receives messages that @ the robot)',
    pf_webhook: 'Webhook', pf_secret: 'Secret', pf_once: 'Copy these now: they are shown only once.', pf_copy: 'Copy', pf_copied: 'Copied',
    pf_reset: 'New token', pf_resetQ: 'Make a new token and secret? The old webhook stops working.', pf_remove: 'Remove', pf_removeQ: 'Remove {n}?',
    pf_none: 'No robots yet.', pf_security: 'Signed', pf_create: 'Create', pf_title: 'Open platform', pf_apps: 'Apps', pf_modules: 'Modules',
    pf_newApp: 'Register an app', pf_scopes: 'Scopes', pf_events: 'Events', pf_callback: 'Callback URL', pf_clientID: 'Client ID',
    pf_clientSecret: 'Client secret', pf_callbackSecret: 'Callback secret', pf_rotate: 'New secrets', pf_rotateQ: 'Make new secrets? Its tokens stop working.',
    pf_deliveries: 'Deliveries', pf_replay: 'Replay', pf_test: 'Send a test event', pf_state: 'State', pf_attempts: 'Attempts', pf_last: 'Last answer',
    pf_event: 'Event', pf_created: 'Created', pf_noApps: 'No apps yet.', pf_noDeliveries: 'No deliveries.', pf_save: 'Save', pf_saved: 'Saved',
    pf_all: 'All', st_pending: 'Retrying', st_delivered: 'Delivered', st_dead: 'Failed',
    mod_attendance: 'Attendance', mod_approvals: 'Approvals and leave', mod_ding: 'DING', mod_secret_chat: 'Secret chat',
    mod_external_contacts: 'External contacts', mod_robots: 'Robots', mod_apps: 'Apps', mod_circle: 'Circles',
    pf_modHint: 'A module that is off is hidden in every client and refused by the API.',
  },
  zh: {
    pf_robots: '群机器人', pf_addRobot: '添加机器人', pf_name: '名字', pf_signed: '加签（推荐）',
    pf_keywords: '自定义关键词（逗号分隔，消息须含其一）', pf_ips: 'IP 地址（段）（逗号分隔）', pf_outgoing: 'Outgoing 地址（可选：接收 @ 机器人的消息）',
    pf_webhook: 'Webhook', pf_secret: '密钥', pf_once: '请立即复制：只显示这一次。', pf_copy: '复制', pf_copied: '已复制',
    pf_reset: '重置令牌', pf_resetQ: '生成新的令牌和密钥？旧的 Webhook 将立即失效。', pf_remove: '移除', pf_removeQ: '移除{n}？',
    pf_none: '还没有机器人。', pf_security: '加签', pf_create: '创建', pf_title: '开放平台', pf_apps: '应用', pf_modules: '功能开关',
    pf_newApp: '注册应用', pf_scopes: '权限', pf_events: '事件订阅', pf_callback: '回调地址', pf_clientID: 'Client ID',
    pf_clientSecret: 'Client Secret', pf_callbackSecret: '回调签名密钥', pf_rotate: '重置密钥', pf_rotateQ: '生成新的密钥？该应用的令牌将失效。',
    pf_deliveries: '推送记录', pf_replay: '重新推送', pf_test: '发送测试事件', pf_state: '状态', pf_attempts: '次数', pf_last: '最后结果',
    pf_event: '事件', pf_created: '时间', pf_noApps: '还没有应用。', pf_noDeliveries: '没有推送记录。', pf_save: '保存', pf_saved: '已保存',
    pf_all: '全部', st_pending: '重试中', st_delivered: '已送达', st_dead: '失败',
    mod_attendance: '考勤', mod_approvals: '审批与假期', mod_ding: 'DING', mod_secret_chat: '密聊',
    mod_external_contacts: '外部联系人', mod_robots: '机器人', mod_apps: '应用', mod_circle: '圈子',
    pf_modHint: '关闭的功能在所有客户端隐藏，接口也会拒绝。',
  },
});
await css(new URL('./admin.css', import.meta.url));

const SCOPES = ['chat:write', 'directory:read', 'attendance:read', 'approval:read', 'approval:write'];
const EVENTS = ['message', 'approval', 'membership', 'directory', 'attendance'];
const MODULES = ['attendance', 'approvals', 'ding', 'secret_chat', 'external_contacts', 'robots', 'apps', 'circle'];
const btn = (label, onclick, cls) => h('button', { type: 'button', class: 'btn small ' + (cls || ''), onclick }, label);
const split = (s) => s.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

// secretBox shows values once, each with a copy button.
function secretBox(rows) {
  return h('div', { class: 'stack secret-box', id: 'secret-box' }, h('p', { class: 'hint' }, t('pf_once')), rows.map(([label, value, id]) => {
    const input = h('input', { type: 'text', readonly: true, value, id, class: 'inv-url', 'aria-label': label });
    const copy = btn(t('pf_copy'), async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(value);
        copy.textContent = t('pf_copied');
      } catch {
        document.execCommand('copy');
      }
    });
    return h('div', null, h('label', { for: id, class: 'label' }, label), h('div', { class: 'row' }, input, copy));
  }));
}

function field(id, label, attrs) {
  const input = h('input', { id, type: 'text', autocomplete: 'off', ...attrs });
  return [h('label', { for: id }, label), input];
}

// robotsDialog: a group's robots; admins add, reset and remove them.
export function robotsDialog(convID, admin) {
  const base = '/conversations/' + enc(convID) + '/robots';
  const list = h('ul', { class: 'people robots' });
  const shown = h('div');
  const err = h('p', { class: 'error', role: 'alert' });
  const run = async (fn) => {
    err.textContent = '';
    try {
      await fn();
      await load();
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  const reveal = (c) => clear(shown).append(secretBox([[t('pf_webhook'), location.origin + c.webhook, 'robot-webhook'], c.secret && [t('pf_secret'), c.secret, 'robot-secret']].filter(Boolean)));
  const load = async () => {
    const r = await get(base);
    clear(list).append(...(r.robots.length ? r.robots.map((x) => h('li', null, h('span', { class: 'bot-badge' }, t('robot')), h('span', { class: 'grow' }, x.name),
      admin && btn(t('pf_reset'), () => run(async () => (await confirmDialog(t('pf_resetQ'), t('pf_reset'))) && reveal(await post(base + '/' + enc(x.id) + '/reset')))),
      admin && btn(t('pf_remove'), () => run(async () => (await confirmDialog(t('pf_removeQ', { n: x.name }), t('pf_remove'))) && del(base + '/' + enc(x.id))), 'danger'))) : [h('li', { class: 'hint' }, t('pf_none'))]));
  };
  const body = h('div', { class: 'stack' }, list, shown, err);
  if (admin) {
    const [nl, name] = field('robot-name', t('pf_name'), { maxlength: '30', required: true });
    const signed = h('input', { type: 'checkbox', id: 'robot-signed', checked: true });
    const [kl, kw] = field('robot-keywords', t('pf_keywords'));
    const [il, ips] = field('robot-ips', t('pf_ips'));
    const [ol, out] = field('robot-outgoing', t('pf_outgoing'), { inputmode: 'url', placeholder: 'https://' });
    const form = h('form', { class: 'stack' }, h('h3', null, t('pf_addRobot')), nl, name, h('label', { class: 'check', for: 'robot-signed' }, signed, h('span', null, t('pf_signed'))), kl, kw, il, ips, ol, out,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn primary', id: 'robot-create' }, t('pf_create'))));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run(async () => {
        reveal(await post(base, { name: name.value.trim(), signed: signed.checked, keywords: split(kw.value), ip_allow: split(ips.value), outgoing_url: out.value.trim() }));
        form.reset();
        signed.checked = true;
      });
    });
    body.append(form);
  }
  dialog(t('pf_robots'), body).classList.add('info-dialog');
  run(() => {});
}

// platformPage: apps and the switchboard (organisation owner and admins).
export function platformPage(root, nav) {
  const body = page(root, O.orgs.cur ? `${t('pf_title')} · ${O.orgs.cur.name}` : t('pf_title'), nav, { back: narrow() ? '/workbench' : '/' });
  if (!['owner', 'admin'].includes(O.role())) return body.append(h('p', { class: 'chat-empty' }, t('err_forbidden')));
  const panel = h('div', { class: 'admin-panel', role: 'tabpanel', id: 'pf-panel' });
  const err = h('p', { class: 'error', role: 'alert' });
  const tabs = { pf_apps: apps, pf_modules: modules };
  let cur = 'pf_apps';
  const x = {
    run: async (fn, stay) => {
      err.textContent = '';
      try {
        await fn();
        if (!stay) show(cur);
      } catch (e) {
        err.textContent = errorText(e);
      }
    },
  };
  const bar = h('div', { class: 'tabs admin-tabs', role: 'tablist' }, Object.keys(tabs).map((k) => h('button', { type: 'button', role: 'tab', id: 'tab-' + k, 'aria-controls': 'pf-panel', onclick: () => show(k) }, t(k))));
  const show = async (k) => {
    cur = k;
    for (const b of bar.children) b.setAttribute('aria-selected', b.id === 'tab-' + k);
    const fresh = h('div');
    try {
      await tabs[k](fresh, x);
    } catch (e) {
      err.textContent = errorText(e);
    }
    if (cur === k) clear(panel).append(fresh);
  };
  body.append(bar, err, panel);
  show(cur);
}

const checks = (name, all, on) => h('div', { class: 'row wrap' }, all.map((v) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: v, checked: on.includes(v) }), h('span', null, v))));
const checked = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

async function apps(p, x) {
  const r = await O.call('GET', '/apps');
  const shown = h('div');
  const [nl, name] = field('app-name', t('pf_name'), { maxlength: '50', required: true });
  const [cl, cb] = field('app-callback', t('pf_callback'), { inputmode: 'url', placeholder: 'https://' });
  const form = h('form', { class: 'stack' }, h('h3', null, t('pf_newApp')), nl, name, h('span', { class: 'label' }, t('pf_scopes')), checks('scope', SCOPES, []),
    cl, cb, h('span', { class: 'label' }, t('pf_events')), checks('event', EVENTS, []), h('div', null, h('button', { type: 'submit', class: 'btn primary', id: 'app-create' }, t('pf_create'))));
  const reveal = (c) => clear(shown).append(h('h3', null, c.name), secretBox([[t('pf_clientID'), c.client_id, 'app-client-id'], [t('pf_clientSecret'), c.client_secret, 'app-client-secret'], [t('pf_callbackSecret'), c.callback_secret, 'app-callback-secret']]));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    x.run(async () => {
      x.creds = await O.call('POST', '/apps', { name: name.value.trim(), scopes: checked(form, 'scope'), events: checked(form, 'event'), callback_url: cb.value.trim() });
    });
  });
  if (x.creds) reveal(x.creds);
  x.creds = null;
  const logs = h('div');
  const rows = r.apps.map((a) => [h('strong', null, a.name), h('code', null, a.client_id), a.scopes.join(' '), a.events.join(' '), a.callback_url || '—',
    h('div', { class: 'row wrap' }, btn(t('pf_deliveries'), () => deliveries(logs, a, x)),
      btn(t('pf_rotate'), () => x.run(async () => (await confirmDialog(t('pf_rotateQ'), t('pf_rotate'))) && (x.creds = await O.call('POST', '/apps/' + enc(a.id) + '/rotate')))),
      btn(t('pf_remove'), () => x.run(async () => (await confirmDialog(t('pf_removeQ', { n: a.name }), t('pf_remove'))) && O.call('DELETE', '/apps/' + enc(a.id))), 'danger'))]);
  p.append(shown, r.apps.length ? table(['pf_name', 'pf_clientID', 'pf_scopes', 'pf_events', 'pf_callback', ''], rows) : h('p', { class: 'hint' }, t('pf_noApps')), logs, form);
}

const table = (heads, rows) => h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl' },
  h('thead', null, h('tr', null, heads.map((k) => h('th', { scope: 'col' }, k && t(k))))),
  h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { dataset: { label: heads[i] ? t(heads[i]) : '' } }, c)))))));

async function deliveries(box, a, x, state = '') {
  const path = '/apps/' + enc(a.id);
  const r = await O.call('GET', path + '/deliveries?state=' + state);
  const pick = h('select', { class: 'small', 'aria-label': t('pf_state') }, ['', 'pending', 'delivered', 'dead'].map((s) => h('option', { value: s, selected: s === state }, s ? t('st_' + s) : t('pf_all'))));
  pick.addEventListener('change', () => deliveries(box, a, x, pick.value));
  const again = () => deliveries(box, a, x, state);
  clear(box).append(h('h3', null, t('pf_deliveries') + ' · ' + a.name), h('div', { class: 'row wrap' }, pick, a.callback_url && btn(t('pf_test'), () => x.run(async () => (await O.call('POST', path + '/test'), again()), true))),
    r.deliveries.length ? table(['pf_event', 'pf_state', 'pf_attempts', 'pf_last', 'pf_created', ''], r.deliveries.map((d) => [d.event, t('st_' + d.state), String(d.attempts),
      d.last_error || (d.last_status ? String(d.last_status) : '—'), formatFull(new Date(d.created_at)),
      d.state !== 'pending' ? btn(t('pf_replay'), () => x.run(async () => (await O.call('POST', path + '/deliveries/' + enc(d.id) + '/replay'), again()), true)) : ''])) : h('p', { class: 'hint' }, t('pf_noDeliveries')));
}

async function modules(p, x) {
  const r = await O.call('GET', '/modules');
  const form = h('form', { class: 'stack', id: 'modules-form' }, h('p', { class: 'hint' }, t('pf_modHint')),
    MODULES.map((m) => h('label', { class: 'check', for: 'mod-' + m }, h('input', { type: 'checkbox', id: 'mod-' + m, name: 'mod', value: m, checked: r.modules[m] }), h('span', null, t('mod_' + m)))),
    h('div', null, h('button', { type: 'submit', class: 'btn primary', id: 'modules-save' }, t('pf_save'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const on = checked(form, 'mod');
    x.run(async () => {
      await O.call('PUT', '/modules', { modules: Object.fromEntries(MODULES.map((m) => [m, on.includes(m)])) });
      O.orgs.modules = null;
    });
  });
  p.append(form);
}
