// org.js: my organisations and the chosen one (it scopes the directory and
// admin views, never chats).

import { api, get, post, enc } from './api.js';
import { emit, refreshExternal } from './store.js';
import { t, lang } from './i18n.js';
import { ask } from './ui-base.js';

export const orgs = { list: [], cur: null, depts: null, loaded: false };
const KEY = 'tack.org';
const active = (o) => o.me && o.me.status === 'active';

export async function loadOrgs() {
  setOrgs((await get('/orgs')).orgs || []);
}

// setOrgs takes my organisations (from GET /orgs, the bootstrap or this
// device's saved copy) and keeps the chosen one if it is still there.
export function setOrgs(list) {
  orgs.list = list;
  let id = orgs.cur && orgs.cur.id;
  try {
    id = id || localStorage.getItem(KEY);
  } catch {}
  choose(id);
}

// forget drops the signed-out person's organisations.
export function forget() {
  Object.assign(orgs, { list: [], cur: null, depts: null, loaded: false });
}

export function choose(id) {
  const o = orgs.list.find((x) => x.id === id && active(x)) || orgs.list.find(active) || null;
  if (o !== orgs.cur) orgs.depts = null;
  orgs.cur = o;
  orgs.loaded = true;
  try {
    if (o) localStorage.setItem(KEY, o.id);
  } catch {}
  emit('orgs');
}

export const role = () => (orgs.cur ? orgs.cur.me.role : '');
export const isAdmin = () => ['owner', 'admin', 'subadmin'].includes(role());

export async function createOrg(name) {
  const o = await post('/orgs', { name });
  orgs.cur = null;
  orgs.list.push(o);
  choose(o.id);
  refreshExternal();
  return o;
}

// createOrgDialog asks for a name, creates the organisation and shows its
// directory.
export const createOrgDialog = (nav) => ask(t('createOrg'), t('orgName'), '', t('create'), async (v) => {
  await createOrg(v);
  nav('/contacts');
});

export const call = (method, path, body) => api(method, '/orgs/' + enc(orgs.cur.id) + path, body);

// depts: the visible tree, depth first, each with its depth.
export async function depts(force) {
  if (orgs.depts && !force) return orgs.depts;
  const all = (await call('GET', '/departments')).departments || [];
  const by = new Map(all.map((d) => [d.id, d]));
  const kids = new Map();
  for (const d of all) {
    const p = by.has(d.parent_id) ? d.parent_id : '';
    kids.set(p, [...(kids.get(p) || []), d]);
  }
  const list = [];
  const walk = (p, depth) => (kids.get(p) || []).forEach((d) => {
    d.depth = depth;
    list.push(d);
    walk(d.id, depth + 1);
  });
  walk('', 0);
  orgs.depts = { list, by };
  return orgs.depts;
}

export const deptNames = (m) => (m.department_ids || []).map((id) => orgs.depts && orgs.depts.by.get(id)).filter(Boolean).map((d) => d.name).join(lang === 'zh' ? '、' : ', ');
