package web_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// attClock is the server's attendance clock in these tests.
type attClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *attClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *attClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func shanghai(s string) time.Time {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

const hqLat, hqLng = 31.2304, 121.4737

// position sets the browser's emulated position and its permission.
func (b *browser) position(lat, lng float64, allow bool) {
	b.t.Helper()
	setting := cdpbrowser.PermissionSettingDenied
	if allow {
		setting = cdpbrowser.PermissionSettingGranted
	}
	acc := 15.0
	if _, err := chromedp.Call(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: setting, Origin: b.origin}); err != nil {
		b.fail("geolocation permission: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc}); err != nil {
		b.fail("geolocation override: %v", err)
	}
}

// TestBrowserAttendance punches from a real browser with an emulated
// position inside and outside the fence (DevTools geolocation override), a
// field punch with a note, and an office-network punch with location
// denied; reads the month and a day's rule; sees who looked; and an admin
// applies the 2026 holidays and reads the report, on a desktop in Chinese
// and on a 375 px phone in English.
func TestBrowserAttendance(t *testing.T) {
	chromium(t)
	clk := &attClock{t: shanghai("2026-03-04 08:50")}
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.AttendanceClock = clk.Now
		c.AttendanceEvery = -1
	}))
	ctx := context.Background()
	owner, staff, walker := srv.NewUser(t, "王伟"), srv.NewUser(t, "李娜"), srv.NewUser(t, "张三")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	d := must(owner.CreateDepartment(ctx, oid, "", "研发部"))
	for _, u := range []*tacktest.User{staff, walker} {
		inv := must(owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(d.ID)}}))
		must(u.AcceptInvitation(ctx, inv.Code))
	}
	// The office: HQ with a 300 m radius and the office network (the test
	// browser comes from 127.0.0.1).
	must(owner.CreateAttGroup(ctx, oid, map[string]any{"name": "总部考勤", "department_ids": []string{string(d.ID)},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "总部", "lat": hqLat, "lng": hqLng, "radius_m": 300}}}))

	t.Run("desktop-zh", func(t *testing.T) {
		b := newBrowser(t, "staff", 1280, 800, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, staff.Login, staff.Password)
		b.position(hqLat+0.001, hqLng, true)
		b.open(srv.URL + "/workbench")
		b.click("attendance app", "#app-clock")
		b.wait("the punch button", `document.querySelector('#att-punch')`)
		b.wait("the distance", `(document.querySelector('#att-distance')?.textContent || '').includes('已在总部打卡范围内')`)
		b.wait("today's shift", `document.querySelector('#att-plan').textContent.includes('班次 09:00–18:00')`)
		if s := evalAs[string](b, `document.querySelector('.att-today').textContent`); strings.Contains(s, "null") {
			b.fail("the page shows %q", s)
		}
		b.screenshot("attendance-desktop-zh")
		b.click("punch", "#att-punch")
		b.wait("the result", `(document.querySelector('#att-result')?.textContent || '').includes('上班：正常')`)
		b.wait("the rule", `document.querySelector('#att-result').textContent.includes('总部考勤 第 1 版')`)
		b.wait("the check", `document.querySelector('#att-checks .att-check.ok')?.textContent.includes('总部 (110 米)')`)
		// Outside the fence, and no field punches: refused, with the distance.
		b.position(hqLat+0.02, hqLng, true)
		clk.set(shanghai("2026-03-04 17:30"))
		b.click("punch outside", "#att-punch")
		b.wait("the refusal", `(document.querySelector('#toast')?.textContent || '').includes('你不在打卡范围内：距离总部 2.2 公里（范围 300 米）')`)
		// The month: today in progress; the day opens with its rule.
		b.wait("the month", `document.querySelector('#att-month-title')?.textContent.includes('2026')`)
		b.click("4 March", `.att-cell[data-date="2026-03-04"]`)
		b.wait("the day's rule", `(document.querySelector('#att-day')?.textContent || '').includes('超过 30 分钟为严重迟到')`)
		b.do("close the day", chromedp.Evaluate[chromedp.Void](`document.querySelector('dialog[open]').close()`))
		// Someone looked: the manager of the group reads her records.
		must(owner.AttRecords(ctx, oid, staff.ID, "2026-03-04", "2026-03-04"))
		b.click("views", "#att-views")
		b.wait("the owner's view", `(document.querySelector('#att-viewlist')?.textContent || '').includes('王伟')`)
	})

	t.Run("phone-en", func(t *testing.T) {
		clk.set(shanghai("2026-03-05 08:58"))
		// Field punches allowed, and the office network counts.
		g := must(owner.AttGroups(ctx, oid))[0]
		must(owner.UpdateAttGroup(ctx, oid, string(g.ID), map[string]any{"field_punch": true}))
		b := newBrowser(t, "walker", 375, 812, "en-US")
		defer b.check()
		b.signIn(srv.URL, walker.Login, walker.Password)
		b.position(hqLat+0.05, hqLng, true)
		b.open(srv.URL + "/attendance")
		b.wait("the distance", `(document.querySelector('#att-distance')?.textContent || '').includes('5.6 km away')`)
		b.wait("the server's time on the button", `document.querySelector('#att-now').textContent === '08:58'`)
		b.fits("attendance")
		b.screenshot("attendance-phone-en")
		b.click("punch", "#att-punch")
		b.typeInto("#att-note", "Visiting a customer in Pudong")
		b.click("field punch", "#att-note-ok")
		b.wait("the field punch", `(document.querySelector('#att-result')?.textContent || '').includes("On duty at 08:58: Normal · Field")`)
		// Location denied: on the office network it still punches.
		must(owner.UpdateAttGroup(ctx, oid, string(g.ID), map[string]any{"field_punch": false, "networks": []string{"127.0.0.0/8"}}))
		b.position(0, 0, false)
		clk.set(shanghai("2026-03-05 18:05"))
		b.open(srv.URL + "/attendance")
		b.wait("the denial explained", `(document.querySelector('#att-distance')?.textContent || '').length > 0`)
		b.click("punch on the network", "#att-punch")
		b.wait("the network punch", `(document.querySelector('#att-result')?.textContent || '').includes('Off duty at 18:05: Normal')`)
		b.wait("the network named", `document.querySelector('#att-result').textContent.includes('office network 127.0.0.0/8')`)
		b.fits("attendance after punching")
		b.click("5 March", `.att-cell[data-date="2026-03-05"]`)
		b.wait("the day", `(document.querySelector('#att-day')?.textContent || '').includes('Shift 09:00–18:00')`)
		b.fits("attendance day")
	})

	t.Run("admin-zh", func(t *testing.T) {
		b := newBrowser(t, "owner", 1280, 800, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, owner.Login, owner.Password)
		b.open(srv.URL + "/workbench")
		b.click("attendance admin", "#app-clockcog")
		b.wait("the groups", hasText("#aa-panel td", "总部考勤"))
		b.click("holidays", "#tab-aa_calendar")
		b.wait("the year", `document.querySelector('#aa-year')`)
		b.click("add the 2026 holidays", "#aa-preset")
		b.wait("National Day", hasText("#aa-panel td", "国庆节"))
		b.click("reports", "#tab-aa_reports")
		b.wait("the report", `document.querySelector('#aa-report td') && `+hasText("#aa-report td", "李娜"))
		b.wait("the CSV link", `(document.querySelector('#aa-r-csv')?.getAttribute('href') || '').includes('format=csv')`)
		b.screenshot("attendance-admin-zh")
		// A new group from the form: the sub-form refuses a bad place.
		b.click("groups", "#tab-aa_groups")
		b.click("new group", "#aa-new-group")
		b.typeInto("#aa-g-name", "夜班组")
		b.typeInto("#aa-g-place", "仓库")
		b.typeInto("#aa-g-lat", "100")
		b.typeInto("#aa-g-lng", "121")
		b.click("save", "#aa-g-save")
		b.wait("the refusal", `(document.querySelector('#aa-group-form .error')?.textContent || '').length > 0`)
	})
	var recs []client.AttRecord
	recs = must(staff.AttRecords(ctx, oid, "", "2026-03-04", "2026-03-04"))
	if len(recs) != 1 || !strings.Contains(recs[0].Place, "总部") {
		t.Errorf("records after the browser punch: %+v", recs)
	}
}
