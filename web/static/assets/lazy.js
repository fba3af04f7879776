// lazy.js: feature modules, loaded with import() on first use and cached
// by the browser under their content-hashed names (the server rewrites
// every './x.js' here to it). This is the one module that loads features;
// a feature never imports it (or app.js), so the import graph has no cycle
// and the server can hash it. A new feature is one line here.
//
// Each feature module exports what the shell calls; it adds its own strings
// (i18n.addStrings) and loads its own stylesheet (dom.css) before its
// import() resolves, so it never shows untranslated or unstyled.

import { t } from './i18n.js';
import { toast } from './ui-base.js';

const loaders = {
  auth: () => import('./ui-auth.js'),
  offline: () => import('./offline.js'),
  push: () => import('./push.js'),
  newchat: () => import('./newchat.js'),
  convinfo: () => import('./convinfo.js'),
  msgmenu: () => import('./msgmenu.js'),
  mentions: () => import('./mentions.js'),
  directory: () => import('./directory.js'),
  admin: () => import('./admin.js'),
  join: () => import('./join.js'),
  workbench: () => import('./workbench.js'),
  settings: () => import('./settings.js'),
  account: () => import('./account.js'),
  attendance: () => import('./attendance.js'),
  attendanceAdmin: () => import('./attendance-admin.js'),
  approvals: () => import('./approvals.js'),
  approvalForm: () => import('./approval-form.js'),
  approvalsAdmin: () => import('./approval-admin.js'),
  leave: () => import('./leave.js'),
  media: () => import('./media.js'),
  search: () => import('./search.js'),
  robotcard: () => import('./robotcard.js'),
  platform: () => import('./platform.js'),
  secret: () => import('./secret.js'),
  ding: () => import('./ding.js'),
};

const loaded = new Map();

// feature returns the module of a feature, loading it the first time. A
// failed load (offline, or an old page asking for a file a newer release
// replaced) says so, unless quiet, and is tried again next time; when a
// new release has taken over meanwhile (see app.js), the page reloads
// into it instead.
export function feature(name, quiet) {
  if (!loaded.has(name)) {
    const p = loaders[name]().catch((e) => {
      loaded.delete(name);
      if (window.tackUpdated) location.reload();
      else if (!quiet) toast(t('loadFailed'));
      throw e;
    });
    loaded.set(name, p);
  }
  return loaded.get(name);
}

// all loads every feature (the tests use it to check the catalogue).
export const all = () => Promise.all(Object.keys(loaders).map(feature));
