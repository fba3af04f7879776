// admin2fa.js: what an admin page shows an admin of an organisation that
// requires two-step sign-in of its admins, when they have none yet (the
// server treats them as a plain member meanwhile): why, and the way to
// turn it on. The attendance and approval admin pages use it; the
// directory's admin area has its own (admin.js).

import { h } from './dom.js';
import { t, addStrings } from './i18n.js';
import { link } from './ui-base.js';

addStrings({
  en: {
    needs2fa: 'This organisation requires its admins to sign in with two steps. Until you turn it on, you use it as a plain member.',
    turnOn2fa: 'Turn on two-step sign-in',
  },
  zh: {
    needs2fa: '本组织要求管理员开启两步验证。开启之前，你只能以普通成员身份使用。',
    turnOn2fa: '开启两步验证',
  },
});

export const banner = (nav) => h('div', { class: 'chat-empty stack', id: 'adm-needs-2fa' }, h('p', null, t('needs2fa')),
  link('/me/twofactor', nav, { class: 'btn primary' }, t('turnOn2fa')));
