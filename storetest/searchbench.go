package storetest

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
)

// SearchBenchStore is a search store that can also rebuild its index and
// tell its size, for BenchmarkSearch.
type SearchBenchStore interface {
	search.Store
	RebuildSearch(ctx context.Context) error
	SearchIndexSize(ctx context.Context) (int64, error)
}

// Words of the generated history: two-character Chinese words and English
// words, drawn with a Zipf distribution (a few are common, most rare).
var (
	benchZh = strings.Fields(`会议 项目 客户 今天 明天 需求 测试 上线 问题 方案 预算 合同 报告 数据 系统 产品 设计 开发 部署 周报
		审批 请假 出差 报销 考勤 培训 招聘 面试 绩效 目标 进度 风险 版本 接口 服务 文档 评审 讨论 确认 安排
		时间 地点 同事 经理 总监 财务 人事 行政 市场 销售 运营 采购 仓库 物流 发票 付款 订单 库存 质量 安全
		服务器 数据库 网络 账号 密码 权限 邮件 电话 通知 公告 活动 年会 团建 加班 周末 假期 节日 春节 中秋 国庆
		北京 上海 深圳 杭州 广州 成都 武汉 南京 苏州 西安 重庆 天津 厦门 青岛 大连 沈阳 长沙 郑州 济南 合肥
		签字 盖章 归档 备份 恢复 迁移 升级 优化 重构 修复 回滚 监控 告警 日志 性能 容量 成本 收入 利润 增长`)
	benchEn = strings.Fields(`meeting project customer release deploy budget contract report review design bug fix test server
		database network invoice payment order quality security roadmap sprint standup deadline launch feature
		update status weekly monthly quarterly planning hiring interview offer travel expense approval leave`)
)

// benchText makes one message: mostly Chinese (several words run
// together, with punctuation), sometimes English, sometimes both.
func benchText(r *rand.Rand, zh, en *rand.Zipf) string {
	var b strings.Builder
	n := 3 + r.Intn(10)
	chinese := r.Intn(10) < 7
	for i := 0; i < n; i++ {
		if chinese && r.Intn(8) > 0 {
			b.WriteString(benchZh[zh.Uint64()])
			if r.Intn(4) == 0 {
				b.WriteString("，")
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(benchEn[en.Uint64()])
	}
	return b.String()
}

// LoadSearchBench writes the generated history of BenchmarkSearch (n
// messages) and returns the searcher, the two-character words it asks for,
// and how long the users and conversations, and then the messages, took.
func LoadSearchBench(b testing.TB, as account.Store, cs chat.Store, n int) (searcher tack.ID, words []string, setup, load time.Duration) {
	ctx := context.Background()
	r := rand.New(rand.NewSource(18))
	zh := rand.NewZipf(r, 1.1, 2, uint64(len(benchZh)-1))
	en := rand.NewZipf(r, 1.1, 2, uint64(len(benchEn)-1))
	start := time.Now()
	users := make([]tack.ID, 2000)
	for i := range users {
		u := account.User{ID: tack.NewID(), Login: uniqueLogin("bench"), Name: fmt.Sprintf("用户%d", i), CreatedAt: time.Now()}
		if err := as.CreateUser(ctx, u, "x"); err != nil {
			b.Fatal(err)
		}
		users[i] = u.ID
	}
	searcher = users[0]
	convs := make([]tack.ID, max(n/100, 60))
	members := make([][]tack.ID, len(convs))
	base := time.Now().Add(-time.Duration(n) * time.Second).UTC().Truncate(time.Microsecond)
	for i := range convs {
		c := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, Title: fmt.Sprintf("群%d", i), OwnerID: users[1+r.Intn(len(users)-1)], CreatedAt: base}
		ms := []chat.Membership{{UserID: c.OwnerID, Role: chat.Owner, JoinedAt: base}}
		seen := map[tack.ID]bool{c.OwnerID: true}
		if i < 50 {
			ms = append(ms, chat.Membership{UserID: searcher, Role: chat.Member, JoinedAt: base})
			seen[searcher] = true
		}
		for len(ms) < 8 {
			u := users[1+r.Intn(len(users)-1)]
			if !seen[u] {
				seen[u] = true
				ms = append(ms, chat.Membership{UserID: u, Role: chat.Member, JoinedAt: base})
			}
		}
		first := chat.NewMessage{ConversationID: c.ID, SenderID: c.OwnerID, Kind: chat.SystemMessage, CreatedAt: base,
			System: &chat.System{Action: "created", ActorID: c.OwnerID}}
		if _, err := cs.CreateConversation(ctx, c, ms, first); err != nil {
			b.Fatal(err)
		}
		convs[i] = c.ID
		for _, m := range ms {
			members[i] = append(members[i], m.UserID)
		}
	}
	setup = time.Since(start)
	start = time.Now()
	batch := make([]chat.NewMessage, 0, 1000)
	for i := 0; i < n; i++ {
		k := r.Intn(len(convs))
		batch = append(batch, chat.NewMessage{ConversationID: convs[k], ClientID: "b" + strconv.Itoa(i), SenderID: members[k][r.Intn(len(members[k]))],
			Kind: chat.TextMessage, Text: benchText(r, zh, en), CreatedAt: base.Add(time.Duration(i) * time.Second)})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := cs.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	load = time.Since(start)
	// Two-character words from the most common to rare ones.
	for _, i := range []int{0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 110} {
		if i < len(benchZh) && len([]rune(benchZh[i])) == 2 {
			words = append(words, benchZh[i])
		}
	}
	return searcher, words, setup, load
}

// BenchmarkSearch measures search over a generated history of
// TACK_SEARCH_BENCH_MESSAGES messages (default 100,000) in one conversation
// per hundred messages, eight members each, 2,000 people; the searcher is in
// 50 conversations. It reports the load rate (with the index kept in the
// messages' transactions), the time to build the index from scratch and its
// size (both also per million messages, extrapolated linearly), and the
// latency of two-character queries (as many as -benchtime says) through
// search.Service: p50 and p99 of the wall time, and the mean CPU time of
// the process per query (on a shared machine the wall time also counts
// the time others' work kept this process waiting).
func BenchmarkSearch(b *testing.B, as account.Store, cs chat.Store, ss SearchBenchStore) {
	ctx := context.Background()
	n := 100_000
	if v := os.Getenv("TACK_SEARCH_BENCH_MESSAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("TACK_SEARCH_BENCH_MESSAGES=%q: want a number >= 1000", v)
		}
	}
	searcher, words, setup, load := LoadSearchBench(b, as, cs, n)
	convs := max(n/100, 60)
	start := time.Now()
	if err := ss.RebuildSearch(ctx); err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	size, err := ss.SearchIndexSize(ctx)
	if err != nil {
		b.Fatal(err)
	}
	perM := 1e6 / float64(n)
	b.Logf("%d messages in %d conversations (setup %v); load %v (%.0f messages/s, index kept in each transaction)",
		n, convs, setup.Round(time.Millisecond), load.Round(time.Millisecond), float64(n)/load.Seconds())
	b.Logf("index build from scratch %v, size %.1f MiB; per million messages (extrapolated linearly): build %v, size %.0f MiB",
		build.Round(time.Millisecond), float64(size)/(1<<20), time.Duration(float64(build)*perM).Round(time.Second), float64(size)*perM/(1<<20))

	svc := search.NewService(ss, nil)
	qctx := tack.WithCaller(ctx, tack.Caller{UserID: searcher})
	counts := map[string]int{}
	for _, w := range words { // warm up, and count what the searcher sees
		p, err := svc.Search(qctx, search.Request{Q: w, Limit: 20})
		if err != nil {
			b.Fatal(err)
		}
		counts[w] = len(p.Results)
	}
	var lat []time.Duration
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for i := 0; b.Loop(); i++ { // b.Loop: the setup above runs once
		t0 := time.Now()
		if _, err := svc.Search(qctx, search.Request{Q: words[i%len(words)], Limit: 20}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / time.Duration(len(lat))
	slices.Sort(lat)
	p50, p99 := lat[len(lat)*50/100], lat[min(len(lat)-1, len(lat)*99/100)]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/query")
	b.ReportMetric(float64(size)*perM/(1<<20), "MiB-per-1M")
	b.ReportMetric(build.Seconds()*perM, "build-s-per-1M")
	b.Logf("%d queries of %d two-character words (first page of 20; results on the page: %v): p50 %v, p99 %v; CPU %v per query",
		len(lat), len(words), counts, p50, p99, cpu)
}
