// rrseq-go-client: a Go program on the 2016 API, as the 2016 package's own
// client called it: stubs generated from proto/rr_seq.proto by protoc-gen-go
// with plugins=grpc (package pb), plain-text HTTP/2 through grpc-go, every
// address dialled before the first call. door_cluster_test runs it against a
// real cluster's --grpc doors.
//
//	rrseq-go-client SEQ COUNT RANGE_SIZE ADDR...
//
// Prints COUNT IDs, one per line, taking ranges of RANGE_SIZE from the
// servers in turn, then "cur N" from GRPCCurID. A refused call is asked again
// at the next server, a few times; exit status 1 when it never succeeds.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"

	"pb"
)

const (
	dialTimeout = 10 * time.Second
	callTimeout = 5 * time.Second
	attemptsMax = 20 // per range, across the servers
	retryPause  = 50 * time.Millisecond
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "rrseq-go-client: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 5 {
		fail("usage: rrseq-go-client SEQ COUNT RANGE_SIZE ADDR...")
	}
	seq := os.Args[1]
	count, err := strconv.Atoi(os.Args[2])
	if err != nil || count < 0 {
		fail("COUNT: %q is not a count", os.Args[2])
	}
	rangeSize, err := strconv.ParseInt(os.Args[3], 10, 64)
	if err != nil {
		fail("RANGE_SIZE: %q is not a number", os.Args[3])
	}
	var clients []pb.RRAPIClient
	for _, addr := range os.Args[4:] {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		conn, err := grpc.DialContext(ctx, addr, grpc.WithInsecure(), grpc.WithBlock())
		cancel()
		if err != nil {
			fail("dial %s: %v", addr, err)
		}
		defer conn.Close()
		clients = append(clients, pb.NewRRAPIClient(conn))
	}

	server := 0
	call := func(what string, f func(ctx context.Context, c pb.RRAPIClient) error) {
		var last error
		for attempt := 0; attempt < attemptsMax; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			last = f(ctx, clients[server])
			cancel()
			server = (server + 1) % len(clients)
			if last == nil {
				return
			}
			time.Sleep(retryPause)
		}
		fail("%s: %v", what, last)
	}

	for printed := 0; printed < count; {
		var rep *pb.NextIDReply
		call("GRPCNextID", func(ctx context.Context, c pb.RRAPIClient) (err error) {
			rep, err = c.GRPCNextID(ctx, &pb.NextIDRequest{Name: seq, RangeSize: rangeSize})
			return err
		})
		if rep.FromId == 0 || rep.ToId <= rep.FromId {
			fail("GRPCNextID: empty range [%d,%d)", rep.FromId, rep.ToId)
		}
		for id := rep.FromId; id < rep.ToId && printed < count; id++ {
			fmt.Println(id)
			printed++
		}
	}
	var cur *pb.CurIDReply
	call("GRPCCurID", func(ctx context.Context, c pb.RRAPIClient) (err error) {
		cur, err = c.GRPCCurID(ctx, &pb.CurIDRequest{Name: seq})
		return err
	})
	fmt.Printf("cur %d\n", cur.CurId)
}
