// i18n.js: English and Chinese strings, the chosen language, and date/time
// formatting in the user's locale.

const en = {
  app: 'Tack',
  signIn: 'Sign in',
  signUp: 'Create account',
  signOut: 'Sign out',
  login: 'Email or phone',
  password: 'Password',
  name: 'Your name',
  noAccount: 'New here?',
  haveAccount: 'Already have an account?',
  tagline: 'Team chat that stays out of your way.',
  passwordHint: 'At least 8 characters',
  working: 'Please wait…',
  language: 'Language',
  conversations: 'Conversations',
  newChat: 'New chat',
  noConversations: 'No conversations yet. Start one with the + button.',
  pickConversation: 'Select a conversation to start chatting.',
  back: 'Back to conversations',
  info: 'Conversation info',
  members: '{n} members',
  member1: '1 member',
  typing1: '{a} is typing…',
  typing2: '{a} and {b} are typing…',
  typingN: 'Several people are typing…',
  messageLabel: 'Message',
  messagePlaceholder: 'Message {t}',
  send: 'Send',
  loadingOlder: 'Loading earlier messages…',
  beginning: 'This is the beginning of the conversation.',
  today: 'Today',
  yesterday: 'Yesterday',
  edited: 'edited',
  recalled: 'This message was recalled',
  youRecalled: 'You recalled a message',
  recalledBy: '{a} recalled a message',
  actions: 'Message actions',
  reply: 'Reply',
  edit: 'Edit',
  recall: 'Recall',
  recallConfirm: 'Recall this message for everyone?',
  cancel: 'Cancel',
  save: 'Save',
  close: 'Close',
  replyingTo: 'Replying to {a}',
  editing: 'Editing message',
  unreadN: '{n} unread',
  allRead: 'All read',
  readDirect: 'Read',
  unreadDirect: 'Unread',
  receipts: 'Read receipts',
  readBy: 'Read ({n})',
  notReadBy: 'Unread ({n})',
  sending: 'Sending…',
  failed: 'Not sent: {e}',
  retry: 'Retry',
  discard: 'Discard',
  you: 'You',
  unreadBadge: '{n} unread messages',
  direct: 'Direct chat',
  group: 'New group',
  groupName: 'Group name',
  findPeople: 'Find people',
  findHint: 'Type a name, or someone’s exact email or phone',
  noMatches: 'No one found.',
  selected: 'Selected',
  createGroup: 'Create group',
  groupInfo: 'Group info',
  chatInfo: 'Chat info',
  rename: 'Rename',
  muteNotifications: 'Mute notifications',
  muteAll: 'Only owner and admins may post',
  addMembers: 'Add members',
  add: 'Add',
  remove: 'Remove',
  leave: 'Leave group',
  leaveConfirm: 'Leave this group?',
  owner: 'Owner',
  admin: 'Admin',
  mutedAllNotice: 'Only the owner and admins can send messages here.',
  connecting: 'Connecting…',
  syncing: 'Catching up…',
  online: 'Connected',
  offline: 'Offline. Reconnecting in {s} s…',
  reconnectNow: 'Reconnect now',
  notifyEnable: 'Enable desktop notifications',
  notifyNewFrom: 'New message from {a}',
  removedFromConv: 'You are no longer in this conversation.',
  sysCreated: '{a} created the group',
  sysCreatedDirect: '{a} started the chat',
  sysAdded: '{a} added {b}',
  sysRemoved: '{a} removed {b}',
  sysLeft: '{a} left',
  sysRenamed: '{a} renamed the group to “{t}”',
  sysOwner: '{a} made {b} the owner',
  sysAdminAdded: '{a} made {b} an admin',
  sysAdminRemoved: '{a} removed {b} as admin',
  sysMuted: '{a} turned on “only admins may post”',
  sysUnmuted: '{a} turned off “only admins may post”',
  someone: 'Someone',
  mentionAll: 'Everyone',
  mentionList: 'Mention someone',
  loginTaken: 'An account with this email or phone already exists.',
  badLogin: 'Enter an email address or a phone number.',
  badName: 'Enter a name of 1 to 64 characters.',
  err_network: 'Cannot reach the server.',
  err_unauthorized: 'Wrong login or password.',
  err_conflict: 'That already exists.',
  err_rate_limited: 'Too many attempts. Try again shortly.',
  err_too_large: 'Too large.',
  err_forbidden: 'You are not allowed to do that.',
  err_not_found: 'Not found.',
  err_expired: 'Too late to do that now.',
  err_generic: 'Something went wrong.',
  jumpLatest: 'Jump to latest',
  newMessages: 'New messages',
  external: 'External',
  org: 'Organisation',
  createOrg: 'Create organisation',
  orgName: 'Organisation name',
  create: 'Create',
  contacts: 'Contacts',
  manage: 'Admin',
  noOrg: 'No organisation yet.',
  searchDir: 'Search name, pinyin, email…',
  departments: 'Departments',
  allMembers: 'All members',
  more: 'Show more',
  title: 'Title',
  email: 'Email',
  phone: 'Phone',
  sendMessage: 'Message',
  joinOrg: 'Join organisation',
  join: 'Join',
  joinInvite: 'You are invited to join:',
  waiting: 'Request sent. Waiting for approval.',
  joined: 'You joined {o}.',
  badInvite: 'This invitation does not exist or was withdrawn.',
  st_active: 'Active',
  st_suspended: 'Suspended',
  st_left: 'Left',
  st_invited: 'Invited',
  st_pending: 'Pending',
  r_owner: 'Owner',
  r_admin: 'Admin',
  r_subadmin: 'Sub-admin',
  r_member: 'Member',
  adm_members: 'Members',
  adm_invitations: 'Invitations',
  adm_requests: 'Requests',
  adm_import: 'Import',
  adm_audit: 'Audit log',
  colName: 'Name',
  status: 'Status',
  role: 'Role',
  approve: 'Approve',
  decline: 'Decline',
  deptName: 'Department name',
  parentDept: 'Parent department',
  deptNotEmpty: 'Only empty departments can be deleted.',
  delete: 'Delete',
  newInvite: 'New invitation link',
  inviteLink: 'Link',
  uses: 'Used',
  expires: 'Expires',
  copy: 'Copy',
  withdraw: 'Withdraw',
  importFile: 'CSV or XLSX file',
  importHint: 'Columns: name, employee_no or email, phone, title, department, manager, hire_date.',
  importNow: 'Import',
  impDone: 'Imported.',
  impCheck: '{total} rows: {created} new, {updated} changed, {unchanged} unchanged, {failed} with errors; {d} new departments.',
  line: 'Line',
  errors: 'Problems',
  when: 'When',
  who: 'Who',
  action: 'Action',
  target: 'Target',
};

const zh = {
  app: 'Tack',
  signIn: '登录',
  signUp: '注册账号',
  signOut: '退出登录',
  login: '邮箱或手机号',
  password: '密码',
  name: '你的名字',
  noAccount: '还没有账号？',
  haveAccount: '已有账号？',
  tagline: '不打扰你的团队沟通。',
  passwordHint: '至少 8 个字符',
  working: '请稍候…',
  language: '语言',
  conversations: '会话',
  newChat: '发起聊天',
  noConversations: '还没有会话。点 + 开始聊天。',
  pickConversation: '选择一个会话开始聊天。',
  back: '返回会话列表',
  info: '会话信息',
  members: '{n} 位成员',
  typing1: '{a} 正在输入…',
  typing2: '{a} 和 {b} 正在输入…',
  typingN: '多人正在输入…',
  messageLabel: '消息',
  messagePlaceholder: '发消息给 {t}',
  send: '发送',
  loadingOlder: '正在加载更早的消息…',
  beginning: '这是会话的开始。',
  today: '今天',
  yesterday: '昨天',
  edited: '已编辑',
  recalled: '此消息已撤回',
  youRecalled: '你撤回了一条消息',
  recalledBy: '{a} 撤回了一条消息',
  actions: '消息操作',
  reply: '回复',
  edit: '编辑',
  recall: '撤回',
  recallConfirm: '为所有人撤回这条消息？',
  cancel: '取消',
  save: '保存',
  close: '关闭',
  replyingTo: '回复 {a}',
  editing: '编辑消息',
  unreadN: '{n} 人未读',
  allRead: '全部已读',
  readDirect: '已读',
  unreadDirect: '未读',
  receipts: '已读回执',
  readBy: '已读（{n}）',
  notReadBy: '未读（{n}）',
  sending: '发送中…',
  failed: '发送失败：{e}',
  retry: '重试',
  discard: '删除',
  you: '你',
  unreadBadge: '{n} 条未读消息',
  direct: '单聊',
  group: '新建群聊',
  groupName: '群名称',
  findPeople: '查找联系人',
  findHint: '输入名字，或对方完整的邮箱、手机号',
  noMatches: '没有找到。',
  selected: '已选',
  createGroup: '创建群聊',
  groupInfo: '群信息',
  chatInfo: '聊天信息',
  rename: '改名',
  muteNotifications: '消息免打扰',
  muteAll: '仅群主和管理员可发言',
  addMembers: '添加成员',
  add: '添加',
  remove: '移除',
  leave: '退出群聊',
  leaveConfirm: '确定退出这个群聊？',
  owner: '群主',
  admin: '管理员',
  mutedAllNotice: '仅群主和管理员可在此发言。',
  connecting: '正在连接…',
  syncing: '正在同步…',
  online: '已连接',
  offline: '连接已断开，{s} 秒后重连…',
  reconnectNow: '立即重连',
  notifyEnable: '开启桌面通知',
  notifyNewFrom: '{a} 发来新消息',
  removedFromConv: '你已不在此会话中。',
  sysCreated: '{a} 创建了群聊',
  sysCreatedDirect: '{a} 发起了聊天',
  sysAdded: '{a} 邀请 {b} 加入了群聊',
  sysRemoved: '{a} 将 {b} 移出了群聊',
  sysLeft: '{a} 退出了群聊',
  sysRenamed: '{a} 将群名称改为“{t}”',
  sysOwner: '{a} 将群主转让给 {b}',
  sysAdminAdded: '{a} 将 {b} 设为管理员',
  sysAdminRemoved: '{a} 取消了 {b} 的管理员身份',
  sysMuted: '{a} 开启了“仅群主和管理员可发言”',
  sysUnmuted: '{a} 关闭了“仅群主和管理员可发言”',
  someone: '某人',
  mentionAll: '所有人',
  mentionList: '提及成员',
  loginTaken: '该邮箱或手机号已注册。',
  badLogin: '请输入邮箱地址或手机号。',
  badName: '请输入 1 到 64 个字符的名字。',
  err_network: '无法连接服务器。',
  err_unauthorized: '账号或密码错误。',
  err_conflict: '已存在。',
  err_rate_limited: '尝试次数过多，请稍后再试。',
  err_too_large: '内容过大。',
  err_forbidden: '你没有权限这样做。',
  err_not_found: '未找到。',
  err_expired: '已超过可操作的时间。',
  err_generic: '出错了。',
  jumpLatest: '回到最新',
  newMessages: '新消息',
  external: '外部',
  org: '组织',
  createOrg: '创建组织',
  orgName: '组织名称',
  create: '创建',
  contacts: '通讯录',
  manage: '管理后台',
  noOrg: '还没有组织。',
  searchDir: '搜索姓名、拼音、邮箱…',
  departments: '部门',
  allMembers: '全部成员',
  more: '加载更多',
  title: '职位',
  email: '邮箱',
  phone: '手机',
  sendMessage: '发消息',
  joinOrg: '加入组织',
  join: '加入',
  joinInvite: '你受邀加入：',
  waiting: '申请已提交，等待审批。',
  joined: '你已加入 {o}。',
  badInvite: '邀请不存在或已撤回。',
  st_active: '在职',
  st_suspended: '已停用',
  st_left: '已离职',
  st_invited: '已邀请',
  st_pending: '待审批',
  r_owner: '所有者',
  r_admin: '管理员',
  r_subadmin: '子管理员',
  r_member: '成员',
  adm_members: '成员',
  adm_invitations: '邀请',
  adm_requests: '申请',
  adm_import: '导入',
  adm_audit: '操作日志',
  colName: '姓名',
  status: '状态',
  role: '角色',
  approve: '通过',
  decline: '拒绝',
  deptName: '部门名称',
  parentDept: '上级部门',
  deptNotEmpty: '部门不为空，不能删除。',
  delete: '删除',
  newInvite: '新建邀请链接',
  inviteLink: '链接',
  uses: '已用',
  expires: '过期时间',
  copy: '复制',
  withdraw: '撤回',
  importFile: 'CSV 或 XLSX 文件',
  importHint: '列：姓名、工号或邮箱、手机、职位、部门、直属主管、入职日期。',
  importNow: '导入',
  impDone: '导入完成。',
  impCheck: '共 {total} 行：新增 {created}，修改 {updated}，不变 {unchanged}，有误 {failed}；新部门 {d} 个。',
  line: '行号',
  errors: '问题',
  when: '时间',
  who: '操作人',
  action: '操作',
  target: '对象',
};

const dicts = { en, zh };
export const languages = [
  ['en', 'English'],
  ['zh', '中文'],
];

function detect() {
  let saved = '';
  try {
    saved = localStorage.getItem('tack.lang') || '';
  } catch {}
  if (dicts[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const p = String(l).toLowerCase().slice(0, 2);
    if (dicts[p]) return p;
  }
  return 'en';
}

export let lang = detect();
const listeners = new Set();

export function setLang(l) {
  if (!dicts[l] || l === lang) return;
  lang = l;
  try {
    localStorage.setItem('tack.lang', l);
  } catch {}
  document.documentElement.lang = locale();
  makeFormats();
  listeners.forEach((fn) => fn(l));
}

export function onLang(fn) {
  listeners.add(fn);
}

// t looks up a string and fills {placeholders} from vars.
export function t(key, vars) {
  const s = dicts[lang][key] ?? en[key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export const memberCount = (n) => (n === 1 ? t('member1') : t('members', { n }));

// errorText turns an ApiError into a sentence for people.
export function errorText(e) {
  if (e && e.code === 'invalid' && e.message) return e.message;
  const k = 'err_' + ((e && e.code) || 'generic');
  return dicts[lang][k] ? t(k) : (e && e.message) || t('err_generic');
}

// locale: the browser's own locale when it speaks the chosen language (so
// en-GB people get day-month dates), else a default for that language.
export function locale() {
  for (const l of navigator.languages || [navigator.language]) {
    if (l && l.toLowerCase().startsWith(lang)) return l;
  }
  return lang === 'zh' ? 'zh-CN' : 'en-US';
}

let fmtTime, fmtDay, fmtDate, fmtWeekday, fmtFull;
function makeFormats() {
  const loc = locale();
  fmtTime = new Intl.DateTimeFormat(loc, { hour: 'numeric', minute: '2-digit' });
  fmtDay = new Intl.DateTimeFormat(loc, { month: 'short', day: 'numeric' });
  fmtDate = new Intl.DateTimeFormat(loc, { year: 'numeric', month: 'short', day: 'numeric' });
  fmtWeekday = new Intl.DateTimeFormat(loc, { weekday: 'long', month: 'long', day: 'numeric' });
  fmtFull = new Intl.DateTimeFormat(loc, { dateStyle: 'full', timeStyle: 'short' });
}
makeFormats();
document.documentElement.lang = locale();

export function dayKey(d) {
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

function daysAgo(d) {
  const a = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const n = new Date();
  const b = new Date(n.getFullYear(), n.getMonth(), n.getDate());
  return Math.round((b - a) / 86400000);
}

export const formatTime = (d) => fmtTime.format(d);
export const formatFull = (d) => fmtFull.format(d);

// formatDay: the text of a day separator.
export function formatDay(d) {
  const ago = daysAgo(d);
  if (ago === 0) return t('today');
  if (ago === 1) return t('yesterday');
  if (d.getFullYear() === new Date().getFullYear()) return fmtWeekday.format(d);
  return fmtDate.format(d);
}

// formatShort: the time shown in the conversation list.
export function formatShort(d) {
  const ago = daysAgo(d);
  if (ago === 0) return fmtTime.format(d);
  if (ago === 1) return t('yesterday');
  if (d.getFullYear() === new Date().getFullYear()) return fmtDay.format(d);
  return fmtDate.format(d);
}
