-- PUT with the Locust client's 4-byte body ("test"), for wrk -s.
wrk.method = "PUT"
wrk.body = "test"
wrk.headers["Content-Type"] = "application/octet-stream"
