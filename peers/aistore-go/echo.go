// An echo transform on the aistore Go ETL framework (github.com/NVIDIA/aistore/ext/etl/webserver),
// the Go reference for tests/etl/test_differential_go.py. The Go module proxy refuses the aistore
// module here, so build.sh builds it against a local aistore source tree; see peers/README.md.
package main

import (
	"bytes"
	"flag"
	"io"
	"log"

	"github.com/NVIDIA/aistore/ext/etl/webserver"
)

type echoServer struct{}

func (*echoServer) Transform(input io.ReadCloser, _, _ string) (io.ReadCloser, int64, error) {
	data, err := io.ReadAll(input)
	if err != nil {
		return nil, 0, err
	}
	return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
}

func main() {
	host := flag.String("l", "127.0.0.1", "listen address")
	port := flag.Int("p", 8000, "listen port")
	flag.Parse()
	if err := webserver.Run(&echoServer{}, *host, *port); err != nil {
		log.Fatal(err)
	}
}
