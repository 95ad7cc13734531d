// SPDX-License-Identifier: MIT
// TLS ping-pong for bench/lib/probe_cost.py: with -listen, a TLS echo
// server; otherwise a client doing -n round trips of -size bytes (one
// (*tls.Conn).Write and one Read each) over one connection.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	listen := flag.String("listen", "", "serve on this address (server mode)")
	cert := flag.String("cert", "", "server certificate")
	key := flag.String("key", "", "server key")
	addr := flag.String("addr", "", "server address (client mode)")
	n := flag.Int("n", 10000, "round trips")
	size := flag.Int("size", 256, "bytes per message")
	flag.Parse()
	if *listen != "" {
		c, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			panic(err)
		}
		l, err := tls.Listen("tcp", *listen, &tls.Config{Certificates: []tls.Certificate{c}})
		if err != nil {
			panic(err)
		}
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go io.Copy(conn, conn)
		}
	}
	conn, err := tls.Dial("tcp", *addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		panic(err)
	}
	buf := make([]byte, *size)
	for i := 0; i < *n; i++ {
		if _, err := conn.Write(buf); err != nil {
			panic(err)
		}
		if _, err := io.ReadFull(conn, buf); err != nil {
			panic(err)
		}
	}
	conn.Close()
	os.Exit(0)
}
