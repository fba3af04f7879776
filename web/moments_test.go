package web_test

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserMoments: 张三, a plain member of an organisation on a 375 px
// phone in Chinese, posts a moment with an image to one chosen friend
// (李四). 李四, on a desktop in English with the moments page open, sees it
// appear live, likes it and comments. 王五, a friend left out, with the
// page open too, never sees it: a later moment to all friends reaches him
// first. 张三 sees 李四's like and comment live. With screenshots.
func TestBrowserMoments(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, zhang, li, wang := srv.NewUser(t, "王伟"), srv.NewUser(t, "张三"), srv.NewUser(t, "李四"), srv.NewUser(t, "王五")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	inv := must(owner.CreateInvitation(ctx, string(org.ID), map[string]any{}))
	must(zhang.AcceptInvitation(ctx, inv.Code))
	for _, u := range []*tacktest.User{li, wang} {
		must(zhang.RequestFriend(ctx, u.ID))
		if err := u.AcceptFriend(ctx, zhang.ID); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	photo := filepath.Join(dir, "西湖.jpg")
	os.WriteFile(photo, testJPEG(t, 640, 480, color.RGBA{60, 120, 200, 255}), 0o644)
	const text = "周末去西湖，风景很好"

	// Chromium's fake microphone, for the voice picture.
	phone := newBrowser(t, "zhang-phone", 375, 812, "zh-CN", chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true))
	defer phone.check()
	desk := newBrowser(t, "li-desktop", 1280, 800, "en-US")
	defer desk.check()
	left := newBrowser(t, "wang-desktop", 1280, 800, "zh-CN")
	defer left.check()
	phone.signIn(srv.URL, zhang.Login, zhang.Password)
	desk.signIn(srv.URL, li.Login, li.Password)
	left.signIn(srv.URL, wang.Login, wang.Password)

	desk.open(srv.URL + "/workbench")
	desk.click("the moments tile", "#app-moments")
	desk.wait("the empty timeline", hasText("#mm-list .empty", "No moments yet. Share something with your friends."))
	left.open(srv.URL + "/workbench/moments")
	left.wait("the empty timeline", `document.querySelector('#mm-list .empty')`)

	// 动态 is a tab of the phone's bottom bar, which stays on its page.
	phone.open(srv.URL + "/")
	phone.click("the moments tab", "#tab-ring")
	phone.wait("the moments page under its tab", `location.pathname === '/workbench/moments' && document.querySelector('#mm-new') && document.querySelector('#tab-ring[aria-current]') && getComputedStyle(document.querySelector('.tabbar')).display !== 'none'`)
	phone.click("share", "#mm-new")
	phone.typeInto("#mm-text", text)
	phone.do("choose the photo", chromedp.SetUploadFiles(chromedp.CSS("#mm-files"), []string{photo}))
	phone.setValue("#mm-audience", "only")
	// The audience is a friend tag, made here from the ticked friend.
	phone.wait("no tags yet", hasText("#mm-tags .hint", "还没有标签：在下面勾选好友，存为标签。"))
	phone.click("李四", `#mm-pick input[data-id="`+li.ID+`"]`)
	phone.typeInto("#mm-tagname", "家人")
	phone.click("save as a tag", "#mm-savetag")
	phone.wait("the new tag, ticked", `[...document.querySelectorAll('#mm-tags label')].some(l => l.textContent.includes('家人') && l.textContent.includes('（1人）') && l.querySelector('input').checked) && !document.querySelector('#mm-pick input[data-id]:checked')`)
	phone.fits("moment composer")
	phone.screenshot("moments-compose-phone-zh")
	phone.click("post", "#mm-post")
	phone.wait("the posted moment", `[...document.querySelectorAll('.mm-card .mm-text')].some(p => p.textContent === `+js(text)+`) && document.querySelector('.mm-card .mm-aud').textContent === '可见范围：部分可见 · 家人'`)
	phone.wait("its image", `[...document.querySelectorAll('.mm-card .mm-imgs img')].some(i => i.complete && i.naturalWidth > 0)`)

	desk.wait("the moment, live", `[...document.querySelectorAll('.mm-card .mm-text')].some(p => p.textContent === `+js(text)+`)`)
	desk.wait("its image", `[...document.querySelectorAll('.mm-card .mm-imgs img')].some(i => i.complete && i.naturalWidth > 0)`)
	if evalAs[bool](desk, `!!document.querySelector('.mm-card .mm-aud')`) {
		desk.fail("李四 sees the audience of 张三's moment")
	}
	desk.click("like", ".mm-card .mm-like")
	desk.wait("liked", `document.querySelector('.mm-card .mm-like').getAttribute('aria-pressed') === 'true' && document.querySelector('.mm-card .mm-likes').textContent.includes('李四')`)
	desk.typeInto(".mm-card .mm-cinput", "Looks lovely!\n")
	desk.wait("the comment", hasText(".mm-card .mm-ctext", "Looks lovely!"))
	desk.screenshot("moments-timeline-desktop-en")

	// 李四 posts to all friends except a tag of his: 张三 never sees it.
	desk.click("share", "#mm-new")
	desk.typeInto("#mm-text", "Team dinner tonight")
	desk.setValue("#mm-audience", "except")
	desk.wait("no tags yet", hasText("#mm-tags .hint", "No tags yet: tick friends below and save them as a tag."))
	desk.click("张三", `#mm-pick input[data-id="`+zhang.ID+`"]`)
	desk.typeInto("#mm-tagname", "Coworkers")
	desk.click("save as a tag", "#mm-savetag")
	desk.wait("the new tag, ticked", `[...document.querySelectorAll('#mm-tags label')].some(l => l.textContent.includes('Coworkers') && l.querySelector('input').checked)`)
	desk.screenshot("moments-tags-desktop-en")
	desk.click("post", "#mm-post")
	desk.wait("the posted moment", `[...document.querySelectorAll('.mm-card')].some(c => c.querySelector('.mm-text')?.textContent === 'Team dinner tonight' && c.querySelector('.mm-aud')?.textContent === 'Visible to: All friends except… · Coworkers')`)
	for _, m := range must(zhang.Timeline(ctx, "", 50)).Moments {
		if m.Text == "Team dinner tonight" {
			t.Error("张三 sees a moment posted to all friends except a tag holding him")
		}
	}

	phone.wait("the like and comment, live", `document.querySelector('.mm-card .mm-likes').textContent.includes('李四') && [...document.querySelectorAll('.mm-card .mm-ctext')].some(s => s.textContent === 'Looks lovely!')`)
	phone.fits("moments timeline")
	phone.screenshot("moments-timeline-phone-zh")

	// 王五 was left out: a moment to all friends posted afterwards reaches
	// him, and the first one never did.
	must(zhang.PostMoment(ctx, client.MomentInput{Text: "大家好", Audience: circle.Audience{Type: circle.Friends}}))
	left.wait("the later moment, live", hasText(".mm-card .mm-text", "大家好"))
	if evalAs[bool](left, `document.body.textContent.includes(`+js(text)+`)`) {
		left.fail("王五 sees the moment he was left out of")
	}
	left.open(srv.URL + "/workbench/moments")
	left.wait("the timeline after a reload", hasText(".mm-card .mm-text", "大家好"))
	if n := evalAs[int](left, `document.querySelectorAll('.mm-card').length`); n != 1 {
		left.fail("王五's timeline has %d moments, want 1", n)
	}
	left.screenshot("moments-left-out-desktop-zh")

	// 张三 is on his chats tab: a new moment of 李四's marks the 动态 tab
	// live, until he opens it.
	phone.click("the chats tab", "#tab-chat")
	phone.wait("the hints started", `[...document.querySelectorAll('link[rel=stylesheet]')].some(l => l.href.includes('hints')) && !document.querySelector('#tab-ring.new')`)
	must(li.PostMoment(ctx, client.MomentInput{Text: "新的一周", Audience: circle.Audience{Type: circle.Friends}}))
	phone.wait("the 动态 tab marked", `!!document.querySelector('#tab-ring.new') && getComputedStyle(document.querySelector('#tab-ring.new'), '::after').backgroundColor !== 'rgba(0, 0, 0, 0)'`)
	phone.screenshot("moments-hint-phone-zh")
	phone.click("the moments tab", "#tab-ring")
	phone.wait("the new moment, the mark gone", hasText(".mm-card .mm-text", "新的一周")+` && !document.querySelector('#tab-ring.new')`)

	// A voice picture (有声图片): a photo, then two seconds held to talk.
	phone.click("share", "#mm-new")
	phone.typeInto("#mm-text", "听听海浪")
	phone.do("choose the photo", chromedp.SetUploadFiles(chromedp.CSS("#mm-vpic-file"), []string{photo}))
	phone.wait("the recorder with the photo", `document.querySelector('#mm-form .recorder .rec-photo')?.src.startsWith('data:image/')`)
	evalAs[chromedp.Void](phone, `document.querySelector('.rec-main').dispatchEvent(new PointerEvent('pointerdown', {pointerId: 7, bubbles: true}))`)
	phone.wait("two seconds of recording", `document.querySelector('.recorder.on') && /[2-9]/.test(document.querySelector('.rec-status').textContent)`)
	phone.screenshot("moments-voice-recording-phone-zh")
	evalAs[chromedp.Void](phone, `document.querySelector('.rec-main').dispatchEvent(new PointerEvent('pointerup', {pointerId: 7, bubbles: true}))`)
	phone.wait("the voice picture posted", `[...document.querySelectorAll('.mm-card')].some(c => c.querySelector('.mm-text')?.textContent === '听听海浪' && c.querySelector('.mm-imgs img') && /^▶ [2-9]″$/.test(c.querySelector('.mm-voice')?.textContent))`)
	phone.fits("a voice picture moment")
	phone.screenshot("moments-voice-phone-zh")
	desk.wait("the voice picture, live", `[...document.querySelectorAll('.mm-card')].some(c => c.querySelector('.mm-text')?.textContent === '听听海浪' && c.querySelector('.mm-voice') && [...c.querySelectorAll('.mm-imgs img')].some(i => i.complete && i.naturalWidth > 0))`)
	desk.screenshot("moments-voice-desktop-en")
	var vm client.Moment
	for _, m := range must(li.Timeline(ctx, "", 50)).Moments {
		if m.Text == "听听海浪" {
			vm = m
		}
	}
	if len(vm.Files) != 2 || vm.Files[0].Kind != "image" || vm.Files[1].Kind != "voice" || vm.Files[1].DurationMS < 1500 || vm.Files[1].URL == "" {
		t.Errorf("the voice picture as 李四 gets it: %+v", vm.Files)
	}
}

// TestBrowserAnnouncements: an admin on a desktop in English writes a
// must-read announcement in the markdown subset; a plain member on a 375 px
// phone in Chinese finds it unread on the workbench, opens it (rendered,
// with no HTML let through) and so reads it; the admin's page then lists
// the member among those who have read it. With screenshots.
func TestBrowserAnnouncements(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, zhang, li := srv.NewUser(t, "王伟"), srv.NewUser(t, "张三"), srv.NewUser(t, "李四")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	rd := must(owner.CreateDepartment(ctx, oid, "", "研发部"))
	must(owner.CreateDepartment(ctx, oid, string(rd.ID), "前端组"))
	must(owner.CreateDepartment(ctx, oid, "", "销售部"))
	for _, u := range []*tacktest.User{zhang, li} {
		inv := must(owner.CreateInvitation(ctx, oid, map[string]any{}))
		j := must(u.AcceptInvitation(ctx, inv.Code))
		if u == zhang {
			must(owner.UpdateOrgMember(ctx, oid, string(j.Member.ID), map[string]any{"department_ids": []string{string(rd.ID)}}))
		}
	}
	notice := filepath.Join(t.TempDir(), "停电通知.txt")
	os.WriteFile(notice, []byte("周五 9:00–12:00 全楼停电"), 0o644)
	desk := newBrowser(t, "owner-desktop", 1280, 800, "en-US")
	defer desk.check()
	phone := newBrowser(t, "zhang-phone", 375, 812, "zh-CN")
	defer phone.check()
	desk.signIn(srv.URL, owner.Login, owner.Password)
	phone.signIn(srv.URL, zhang.Login, zhang.Password)

	desk.open(srv.URL + "/workbench")
	desk.click("the announcements tile", "#app-announcements")
	desk.click("new", "#an-new")
	desk.typeInto("#an-title", "周五停电通知")
	desk.typeInto("#an-body", "# 停电\n**周五 9:00–12:00** 全楼停电。\n- 保存文件\n- 关闭电脑\n详见 [物业通知](https://example.com/notice) <b>x</b>")
	desk.click("must read", "#an-must")
	// To 研发部 only (李四 is in no department), with an attachment.
	desk.wait("the departments", hasText("#an-to", "The whole organisation (or tick departments)")+` && document.querySelectorAll('#an-depts input[data-dept]').length === 3`)
	desk.click("研发部", `#an-depts input[data-dept="`+string(rd.ID)+`"]`)
	desk.wait("one department", hasText("#an-to", "Ticked departments: 1 (with their sub-departments)"))
	desk.do("attach the notice", chromedp.SetUploadFiles(chromedp.CSS("#an-files"), []string{notice}))
	desk.wait("the attachment listed", hasText("#an-chosen li", "停电通知.txt"))
	desk.screenshot("announcement-compose-desktop-en")
	desk.click("publish", "#an-post")
	desk.wait("the announcement", `document.querySelector('#an-one h3')?.textContent === '周五停电通知' && document.querySelector('#an-receipts')`)
	desk.wait("only its author has read it", `document.querySelector('#an-receipts h4')?.textContent === 'Read (1)'`)

	phone.open(srv.URL + "/workbench")
	phone.click("the announcements tile", "#app-announcements")
	phone.wait("unread and must read", `document.querySelector('.an-item.unread .an-tag.must')?.textContent === '必读'`)
	phone.fits("announcements")
	phone.screenshot("announcements-list-phone-zh")
	phone.click("open it", ".an-item .an-link")
	phone.wait("rendered", `document.querySelector('.an-md h3')?.textContent === '停电' && document.querySelector('.an-md strong')?.textContent === '周五 9:00–12:00' && document.querySelectorAll('.an-md li').length === 2`)
	if evalAs[bool](phone, `!!document.querySelector('.an-md b') || !document.querySelector('.an-md a[href="https://example.com/notice"]')`) {
		phone.fail("the markdown subset let HTML through or lost its link")
	}
	if evalAs[bool](phone, `!!document.querySelector('#an-receipts')`) {
		phone.fail("a plain member sees who has read it")
	}
	phone.wait("the attachment", `document.querySelector('.an-one .an-files a')?.textContent === '停电通知.txt' && document.querySelector('.an-one .an-files a').getAttribute('href').includes('sig=')`)
	phone.fits("announcement")
	phone.screenshot("announcement-read-phone-zh")
	for _, a := range must(li.Announcements(ctx, oid)) {
		if a.Title == "周五停电通知" {
			t.Error("李四, in no department it went to, received it")
		}
	}

	desk.open(srv.URL + "/workbench/announcements")
	desk.wait("2 of 2 read", `document.querySelector('.an-item .an-count')?.textContent === '2 of 2 read'`)
	desk.click("open it", ".an-item .an-link")
	desk.wait("张三 has read it", `document.querySelector('#an-receipts h4')?.textContent === 'Read (2)' && [...(document.querySelector('#an-receipts .an-who')?.querySelectorAll('li') || [])].some(l => l.textContent === '张三')`)
	desk.wait("nobody has not", `document.querySelectorAll('#an-receipts h4')[1]?.textContent === 'Not read yet (0)'`)
	desk.screenshot("announcement-receipts-desktop-en")

	// The organisation turns read receipts off: the admin sees who read
	// it no more.
	must(owner.PutDingSettings(ctx, oid, ding.OrgSettings{Receipts: ding.ReceiptsOff}))
	desk.open(srv.URL + "/workbench/announcements")
	desk.wait("no count in the list", `document.querySelector('.an-item .an-link') && !document.querySelector('.an-item .an-count')`)
	desk.click("open it", ".an-item .an-link")
	desk.wait("no receipts", hasText("#an-receipts-off", "The organisation’s read-receipt policy does not show you who has read it.")+` && !document.querySelector('#an-receipts')`)
}

// TestBrowserReports: a plain member on a 375 px phone in Chinese writes
// a daily report that goes to their manager by default; the manager on a
// desktop in English opens it from the received box and comments; the
// member's sent box says the manager read it, and the statistics list
// who submitted. With screenshots.
func TestBrowserReports(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, zhang, li := srv.NewUser(t, "王伟"), srv.NewUser(t, "张三"), srv.NewUser(t, "李经理")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	var mids []string
	for _, u := range []*tacktest.User{zhang, li} {
		inv := must(owner.CreateInvitation(ctx, oid, map[string]any{}))
		j := must(u.AcceptInvitation(ctx, inv.Code))
		mids = append(mids, string(j.Member.ID))
	}
	must(owner.UpdateOrgMember(ctx, oid, mids[0], map[string]any{"manager_id": mids[1]}))

	phone := newBrowser(t, "zhang-phone", 375, 812, "zh-CN")
	defer phone.check()
	desk := newBrowser(t, "li-desktop", 1280, 800, "en-US")
	defer desk.check()
	phone.signIn(srv.URL, zhang.Login, zhang.Password)
	desk.signIn(srv.URL, li.Login, li.Password)

	phone.open(srv.URL + "/workbench")
	phone.click("the reports tile", "#app-reports")
	phone.click("write", "#rp-tab-new")
	phone.typeInto("#rp-f0", "拜访了三个客户")
	phone.typeInto("#rp-f1", "写方案")
	// Recipients from the people picker: the manager and 王伟.
	for _, u := range []*tacktest.User{li, owner} {
		phone.setValue("#rp-to input", u.Name)
		phone.click(u.Name, `#rp-to .picker-results input[data-id="`+u.ID+`"]`)
	}
	phone.wait("two chosen", `document.querySelectorAll('#rp-to .chips li').length === 2`)
	phone.fits("report form")
	phone.screenshot("report-write-phone-zh")
	phone.click("submit", "#rp-submit")
	phone.wait("the sent box", `document.querySelector('#rp-tab-sent[aria-pressed=true]') && document.querySelector('#rp-list .an-count')?.textContent === '2 人中 0 人已读'`)

	desk.open(srv.URL + "/workbench/reports")
	desk.click("the report", "#rp-list .an-link")
	desk.wait("the report", hasText("#rp-one .mm-text", "拜访了三个客户")+` && document.querySelector('#rp-read').textContent === 'Read by 1 of 2'`)
	desk.typeInto("#rp-cinput", "Good work\n")
	desk.wait("the comment", `document.querySelector('#rp-comments li')?.textContent.includes('Good work')`)
	desk.screenshot("report-read-desktop-en")

	// The manager's own reminder: weekly, Fridays at 17:30, set in English.
	desk.click("stats", "#rp-tab-stats")
	desk.setValue("#rp-kind", "weekly")
	desk.wait("Friday only", `[...document.querySelectorAll('#rp-days input:checked')].map(b => b.dataset.day).join() === '5'`)
	desk.setValue("#rp-at", "17:30")
	desk.click("on", "#rp-on")
	desk.screenshot("report-reminder-desktop-en")
	desk.click("save", "#rp-save")
	desk.wait("saved", hasText("#toast", "Saved."))
	var rm circle.Reminder
	if err := li.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/report-reminder", nil, &rm); err != nil || rm.Kind != circle.Weekly || rm.At != "17:30" || len(rm.Days) != 1 || rm.Days[0] != 5 || !rm.On {
		t.Errorf("the manager's reminder: %+v, %v", rm, err)
	}

	phone.click("sent", "#rp-tab-sent")
	phone.wait("read by the manager", `document.querySelector('#rp-list .an-count')?.textContent === '2 人中 1 人已读'`)
	phone.click("stats", "#rp-tab-stats")
	phone.wait("who submitted", `document.querySelector('#rp-stats h4')?.textContent === '已提交（1）' && [...document.querySelectorAll('#rp-stats .an-who')[0].querySelectorAll('li')].some(l => l.textContent === '张三')`)
	phone.fits("report stats")
	phone.screenshot("report-stats-phone-zh")
}
