package org_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/postgres"
	"github.com/tackhq/tack/sqlite"
)

// BenchmarkDirectorySearch searches a directory of 100,000 members in
// SQLite (or PostgreSQL, with TACK_TEST_POSTGRES) through the Service (membership check, privacy, store query),
// as an ordinary member would, one page of 50.
//
//	go test ./org -run '^$' -bench DirectorySearch -benchtime 2s
func BenchmarkDirectorySearch(b *testing.B) {
	d := bigDirectory(b)
	for _, q := range []string{"zs", "zhangsan", "zhang", "张三", "王", "ceng", "zxm", "n012345@", "1380001", "N04567", "第7组", "wang xiao", ""} {
		b.Run(fmt.Sprintf("q=%q", q), func(b *testing.B) {
			n := 0
			for b.Loop() {
				p, err := d.svc.Search(d.ctx, d.org, org.Query{Text: q, Limit: 50})
				if err != nil {
					b.Fatal(err)
				}
				n = len(p.Members)
			}
			b.ReportMetric(float64(n), "results")
		})
	}
}

// benchStore is what the benchmark needs of a store.
type benchStore interface {
	org.Store
	org.Users
	CreateUser(ctx context.Context, u account.User, passwordHash string) error
}

// openPostgres opens a fresh schema of dsn (left behind for inspection;
// drop tack_bench_* schemas by hand).
func openPostgres(ctx context.Context, dsn string) (benchStore, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	schema := "tack_bench_" + string(tack.NewID())
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return nil, err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return postgres.Open(ctx, u.String())
}

type directory struct {
	svc *org.Service
	ctx context.Context
	org tack.ID
}

var (
	bigOnce sync.Once
	big     *directory
	bigErr  error
	bigDir  string
)

var surnames = []rune("张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤單解")
var given = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰文辉力波宁晓东海燕红梅林鹏飞志斌云峰雪琳子涵浩然一诺思远欣怡小三四五")

// bigDirectory builds (once per process) an organisation of 100,000
// members, imported in two files of 50,000 rows.
func bigDirectory(b *testing.B) *directory {
	bigOnce.Do(func() {
		bigDir, bigErr = os.MkdirTemp("", "tack-orgbench-")
		if bigErr != nil {
			return
		}
		ctx := context.Background()
		var db benchStore
		var err error
		if dsn := os.Getenv("TACK_TEST_POSTGRES"); dsn != "" {
			db, err = openPostgres(ctx, dsn)
		} else {
			db, err = sqlite.Open(ctx, filepath.Join(bigDir, "tack.db"), sqlite.Options{})
		}
		if err != nil {
			bigErr = err
			return
		}
		owner := account.User{ID: tack.NewID(), Login: "owner@example.com", Name: "Owner", CreatedAt: time.Now()}
		if bigErr = db.CreateUser(ctx, owner, "x"); bigErr != nil {
			return
		}
		svc := org.NewService(db, db, nil, nil, nil, org.Config{})
		uctx := tack.WithCaller(ctx, tack.Caller{UserID: owner.ID})
		o, _, err := svc.Create(uctx, "Bench Corp", "Asia/Shanghai", "")
		if err != nil {
			bigErr = err
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		start := time.Now()
		for part := range 2 {
			table := [][]string{{"name", "employee_no", "email", "phone", "department"}}
			for i := part * 50000; i < (part+1)*50000; i++ {
				name := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))])
				if r.IntN(2) == 0 {
					name += string(given[r.IntN(len(given))])
				}
				table = append(table, []string{name, fmt.Sprintf("N%06d", i), fmt.Sprintf("n%06d@bench.example", i),
					fmt.Sprintf("1380%07d", i), fmt.Sprintf("总部/第%d组", i%200)})
			}
			res, err := svc.Import(uctx, o.ID, org.Table(table), org.ImportOptions{})
			if err != nil || !res.Committed {
				bigErr = fmt.Errorf("import: %v %+v", err, res.Errors)
				return
			}
		}
		fmt.Fprintf(os.Stderr, "built a directory of 100,000 members in %v\n", time.Since(start).Round(time.Millisecond))
		big = &directory{svc: svc, ctx: uctx, org: o.ID}
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return big
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}
