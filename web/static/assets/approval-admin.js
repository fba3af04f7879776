// approval-admin.js: 审批管理 (feature, admins): the organisation's
// templates, and an editor of one: its name, whether it is on, its form
// (fields of every type; the fixed fields of a built-in stay), and its flow
// as a tree (approver and CC nodes naming people, managers, roles or the
// originator's pick, in a mode; condition branches with priorities, each a
// flow of its own). Saving makes a new version; a request keeps its own.

import { h, clear } from './dom.js';
import { t, addStrings } from './i18n.js';
import * as O from './org.js';
import * as S from './store.js';
import { page, toast } from './ui-base.js';
import { ap, apError, pickPeople, chips } from './approval-ui.js';

addStrings({
  en: { adm_templates: 'Templates', adm_new: 'New template', adm_key: 'Key (a-z, 0-9, _)', adm_name: 'Name', adm_desc: 'Description', adm_on: 'In use', adm_dedup: 'Someone who approved the step before is not asked again', adm_nobody: 'When a step finds nobody', nobody_admin: 'Hand it to the approval admins', nobody_auto_approve: 'Let it pass', adm_fields: 'Form', adm_flow: 'Flow', adm_addField: 'Add a field', adm_label: 'Label', adm_required: 'Required', adm_options: 'Options, comma-separated', adm_columns: 'Columns (key:type:label, one per line)', adm_save: 'Save', adm_saved: 'Saved: version {v}', adm_remove: 'Remove', adm_up: 'Move up', adm_down: 'Move down', adm_fixed: 'built in',
    ft_text: 'Text', ft_number: 'Number', ft_money: 'Money', ft_date: 'Date', ft_daterange: 'Date range', ft_select: 'Single choice', ft_multiselect: 'Multiple choice', ft_person: 'Person', ft_department: 'Department', ft_attachment: 'Attachment', ft_table: 'Table',
    node_approver: 'Approvers', node_cc: 'CC', node_branch: 'Condition branches', adm_add: 'Add: {n}', who_person: 'These people', who_manager: 'The originator’s manager, level', who_managers: 'The originator’s managers up to level', who_role: 'A role', who_chosen: 'Chosen by the originator', who_originator: 'The originator', who_department_head: 'Head of the originator’s department', role_admin: 'Admins', role_owner: 'The owner', adm_people: 'Choose people', adm_branch: 'Branch', adm_addBranch: 'Add a branch', adm_priority: 'Priority', adm_addCond: 'Add a condition', adm_noCond: 'No condition: the default branch', adm_value: 'Value (in: comma-separated)', f_amount: 'Amount (days, hours, total)', f_dept: 'Originator’s department (IDs)', f_role: 'Originator’s role', adm_noAdmin: 'Only the organisation’s admins change templates.' },
  zh: { adm_templates: '审批模板', adm_new: '新建模板', adm_key: '标识（a-z、0-9、_）', adm_name: '名称', adm_desc: '说明', adm_on: '启用', adm_dedup: '审批人与上一步相同时自动通过', adm_nobody: '找不到审批人时', nobody_admin: '转交审批管理员', nobody_auto_approve: '自动通过', adm_fields: '表单', adm_flow: '流程', adm_addField: '添加字段', adm_label: '标签', adm_required: '必填', adm_options: '选项，用逗号分隔', adm_columns: '列（标识:类型:标签，每行一列）', adm_save: '保存', adm_saved: '已保存：第 {v} 版', adm_remove: '删除', adm_up: '上移', adm_down: '下移', adm_fixed: '内置',
    ft_text: '文本', ft_number: '数字', ft_money: '金额', ft_date: '日期', ft_daterange: '日期区间', ft_select: '单选', ft_multiselect: '多选', ft_person: '人员', ft_department: '部门', ft_attachment: '附件', ft_table: '明细表',
    node_approver: '审批人', node_cc: '抄送人', node_branch: '条件分支', adm_add: '添加{n}', who_person: '指定成员', who_manager: '发起人的第几级主管', who_managers: '发起人的连续多级主管，直到', who_role: '角色', who_chosen: '发起人自选', who_originator: '发起人本人', who_department_head: '发起人的部门负责人', role_admin: '管理员', role_owner: '所有者', adm_people: '选择成员', adm_branch: '分支', adm_addBranch: '添加分支', adm_priority: '优先级', adm_addCond: '添加条件', adm_noCond: '无条件：其他情况', adm_value: '值（in：用逗号分隔）', f_amount: '数量（天数、小时、合计）', f_dept: '发起人部门（ID）', f_role: '发起人角色', adm_noAdmin: '只有组织管理员可以修改模板。' },
});

const TYPES = ['text', 'number', 'money', 'date', 'daterange', 'select', 'multiselect', 'person', 'department', 'attachment', 'table'];
const WHO = ['manager', 'managers', 'person', 'role', 'chosen', 'originator', 'department_head'];
const OPS = ['>=', '>', '<=', '<', '==', '!=', 'in', 'not_in', 'contains'];

const sel = (id, opts, value, onchange, attrs) => {
  const s = h('select', { id, ...attrs }, opts.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  s.addEventListener('change', () => onchange(s.value));
  return s;
};
const inp = (attrs, value, oninput) => {
  const i = h('input', { type: 'text', ...attrs, value: value == null ? '' : String(value) });
  i.addEventListener('input', () => oninput(i.value));
  return i;
};
const box = (label, checked, onchange, id) => {
  const c = h('input', { type: 'checkbox', checked, id });
  c.addEventListener('change', () => onchange(c.checked));
  return h('label', { class: 'row ap-check' }, c, label);
};
const small = (label, fn, attrs) => h('button', { type: 'button', class: 'btn small', onclick: fn, ...attrs }, label);
const move = (list, i, d, redraw) => {
  const j = i + d;
  if (j < 0 || j >= list.length) return;
  [list[i], list[j]] = [list[j], list[i]];
  redraw();
};

export async function approvalsAdmin(root, nav) {
  const body = page(root, t('appApprovalsAdmin'), nav, { back: '/approvals' });
  if (!O.orgs.cur || !['owner', 'admin'].includes(O.role())) return body.append(h('p', { class: 'chat-empty' }, t('adm_noAdmin')));
  if (O.orgs.cur.me.needs_2fa) return import('./admin2fa.js').then((m) => body.append(m.banner(nav)));
  const listEl = h('ul', { class: 'apps ap-kinds', id: 'adm-list' });
  const area = h('div', { class: 'adm-area' });
  body.append(h('h3', { class: 'list-head' }, t('adm_templates')), listEl, small(t('adm_new'), () => edit({ key: '', name: '', enabled: true, dedup: true, nobody: 'admin', fields: [{ key: 'title', type: 'text', label: t('adm_name'), required: true }], flow: [{ type: 'approver', who: { type: 'manager', level: 1 }, mode: 'any' }] }, true), { id: 'adm-new' }), area);
  const load = async () => {
    try {
      const list = (await ap('GET', '/templates')).templates;
      clear(listEl).append(...list.map((x) => h('li', null, h('button', { type: 'button', class: 'app-tile' + (x.enabled ? '' : ' off'), dataset: { key: x.key }, onclick: () => edit(structuredClone(x)) },
        h('span', { class: 'app-icon' }, x.name.slice(0, 1)), h('span', { class: 'app-name' }, x.name)))));
    } catch (e) {
      clear(listEl).append(h('li', { class: 'error' }, apError(e)));
    }
  };
  function edit(tpl, fresh) {
    const err = h('p', { class: 'error', role: 'alert' });
    const fieldsEl = h('ol', { class: 'adm-fields', id: 'adm-fields' });
    const flowEl = h('div', { class: 'adm-flow', id: 'adm-flow' });
    const drawFields = () => clear(fieldsEl).append(...tpl.fields.map((f, i) => fieldRow(tpl.fields, f, i, drawFields)));
    const drawFlow = () => clear(flowEl).append(nodes(tpl.flow, tpl.fields, drawFlow, 'n'));
    const save = h('button', { type: 'button', class: 'btn primary', id: 'adm-save', onclick: async () => {
      err.textContent = '';
      save.disabled = true;
      try {
        const q = fresh ? '' : '?version=' + tpl.version;
        const out = await ap('PUT', '/templates/' + encodeURIComponent(tpl.key) + q, { name: tpl.name, description: tpl.description, enabled: tpl.enabled, dedup: tpl.dedup,
          nobody: tpl.nobody, admin_ids: tpl.admin_ids, comp_time: tpl.comp_time, fields: tpl.fields, flow: tpl.flow });
        toast(t('adm_saved', { v: out.version }));
        load();
        edit(out);
      } catch (e) {
        err.textContent = apError(e) + (e.field ? ` (${e.field})` : '');
      } finally {
        save.disabled = false;
      }
    } }, t('adm_save'));
    clear(area).append(h('form', { class: 'stack att-form adm-form', id: 'adm-form', onsubmit: (e) => e.preventDefault() },
      fresh ? h('label', { class: 'att-field' }, t('adm_key'), inp({ id: 'adm-key', maxlength: 32 }, tpl.key, (v) => (tpl.key = v.trim()))) : h('p', { class: 'hint' }, `${tpl.key} · v${tpl.version}${tpl.builtin ? ' · ' + t('adm_fixed') : ''}`),
      h('label', { class: 'att-field' }, t('adm_name'), inp({ id: 'adm-name', maxlength: 64 }, tpl.name, (v) => (tpl.name = v))),
      h('label', { class: 'att-field' }, t('adm_desc'), inp({ id: 'adm-desc', maxlength: 500 }, tpl.description, (v) => (tpl.description = v))),
      box(t('adm_on'), tpl.enabled, (v) => (tpl.enabled = v), 'adm-on'),
      box(t('adm_dedup'), tpl.dedup, (v) => (tpl.dedup = v), 'adm-dedup'),
      h('label', { class: 'att-field' }, t('adm_nobody'), sel('adm-nobody', [['admin', t('nobody_admin')], ['auto_approve', t('nobody_auto_approve')]], tpl.nobody, (v) => (tpl.nobody = v))),
      h('h3', null, t('adm_fields')), fieldsEl, small(t('adm_addField'), () => {
        tpl.fields.push({ key: 'field' + (tpl.fields.length + 1), type: 'text', label: t('ft_text') });
        drawFields();
      }, { id: 'adm-add-field' }),
      h('h3', null, t('adm_flow')), flowEl, err, h('div', { class: 'row' }, save)));
    drawFields();
    drawFlow();
    area.scrollIntoView({ block: 'start' });
  }
  load();
}

// fieldRow edits one field of a form.
function fieldRow(list, f, i, redraw) {
  const fixed = f.fixed;
  const extra = f.type === 'select' || f.type === 'multiselect'
    ? h('label', { class: 'att-field' }, t('adm_options'), inp({}, (f.options || []).join(','), (v) => (f.options = v.split(/[,，]/).map((x) => x.trim()).filter(Boolean))))
    : f.type === 'table' ? h('label', { class: 'att-field' }, t('adm_columns'), columns(f)) : null;
  return h('li', { class: 'adm-field', dataset: { key: f.key } },
    h('div', { class: 'row wrap' },
      inp({ 'aria-label': 'key', disabled: fixed, size: 10 }, f.key, (v) => (f.key = v.trim())),
      sel(null, TYPES.map((x) => [x, t('ft_' + x)]), f.type, (v) => {
        f.type = v;
        redraw();
      }, { disabled: fixed, 'aria-label': t('adm_fields') }),
      inp({ 'aria-label': t('adm_label'), maxlength: 64 }, f.label, (v) => (f.label = v)),
      box(t('adm_required'), f.required, (v) => (f.required = v)),
      fixed ? h('span', { class: 'hint' }, t('adm_fixed')) : small(t('adm_remove'), () => {
        list.splice(i, 1);
        redraw();
      }),
      small('↑', () => move(list, i, -1, redraw), { 'aria-label': t('adm_up') })),
    extra);
}

// columns edits a table's columns as lines of key:type:label.
function columns(f) {
  const ta = h('textarea', { rows: 3 });
  ta.value = (f.columns || []).map((c) => `${c.key}:${c.type}:${c.label}${c.required ? ':*' : ''}`).join('\n');
  ta.addEventListener('input', () => {
    f.columns = ta.value.split('\n').map((l) => l.split(':').map((x) => x.trim())).filter((p) => p[0]).map(([key, type, label, req]) => ({ key, type: type || 'text', label: label || key, required: req === '*' }));
  });
  return ta;
}

// nodes edits a list of flow nodes (and, in branches, their own lists).
function nodes(list, fields, redraw, path) {
  const ol = h('ol', { class: 'adm-nodes' });
  list.forEach((n, i) => ol.append(node(list, n, i, fields, redraw, path + '-' + i)));
  const add = (type) => small(t('adm_add', { n: t('node_' + type) }), () => {
    list.push(type === 'branch' ? { type, branches: [{ name: '', priority: 1, conditions: [{ field: 'amount', op: '>', value: '3' }], nodes: [] }, { name: '', priority: 2, conditions: [], nodes: [] }] }
      : { type, who: { type: type === 'cc' ? 'person' : 'manager', level: 1, user_ids: [] }, mode: 'any' });
    redraw();
  }, { dataset: { add: type, path } });
  return h('div', null, ol, h('div', { class: 'row wrap adm-adds' }, add('approver'), add('cc'), add('branch')));
}

function node(list, n, i, fields, redraw, path) {
  const head = h('div', { class: 'row wrap' }, h('strong', null, t('node_' + n.type)),
    inp({ 'aria-label': t('adm_name'), maxlength: 64, placeholder: t('adm_name') }, n.name, (v) => (n.name = v)),
    small('↑', () => move(list, i, -1, redraw), { 'aria-label': t('adm_up') }),
    small(t('adm_remove'), () => {
      list.splice(i, 1);
      redraw();
    }, { dataset: { remove: path } }));
  const li = h('li', { class: 'adm-node adm-' + n.type, dataset: { path } }, head);
  if (n.type === 'branch') {
    n.branches.forEach((b, j) => li.append(branch(n, b, j, fields, redraw, path + '-b' + j)));
    li.append(small(t('adm_addBranch'), () => {
      n.branches.push({ name: '', priority: n.branches.length + 1, conditions: [], nodes: [] });
      redraw();
    }));
    return li;
  }
  const w = (n.who = n.who || { type: 'manager', level: 1 });
  const detail = h('span', { class: 'row wrap' });
  const drawWho = () => {
    clear(detail);
    if (w.type === 'manager' || w.type === 'managers') detail.append(inp({ type: 'number', min: 1, max: 20, 'aria-label': 'level', size: 3 }, w.level || 1, (v) => (w.level = Number(v) || 1)));
    if (w.type === 'role') detail.append(sel(null, [['admin', t('role_admin')], ['owner', t('role_owner')]], w.role || 'admin', (v) => (w.role = v)));
    if (w.type === 'person') {
      const people = (w.user_ids || []).map((id) => ({ id, name: S.userName(id) }));
      const c = chips(people, () => (w.user_ids = people.map((p) => p.id)));
      detail.append(small(t('adm_people'), async () => {
        for (const u of await pickPeople(t('adm_people'))) if (!people.some((p) => p.id === u.id)) people.push(u);
        w.user_ids = people.map((p) => p.id);
        c.redraw();
      }, { dataset: { people: path } }), c);
    }
  };
  const whoSel = sel(null, WHO.map((x) => [x, t('who_' + x)]), w.type, (v) => {
    w.type = v;
    if (v === 'role' && !w.role) w.role = 'admin';
    drawWho();
  }, { dataset: { who: path } });
  drawWho();
  li.append(h('div', { class: 'row wrap' }, whoSel, detail,
    n.type === 'approver' ? sel(null, ['any', 'all', 'sequential'].map((x) => [x, t('mode_' + x)]), n.mode || 'any', (v) => (n.mode = v), { dataset: { mode: path } }) : null));
  return li;
}

function branch(n, b, j, fields, redraw, path) {
  const keys = [['amount', t('f_amount')], ['originator.role', t('f_role')], ['originator.department', t('f_dept')],
    ...fields.filter((f) => !['table', 'attachment', 'daterange'].includes(f.type)).map((f) => [f.key, f.label])];
  const conds = h('ul', { class: 'adm-conds' }, b.conditions.length ? b.conditions.map((c, k) => h('li', { class: 'row wrap' },
    sel(null, keys, c.field, (v) => (c.field = v)),
    sel(null, OPS.map((o) => [o, o]), c.op, (v) => {
      const list = v === 'in' || v === 'not_in';
      if (list && !c.values) [c.values, c.value] = [(c.value || '').split(/[,，]/).map((x) => x.trim()).filter(Boolean), undefined];
      if (!list && c.values) [c.value, c.values] = [c.values.join(','), undefined];
      c.op = v;
    }),
    inp({ 'aria-label': t('adm_value') }, c.values ? c.values.join(',') : c.value, (v) => {
      c.values = c.op === 'in' || c.op === 'not_in' ? v.split(/[,，]/).map((x) => x.trim()).filter(Boolean) : undefined;
      c.value = c.values ? undefined : v.trim();
    }),
    small(t('adm_remove'), () => {
      b.conditions.splice(k, 1);
      redraw();
    }))) : h('li', { class: 'hint' }, t('adm_noCond')));
  return h('fieldset', { class: 'adm-branch', dataset: { path } },
    h('legend', null, t('adm_branch'), ' ', inp({ type: 'number', 'aria-label': t('adm_priority'), size: 3 }, b.priority, (v) => (b.priority = Number(v) || 0))),
    conds, small(t('adm_addCond'), () => {
      b.conditions.push({ field: 'amount', op: '>=', value: '1' });
      redraw();
    }), small(t('adm_remove'), () => {
      n.branches.splice(j, 1);
      redraw();
    }), nodes(b.nodes, fields, redraw, path));
}
