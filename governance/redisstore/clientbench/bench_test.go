// Package clientbench measures the two Go Redis clients considered for governance's
// Redis state, go-redis and rueidis, on the call governance makes: one EVALSHA of a small
// Lua script that updates a hash, from many goroutines at once. It is a module of its own
// so that the gateway depends on the chosen client only.
//
//	cd governance/redisstore/clientbench && go test -bench . -benchmem -cpu 1,2
//
// It starts its own redis-server (Debian's redis-server package) on a free port.
package clientbench

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

const script = `local n = redis.call('HINCRBY', KEYS[1], 'requests', 1)
redis.call('HINCRBY', KEYS[1], 'cost', ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], 120) end
return n`

func startRedis(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		b.Skip("redis-server:", err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(10 * time.Millisecond) // a poll for an external process (redis-server) to listen
	}
	b.Fatal("redis-server did not start")
	return ""
}

func BenchmarkGoRedis(b *testing.B) {
	addr := startRedis(b)
	c := goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: 64})
	defer c.Close()
	s := goredis.NewScript(script)
	ctx := context.Background()
	if err := s.Load(ctx, c).Err(); err != nil {
		b.Fatal(err)
	}
	keys := []string{"bench:gr"}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.EvalSha(ctx, s.Hash(), keys, 1234).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRueidis(b *testing.B) {
	addr := startRedis(b)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s := rueidis.NewLuaScript(script)
	ctx := context.Background()
	keys, args := []string{"bench:ru"}, []string{"1234"}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Exec(ctx, c, keys, args).Error(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
