// Echo and hello transforms on the aistore Go ETL framework
// (github.com/NVIDIA/aistore/ext/etl/webserver): the Go reference for
// tests/etl/test_differential_go.py (echo) and a target of suites/etl-sizes.toml (hello). The Go module proxy refuses the aistore
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

var hello = []byte("Hello World!")

type helloServer struct{}

// Drains the object, as the study's servers do, and answers the same 12 bytes.
func (*helloServer) Transform(input io.ReadCloser, _, _ string) (io.ReadCloser, int64, error) {
	if _, err := io.Copy(io.Discard, input); err != nil {
		return nil, 0, err
	}
	return io.NopCloser(bytes.NewReader(hello)), int64(len(hello)), nil
}

func main() {
	host := flag.String("l", "127.0.0.1", "listen address")
	port := flag.Int("p", 8000, "listen port")
	transform := flag.String("transform", "echo", "echo or hello")
	flag.Parse()
	var server webserver.ETLServer = &echoServer{}
	switch *transform {
	case "echo":
	case "hello":
		server = &helloServer{}
	default:
		log.Fatalf("-transform %q: must be echo or hello", *transform)
	}
	if err := webserver.Run(server, *host, *port); err != nil {
		log.Fatal(err)
	}
}
