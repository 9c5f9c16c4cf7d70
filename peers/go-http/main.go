// Command go-http is the Go net/http peer of the AIStore ETL benchmark
// comparison: GET /health answers "Running"; PUT drains the body and answers
// "Hello World!"; GET answers "Hello World!"; any other method gets 400.
//
// Standard library only, so it builds offline. net/http keeps HTTP/1.1
// connections alive and serves each connection on its own goroutine.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
)

var (
	hello   = []byte("Hello World!")
	running = []byte("Running")
)

func reply(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"text/plain"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func handle(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		if r.URL.Path == "/health" {
			reply(w, running)
			return
		}
		reply(w, hello)
	case http.MethodPut:
		// Read the whole body before answering, as a transformer would; a short
		// body means the client broke the Content-Length promise.
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil || (r.ContentLength >= 0 && n != r.ContentLength) {
			http.Error(w, "incomplete body", http.StatusBadRequest)
			return
		}
		reply(w, hello)
	default:
		http.Error(w, "unsupported method", http.StatusBadRequest)
	}
}

func main() {
	defPort := 8000
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil {
		defPort = p
	}
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", defPort, "TCP port (default from $PORT, else 8000)")
	flag.Parse()

	addr := net.JoinHostPort(*host, strconv.Itoa(*port))
	log.Printf("go-http listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(handle)))
}
