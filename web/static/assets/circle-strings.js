// circle-strings.js: the strings of moments (动态) and announcements (公告).
// The workbench imports it, so that the catalogue is complete once every
// feature is loaded; moments.js and announcements.js import it too.

import { addStrings } from './i18n.js';

addStrings({
  en: {
    mmTitle: 'Moments', mmNew: 'Share', mmText: 'What’s on your mind?', mmImages: 'Images (up to 9)', mmPost: 'Post', mmPosting: 'Posting…',
    mmWho: 'Who can see it', mmFriends: 'All friends', mmOnly: 'Only chosen friends', mmExcept: 'All friends except…', mmPrivate: 'Only me',
    mmColleagues: 'Colleagues at {o}', mmPick: 'Choose friends', mmNoFriends: 'Add friends to choose them here.', mmNone: 'No moments yet. Share something with your friends.',
    mmMore: 'Show more', mmLike: 'Like', mmUnlike: 'Unlike', mmComment: 'Comment', mmSend: 'Send', mmDelete: 'Delete', mmDeleteQ: 'Delete this moment?',
    mmEmpty: 'Write something or add an image.', mmPickOne: 'Choose at least one friend.', mmAud: 'Visible to: {a}', mmOf: 'Moments of {n}', mmEdited: 'edited',
    mmReply: 'Reply to {n}', mmNewOne: 'A new moment', appMoments: 'Moments',
    mmTags: 'Tags', mmFriendsOne: 'Friends', mmNoTags: 'No tags yet: tick friends below and save them as a tag.', mmTagCount: '({n})',
    mmVoicePic: 'Voice picture', mmVoice: '{s}″', mmPlay: 'Play the voice clip',
    mmTagName: 'New tag name', mmSaveTag: 'Save ticked friends as a tag', mmTagNameNeeded: 'Name the tag first.',
  },
  zh: {
    mmTitle: '动态', mmNew: '发动态', mmText: '这一刻的想法…', mmImages: '图片（最多 9 张）', mmPost: '发表', mmPosting: '发表中…',
    mmWho: '谁可以看', mmFriends: '所有好友', mmOnly: '部分可见', mmExcept: '不给谁看', mmPrivate: '仅自己可见',
    mmColleagues: '{o}的同事圈', mmPick: '选择好友', mmNoFriends: '添加好友后可在这里选择。', mmNone: '还没有动态，和好友分享点什么吧。',
    mmMore: '查看更多', mmLike: '赞', mmUnlike: '取消赞', mmComment: '评论', mmSend: '发送', mmDelete: '删除', mmDeleteQ: '删除这条动态？',
    mmEmpty: '写点什么或添加图片。', mmPickOne: '请至少选择一位好友。', mmAud: '可见范围：{a}', mmOf: '{n}的动态', mmEdited: '已编辑',
    mmReply: '回复{n}', mmNewOne: '有新动态', appMoments: '动态',
    mmTags: '标签', mmFriendsOne: '好友', mmNoTags: '还没有标签：在下面勾选好友，存为标签。', mmTagCount: '（{n}人）',
    mmVoicePic: '有声图片', mmVoice: '{s}″', mmPlay: '播放语音',
    mmTagName: '新标签名', mmSaveTag: '把勾选的好友存为标签', mmTagNameNeeded: '请先填写标签名。',
  },
});

addStrings({
  en: {
    anTitle: 'Announcements', anNew: 'New announcement', anNone: 'No announcements.', anPinned: 'Pinned', anMust: 'Must read', anUnread: 'Unread',
    anHead: 'Title', anBody: 'Text (**bold**, *italics*, # headings, - lists, [links](https://…))', anPin: 'Pin to the top', anMustRead: 'Must read (see who has read it)',
    anAt: 'Publish later (optional)', anPost: 'Publish', anScheduled: 'Scheduled for {d}', anReadBy: 'Read ({n})', anNotRead: 'Not read yet ({n})',
    anTo: 'Send to', anToAll: 'The whole organisation (or tick departments)', anToSome: 'Ticked departments: {n} (with their sub-departments)', anFiles: 'Attachments (up to 9)',
    anFilesMax: 'Up to 9 attachments: the first 9 are kept.', anReceiptsOff: 'The organisation’s read-receipt policy does not show you who has read it.',
    anCountsOnly: 'Counts only: the organisation shows no names for this many people.',
    anCount: '{n} of {m} read', anDelete: 'Delete', anDeleteQ: 'Delete this announcement?', anNoOrg: 'Join an organisation to see its announcements.', appAnnouncements: 'Announcements',
  },
  zh: {
    anTitle: '公告', anNew: '发公告', anNone: '暂无公告。', anPinned: '置顶', anMust: '必读', anUnread: '未读',
    anHead: '标题', anBody: '正文（**加粗**、*斜体*、# 标题、- 列表、[链接](https://…)）', anPin: '置顶', anMustRead: '必读（查看谁已读）',
    anAt: '定时发布（可选）', anPost: '发布', anScheduled: '定时于 {d}', anReadBy: '已读（{n}）', anNotRead: '未读（{n}）',
    anTo: '发送范围', anToAll: '全组织（或勾选部门）', anToSome: '{n} 个部门及其下级', anFiles: '附件（最多 9 个）',
    anFilesMax: '最多 9 个附件，只保留前 9 个。', anReceiptsOff: '按组织的已读回执设置，你看不到谁已读。',
    anCountsOnly: '人数较多，按组织设置只显示人数。',
    anCount: '{n}/{m} 人已读', anDelete: '删除', anDeleteQ: '删除这条公告？', anNoOrg: '加入组织后可查看公告。', appAnnouncements: '公告',
  },
});

addStrings({
  en: {
    rpTitle: 'Reports', rpReceived: 'Received', rpSent: 'Sent', rpNew: 'Write', rpStats: 'Who submitted', rpNone: 'No reports here.',
    rpTemplate: 'Template', rpTo: 'Send to (nobody chosen: your manager)', rpSubmit: 'Submit', rpReadBy: 'Read by {n} of {m}',
    rpComment: 'Comment', rpSend: 'Send', rpSubmitted: 'Submitted ({n})', rpMissing: 'Not yet ({n})', rpRemind: 'Remind me at', rpRemindOn: 'Remind me',
    rpKind: 'Report', rpDaily: 'Daily report', rpWeekly: 'Weekly report', rpQuiet: 'Never during your quiet hours: it waits until they end.',
    rpDay1: 'Mon', rpDay2: 'Tue', rpDay3: 'Wed', rpDay4: 'Thu', rpDay5: 'Fri', rpDay6: 'Sat', rpDay7: 'Sun',
    rpSave: 'Save', rpSaved: 'Saved.', rpFrom: '{a} · {d}', rpNoOrg: 'Join an organisation to write reports.', appReports: 'Reports',
  },
  zh: {
    rpTitle: '日志', rpReceived: '收到的', rpSent: '我发出的', rpNew: '写日志', rpStats: '提交统计', rpNone: '暂无日志。',
    rpTemplate: '模板', rpTo: '发给（不选则发给直属主管）', rpSubmit: '提交', rpReadBy: '{m} 人中 {n} 人已读',
    rpComment: '评论', rpSend: '发送', rpSubmitted: '已提交（{n}）', rpMissing: '未提交（{n}）', rpRemind: '提醒时间', rpRemindOn: '提醒我写日志',
    rpKind: '日志类型', rpDaily: '日报', rpWeekly: '周报', rpQuiet: '免打扰时段内不提醒，结束后再提醒。',
    rpDay1: '周一', rpDay2: '周二', rpDay3: '周三', rpDay4: '周四', rpDay5: '周五', rpDay6: '周六', rpDay7: '周日',
    rpSave: '保存', rpSaved: '已保存。', rpFrom: '{a} · {d}', rpNoOrg: '加入组织后可写日志。', appReports: '日志',
  },
});
