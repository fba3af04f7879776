// leave.js: 假期 (feature): my leave balances with their ledger (every
// change, with why), a button to ask for leave; admins pick a member to
// see, and set a balance with a reason.

import { h, clear } from './dom.js';
import { t, errorText } from './i18n.js';
import * as O from './org.js';
import { page, link, narrow, dialog, toast } from './ui-base.js';
import { lv, amount, when, apError, pickPeople } from './approval-ui.js';

export function leavePage(root, nav) {
  const body = page(root, t('lv_title'), nav, { back: narrow() ? '/workbench' : '/approvals' });
  if (!O.orgs.cur) return body.append(h('p', { class: 'chat-empty' }, t('ap_noOrg')));
  const admin = ['owner', 'admin'].includes(O.role());
  let who = null; // {id, name} of the member shown; null: me
  const whoLine = h('p', { class: 'hint', id: 'lv-who' });
  const cards = h('ul', { class: 'lv-cards', id: 'lv-cards' });
  const ledger = h('ul', { class: 'lv-ledger', id: 'lv-ledger' });
  body.append(h('div', { class: 'row wrap ap-top' }, link('/approvals/new?template=leave', nav, { class: 'btn primary', id: 'lv-ask' }, t('lv_ask')),
    admin ? h('button', { type: 'button', class: 'btn', id: 'lv-member', onclick: async () => {
      const [u] = await pickPeople(t('lv_member'), true);
      if (u) {
        who = u;
        load();
      }
    } }, t('lv_member')) : null), whoLine, cards, h('h3', { class: 'list-head' }, t('lv_ledger')), ledger);
  let names = {};
  async function load() {
    const q = who ? '?user_id=' + encodeURIComponent(who.id) : '';
    whoLine.textContent = who ? who.name : '';
    try {
      const [b, l] = await Promise.all([lv('GET', '/balances' + q), lv('GET', '/ledger' + q + (q ? '&' : '?') + 'limit=100')]);
      names = Object.fromEntries(b.balances.map((x) => [x.leave_type, x]));
      drawCards(b.balances);
      drawLedger(l.lines);
    } catch (e) {
      clear(cards).append(h('li', { class: 'error' }, errorText(e)));
    }
  }
  function drawCards(list) {
    clear(cards);
    if (!list.length) cards.append(h('li', { class: 'hint' }, t('lv_noBalances')));
    for (const b of list) {
      cards.append(h('li', { class: 'lv-card', dataset: { type: b.leave_type } },
        h('span', { class: 'lv-name' }, b.name),
        h('strong', { class: 'lv-balance' }, amount(b.balance, b.unit)),
        b.carried ? h('span', { class: 'hint' }, t('lv_carried', { c: b.carried, d: b.carry_expires })) : null,
        admin ? h('button', { type: 'button', class: 'btn small', onclick: () => set(b) }, t('lv_set')) : null));
    }
  }
  function drawLedger(lines) {
    clear(ledger);
    if (!lines.length) return ledger.append(h('li', { class: 'hint' }, t('lv_empty')));
    for (const l of lines) {
      const ty = names[l.leave_type];
      const unit = ty ? ty.unit : 'day';
      ledger.append(h('li', null,
        h('div', { class: 'row lv-line' }, h('span', { class: 'grow' }, t('lk_' + l.kind), ' · ', ty ? ty.name : l.leave_type),
          h('strong', { class: l.delta < 0 ? 'lv-minus' : 'lv-plus' }, (l.delta > 0 ? '+' : '') + amount(l.delta, unit))),
        h('p', { class: 'hint' }, [when(l.at), t('ap_balance', { b: l.balance, u: t('unit_' + unit) }), l.reason].filter(Boolean).join(' · '))));
    }
  }
  function set(b) {
    const val = h('input', { id: 'lv-value', type: 'text', inputmode: 'decimal', value: String(b.balance), required: true });
    const why = h('input', { id: 'lv-why', type: 'text', maxlength: 500, required: true });
    const err = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'stack' }, h('label', { for: 'lv-value' }, t('lv_newBalance')), val, h('label', { for: 'lv-why' }, t('lv_reason')), why, err,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn primary', id: 'lv-save' }, t('lv_set'))));
    const d = dialog(`${t('lv_set')} · ${b.name}`, form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const user = who ? who.id : O.orgs.cur.me.user_id;
        await lv('PUT', `/balances/${encodeURIComponent(user)}/${encodeURIComponent(b.leave_type)}`, { balance: val.value.trim(), reason: why.value.trim() });
        d.close();
        toast(t('ap_done'));
        load();
      } catch (x) {
        err.textContent = apError(x);
      }
    });
    val.focus();
  }
  load();
}
