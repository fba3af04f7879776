// hints.js: live hints shown outside their own pages (a feature, started
// by offline.js, which every session loads after the first screen; the
// shell has no room). A new moment by someone else marks the 动态 tab
// until the moments page is open (moments.js clears it).

import { css } from './dom.js';
import * as S from './store.js';

let started = false;

export function watch() {
  if (started) return;
  started = true;
  css(new URL('./hints.css', import.meta.url));
  S.on('moment', (e) => {
    if (e.action !== 'new' || !S.state.me || e.author_id === S.state.me.id || location.pathname === '/workbench/moments') return;
    const tab = document.querySelector('#tab-ring');
    if (tab) tab.classList.add('new');
  });
}
