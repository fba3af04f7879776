package web_test

import (
	"context"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// setValue sets an input's value as a person would, firing its events.
func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	b.wait(sel, `document.querySelector(`+js(sel)+`)`)
	evalAs[bool](b, `(() => { const e = document.querySelector(`+js(sel)+`); e.value = `+js(value)+`;
		e.dispatchEvent(new Event('input', { bubbles: true })); e.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`)
}

// TestBrowserApprovals: a plain member asks for a day of annual leave on a
// 375 px phone (the form counts the working days and shows the balance);
// the manager, on a desktop, sees the request waiting on the workbench and
// in the inbox, live, reads its flow and approves; the member's balance is
// then 4 with the deduction in the ledger; an admin edits the general
// template's flow. In Chinese, with screenshots.
func TestBrowserApprovals(t *testing.T) {
	chromium(t)
	clk := &attClock{t: shanghai("2026-03-04 08:00")}
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.AttendanceClock = clk.Now
		c.AttendanceEvery = -1
	}))
	ctx := context.Background()
	owner, manager, member := srv.NewUser(t, "王伟"), srv.NewUser(t, "李经理"), srv.NewUser(t, "张三")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	d := must(owner.CreateDepartment(ctx, oid, "", "研发部"))
	mids := map[*tacktest.User]string{}
	for _, u := range []*tacktest.User{manager, member} {
		inv := must(owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(d.ID)}}))
		mids[u] = string(must(u.AcceptInvitation(ctx, inv.Code)).Member.ID)
	}
	must(owner.UpdateOrgMember(ctx, oid, mids[member], map[string]any{"manager_id": mids[manager]}))
	must(owner.CreateAttGroup(ctx, oid, map[string]any{"name": "总部考勤", "department_ids": []string{string(d.ID)},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "总部", "lat": hqLat, "lng": hqLng, "radius_m": 300}}}))
	must(owner.SetLeaveBalance(ctx, oid, member.ID, "annual", leave.Days(5), "2026 年年假"))

	var id string
	t.Run("member-phone-zh", func(t *testing.T) {
		b := newBrowser(t, "member", 375, 812, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, member.Login, member.Password)
		b.open(srv.URL + "/workbench")
		b.click("approvals app", "#app-stamp")
		b.wait("the inbox", `document.querySelector('#box-mine')`)
		b.click("new request", "#ap-new")
		b.click("leave", `#ap-kinds [data-key=leave]`)
		b.wait("the leave types", `document.querySelector('#f-leave_type option[value=annual]')`)
		b.setValue("#f-start", "2026-03-05")
		b.setValue("#f-end", "2026-03-06")
		b.wait("the days counted", `(document.querySelector('#ap-quote')?.textContent || '').includes('共 2天') && document.querySelector('#ap-quote').textContent.includes('余额 5天')`)
		b.wait("the dates", `document.querySelector('#ap-days').textContent.includes('03-05, 03-06')`)
		// Friday afternoon only: half a day.
		b.setValue("#f-start", "2026-03-06")
		b.setValue("#f-start_half", "pm")
		b.wait("half a day", `document.querySelector('#ap-quote').textContent.includes('共 0.5天')`)
		b.setValue("#f-start", "2026-03-05")
		b.setValue("#f-start_half", "am")
		b.setValue("#f-end", "2026-03-05")
		b.wait("one day", `document.querySelector('#ap-quote').textContent.includes('共 1天')`)
		b.typeInto("#f-reason", "家里有事")
		b.fits("approval form")
		b.screenshot("approvals-form-phone-zh")
		b.click("submit", "#ap-submit")
		b.wait("the request", `(document.querySelector('#ap-title')?.textContent || '').includes('张三的请假')`)
		b.wait("the flow", `document.querySelector('#ap-flow .ap-step.now')?.textContent.includes('李经理 · 审批中')`)
		b.wait("its leave", `document.querySelector('#ap-leave').textContent.includes('年假 · 1天 · 2026-03-05 至 2026-03-05')`)
		b.wait("withdraw and remind", `document.querySelector('#ap-withdraw') && document.querySelector('#ap-urge') && !document.querySelector('#ap-approve')`)
		b.fits("approval detail")
		b.screenshot("approvals-detail-phone-zh")
		id = evalAs[string](b, `location.pathname.split('/').pop()`)
	})
	if id == "" {
		t.Fatal("no request made")
	}

	t.Run("manager-desktop-zh", func(t *testing.T) {
		b := newBrowser(t, "manager", 1280, 800, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, manager.Login, manager.Password)
		b.open(srv.URL + "/workbench")
		b.wait("the count on the tile", `document.querySelector('#app-stamp #app-badge')?.textContent === '1'`)
		b.click("approvals app", "#app-stamp")
		b.wait("the request waiting", `document.querySelector('#ap-list [data-id="`+id+`"]')`)
		b.wait("the tab's count", `document.querySelector('#box-pending .badge')?.textContent === '1'`)
		// A second request arrives while the inbox is open: it shows, live.
		must(member.SubmitApproval(ctx, oid, map[string]any{"template": "leave", "form": map[string]any{"leave_type": "personal", "start": "2026-03-09", "end": "2026-03-09", "reason": "办证"}}))
		b.wait("the second request, live", `document.querySelectorAll('#ap-list .ap-item').length === 2`)
		b.screenshot("approvals-inbox-desktop-zh")
		b.click("the first request", `#ap-list [data-id="`+id+`"]`)
		b.wait("the details", `(document.querySelector('#ap-fields')?.textContent || '').includes('家里有事')`)
		b.click("approve", "#ap-approve")
		b.typeInto("#ap-opinion", "好的，注意休息")
		b.click("confirm", "#ap-confirm")
		b.wait("approved", `document.querySelector('#ap-end')?.textContent === '已通过'`)
		b.wait("the comment in the flow", `document.querySelector('#ap-flow').textContent.includes('好的，注意休息')`)
		b.screenshot("approvals-detail-desktop-zh")
		b.open(srv.URL + "/approvals")
		b.click("handled", "#box-done")
		b.wait("in handled", `document.querySelector('#ap-list [data-id="`+id+`"]')?.textContent.includes('已通过')`)
	})

	t.Run("member-balance-phone-zh", func(t *testing.T) {
		b := newBrowser(t, "member", 375, 812, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, member.Login, member.Password)
		b.open(srv.URL + "/leave")
		b.wait("the balance", `document.querySelector('#lv-cards [data-type=annual] .lv-balance')?.textContent === '4天'`)
		b.wait("the ledger", `(document.querySelector('#lv-ledger')?.textContent || '').includes('请假扣减') && document.querySelector('#lv-ledger').textContent.includes('-1天')`)
		b.fits("leave balances")
		b.screenshot("leave-phone-zh")
		// The bot told her in a chat of its own.
		b.open(srv.URL + "/")
		b.wait("the bot's chat", `[...document.querySelectorAll('.conv')].some(c => c.textContent.includes('审批') && c.textContent.includes('已通过'))`)
	})

	t.Run("admin-desktop-zh", func(t *testing.T) {
		b := newBrowser(t, "owner", 1280, 800, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, owner.Login, owner.Password)
		b.open(srv.URL + "/workbench")
		b.click("approval admin", "#app-stampcog")
		b.click("general", `#adm-list [data-key=general]`)
		b.wait("the editor", `document.querySelector('#adm-form')`)
		b.click("add a CC node", `#adm-flow [data-add=cc][data-path=n]`)
		b.click("choose people", `#adm-flow [data-people="n-1"]`)
		b.typeInto(".ap-pick .picker-input", "李经理")
		b.click("the manager", `.ap-pick input[data-id="`+manager.ID+`"]`)
		b.click("ok", "#pick-ok")
		b.wait("the chip", `document.querySelector('#adm-flow').textContent.includes('李经理 ×')`)
		b.screenshot("approvals-admin-desktop-zh")
		b.click("save", "#adm-save")
		b.wait("saved", `(document.querySelector('#toast')?.textContent || '').includes('已保存：第 2 版')`)
		// On the day of the leave, the directory says she is away.
		clk.set(shanghai("2026-03-05 10:00"))
		b.open(srv.URL + "/contacts")
		b.wait("休假中 in the directory", `[...document.querySelectorAll('.dir-list li')].some(li => li.textContent.includes('张三') && li.textContent.includes('休假中'))`)
	})
	ts := must(owner.ApprovalTemplates(ctx, oid))
	for _, x := range ts {
		if x.Key == "general" && (x.Version != 2 || len(x.Flow) != 2 || x.Flow[1].Type != "cc" || len(x.Flow[1].Who.UserIDs) != 1) {
			t.Errorf("the general template after the editor: %+v", x)
		}
	}
	recs := must(member.AttRecords(ctx, oid, "", "2026-03-05", "2026-03-05"))
	if len(recs) != 2 || recs[0].DayStatus != "leave" {
		t.Errorf("the leave day in attendance: %+v", recs)
	}
	var bals []client.LeaveBalance
	bals = must(member.LeaveBalances(ctx, oid, ""))
	for _, x := range bals {
		if x.LeaveType == "annual" && x.Balance != leave.Days(4) {
			t.Errorf("annual balance %s", x.Balance)
		}
	}
}
