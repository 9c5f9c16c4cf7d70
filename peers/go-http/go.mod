module anvil/peers/go-http

go 1.19
