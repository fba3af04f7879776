package web_test

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserApprovalAttachments: a plain member on a 375 px phone in
// Chinese asks for a day of sick leave, which here needs proof: she picks
// an empty file (refused, said in Chinese) and a photo of her doctor's
// note (uploaded with its progress, shown as a thumbnail), and submits;
// the request's page shows the photo. Her manager, on a desktop in
// English, sees the thumbnail on the request, opens it large, and finds
// the download link.
func TestBrowserApprovalAttachments(t *testing.T) {
	chromium(t)
	clk := &attClock{t: shanghai("2026-03-04 08:00")}
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.AttendanceClock = clk.Now
		c.AttendanceEvery = -1
	}))
	ctx := context.Background()
	owner, manager, member := srv.NewUser(t, "王伟"), srv.NewUser(t, "Li Manager"), srv.NewUser(t, "张三")
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
	var types []client.LeaveType
	types = must(owner.LeaveTypes(ctx, oid))
	for _, ty := range types {
		if ty.Key == leave.Sick {
			zero := leave.Amount(0)
			ty.ProofOver = &zero // sick leave needs proof, always
			must(owner.PutLeaveType(ctx, oid, leave.Sick, ty))
		}
	}
	dir := t.TempDir()
	photo := filepath.Join(dir, "诊断证明.jpg")
	if err := os.WriteFile(photo, testJPEG(t, 600, 800, color.RGBA{70, 140, 190, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	note := filepath.Join(dir, "病历.pdf")
	if err := os.WriteFile(note, []byte("%PDF-1.4 病历 rest for a day\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	var id string
	t.Run("member-phone-zh", func(t *testing.T) {
		b := newBrowser(t, "member", 375, 812, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, member.Login, member.Password)
		b.open(srv.URL + "/approvals/new?template=leave")
		b.wait("the leave types", `document.querySelector('#f-leave_type option[value=sick]')`)
		b.setValue("#f-leave_type", "sick")
		b.setValue("#f-start", "2026-03-05")
		b.setValue("#f-end", "2026-03-05")
		b.wait("one day", `(document.querySelector('#ap-quote')?.textContent || '').includes('共 1天')`)
		b.typeInto("#f-reason", "发烧")
		// Without proof: refused, on the attachments.
		b.click("submit", "#ap-submit")
		b.wait("proof asked for", `document.querySelector('#ap-form-error').textContent !== ''`)
		// An empty file is refused with a reason in Chinese.
		b.do("pick an empty file", chromedp.SetUploadFiles(chromedp.CSS("#f-attachments"), []string{empty}))
		b.wait("the upload refused", `(document.querySelector('.apf-status.error')?.textContent || '').includes('empty.txt 上传失败')`)
		b.do("pick the photo and the record", chromedp.SetUploadFiles(chromedp.CSS("#f-attachments"), []string{photo, note}))
		b.wait("the photo's thumbnail", `document.querySelector('#f-attachments-list .apf-item[data-kind=image] img.apf-thumb')?.naturalWidth > 0`)
		b.wait("the names", `document.querySelector('#f-attachments-list').textContent.includes('诊断证明.jpg') && document.querySelector('#f-attachments-list .apf-item[data-kind=file]')?.textContent.includes('病历.pdf')`)
		b.fits("sick leave with proof")
		b.screenshot("approval-files-form-phone-zh")
		b.click("submit", "#ap-submit")
		b.wait("the request", `(document.querySelector('#ap-title')?.textContent || '').includes('张三的请假')`)
		b.wait("the proof on it", `document.querySelector('#ap-fields .ap-files .att-img img')?.naturalWidth > 0 && document.querySelector('#ap-fields .ap-files .filecard .fname')?.textContent === '病历.pdf'`)
		b.fits("the request with its proof")
		b.screenshot("approval-files-detail-phone-zh")
		id = evalAs[string](b, `location.pathname.split('/').pop()`)
	})
	if id == "" {
		t.Fatal("no request made")
	}
	v := must(member.Approval(ctx, oid, id))
	names := map[string]string{}
	for _, a := range v.Attachments {
		names[a.Name] = a.Kind
	}
	// In the order picked, whichever upload finished first.
	if len(v.Attachments) != 2 || names["诊断证明.jpg"] != "image" || names["病历.pdf"] != "file" || v.Attachments[0].Name != "诊断证明.jpg" {
		t.Fatalf("the request's attachments: %+v", v.Attachments)
	}

	t.Run("manager-desktop-en", func(t *testing.T) {
		b := newBrowser(t, "manager", 1280, 800, "en-US")
		defer b.check()
		b.signIn(srv.URL, manager.Login, manager.Password)
		b.open(srv.URL + "/approvals/" + id)
		b.wait("the proof's thumbnail", `document.querySelector('#ap-fields .ap-files .att-img img')?.naturalWidth > 0`)
		b.wait("the record's card", `document.querySelector('#ap-fields .ap-files .filecard')?.getAttribute('aria-label') === 'Download 病历.pdf'`)
		b.waitAsync("the record downloads", `fetch(document.querySelector('#ap-fields .ap-files .filecard').href).then(r => r.ok && r.text()).then(x => x.includes('rest for a day'))`)
		b.screenshot("approval-files-detail-desktop-en")
		b.click("open the proof", "#ap-fields .ap-files .att-img")
		b.wait("the photo, large", `document.querySelector('.viewer img')?.naturalWidth === 600`)
		b.wait("the download link", `(document.querySelector('.viewer-dlg a[download]')?.textContent || '').includes('Download 诊断证明.jpg')`)
		b.screenshot("approval-files-viewer-desktop-en")
	})
}
