// SPDX-License-Identifier: MIT
// OpenAI chat completions from Go's net/http + crypto/tls, for the Go
// crypto/tls end-to-end tests. The CA comes from SSL_CERT_FILE (Go reads
// it on Linux).
//
// usage: go_openai -base https://127.0.0.1:PORT/v1 [-h1] [-n N] [-stream]
//        [-delay D]
//
// -h1 forces HTTP/1.1 (Go negotiates HTTP/2 over TLS by default); -n runs N
// calls concurrently on one client, which over HTTP/2 share one connection.
// Prints one JSON line per call: id, model, finish reasons, usage, proto.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type result struct {
	ID      string          `json:"id"`
	Model   string          `json:"model"`
	Finish  []string        `json:"finish_reasons"`
	Usage   json.RawMessage `json:"usage"`
	Proto   string          `json:"proto"`
	Status  int             `json:"status"`
	ToolIDs []string        `json:"tool_call_ids"`
}

func call(c *http.Client, base string, i int, stream bool) (result, error) {
	body := map[string]interface{}{
		"model":    "gpt-4o-mini",
		"messages": []map[string]string{{"role": "user", "content": fmt.Sprintf("Say hello %d", i)}},
	}
	if stream {
		body["stream"] = true
		body["stream_options"] = map[string]bool{"include_usage": true}
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", base+"/chat/completions", bytes.NewReader(b))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-go-test-key")
	resp, err := c.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	r := result{Proto: resp.Proto, Status: resp.StatusCode}
	if !stream {
		var v struct {
			ID      string          `json:"id"`
			Model   string          `json:"model"`
			Usage   json.RawMessage `json:"usage"`
			Choices []struct {
				Finish string `json:"finish_reason"`
			} `json:"choices"`
		}
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return r, err
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return r, fmt.Errorf("%v: %s", err, raw)
		}
		r.ID, r.Model, r.Usage = v.ID, v.Model, v.Usage
		for _, ch := range v.Choices {
			r.Finish = append(r.Finish, ch.Finish)
		}
		return r, nil
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") || line == "data: [DONE]" {
			continue
		}
		var v struct {
			ID      string          `json:"id"`
			Model   string          `json:"model"`
			Usage   json.RawMessage `json:"usage"`
			Choices []struct {
				Finish *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if json.Unmarshal([]byte(line[6:]), &v) != nil {
			continue
		}
		r.ID, r.Model = v.ID, v.Model
		if len(v.Usage) > 0 && string(v.Usage) != "null" {
			r.Usage = v.Usage
		}
		for _, ch := range v.Choices {
			if ch.Finish != nil {
				r.Finish = append(r.Finish, *ch.Finish)
			}
		}
	}
	return r, sc.Err()
}

func main() {
	base := flag.String("base", "", "base URL ending in /v1")
	h1 := flag.Bool("h1", false, "force HTTP/1.1")
	n := flag.Int("n", 1, "concurrent calls")
	stream := flag.Bool("stream", false, "stream the responses (SSE)")
	delay := flag.Duration("delay", 0, "wait this long before the first call")
	flag.Parse()
	time.Sleep(*delay)
	tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{}}
	if *h1 {
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	c := &http.Client{Transport: tr}
	results := make([]result, *n)
	errs := make([]error, *n)
	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = call(c, *base, i, *stream)
		}(i)
	}
	wg.Wait()
	out := json.NewEncoder(os.Stdout)
	for i := range results {
		if errs[i] != nil {
			fmt.Fprintln(os.Stderr, "call", i, errs[i])
			os.Exit(1)
		}
		out.Encode(results[i])
	}
}
