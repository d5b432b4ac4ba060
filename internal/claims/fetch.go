package claims

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/monban/monban/internal/egress"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

type fetchJob struct {
	id       int
	method   string
	url      *url.URL
	headers  [][2]string
	body     []byte
	redirect string
}

// fetchEvent is the completion of a fetch: meta and body on success, err
// otherwise.
type fetchEvent struct {
	id    int
	meta  string
	body  string
	err   string
	limit Limit
}

// Bounds on what a script sends: the VM's memory limit bounds them already,
// these keep each request reasonable.
const (
	maxURLBytes     = 16 << 10
	maxHeaderBytes  = 64 << 10
	maxRequestBytes = 1 << 20
)

// newFetchJob validates a fetch before anything is sent.
func (r *Runner) newFetchJob(id int, method, rawURL, headersJSON, body string, binary bool, redirect string) (*fetchJob, error) {
	switch {
	case len(rawURL) > maxURLBytes:
		return nil, fmt.Errorf("URL longer than %d bytes", maxURLBytes)
	case len(headersJSON) > maxHeaderBytes:
		return nil, fmt.Errorf("request headers larger than %d bytes", maxHeaderBytes)
	case len(body) > maxRequestBytes*4/3+4:
		return nil, fmt.Errorf("request body larger than %d bytes", maxRequestBytes)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("invalid URL")
	}
	if err := r.egress.CheckURL(u); err != nil {
		return nil, err
	}
	switch strings.ToUpper(method) {
	case "CONNECT", "TRACE", "TRACK":
		return nil, fmt.Errorf("method %s is not allowed", method)
	}
	job := &fetchJob{id: id, method: method, url: u, redirect: redirect}
	if err := json.Unmarshal([]byte(headersJSON), &job.headers); err != nil {
		return nil, errors.New("invalid headers")
	}
	if binary {
		if job.body, err = base64.StdEncoding.DecodeString(body); err != nil {
			return nil, errors.New("invalid body")
		}
	} else if body != "" {
		job.body = []byte(body)
	}
	if len(job.body) > maxRequestBytes {
		return nil, fmt.Errorf("request body larger than %d bytes", maxRequestBytes)
	}
	return job, nil
}

type fetchMeta struct {
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	URL        string      `json:"url"`
	Redirected bool        `json:"redirected"`
	Headers    [][2]string `json:"headers"`
	Binary     bool        `json:"binary"`
}

// fetch performs a request; it runs on its own goroutine.
func (r *Runner) fetch(ctx context.Context, job *fetchJob) (ev fetchEvent) {
	ev.id = job.id
	defer func() {
		if p := recover(); p != nil {
			ev = fetchEvent{id: job.id, err: "internal error"}
		}
	}()
	var body io.Reader
	if job.body != nil {
		body = bytes.NewReader(job.body)
	}
	ctx = context.WithValue(ctx, redirectModeKey{}, job.redirect)
	req, err := http.NewRequestWithContext(ctx, job.method, job.url.String(), body)
	if err != nil {
		ev.err = err.Error()
		return ev
	}
	for _, h := range job.headers {
		if strings.EqualFold(h[0], "host") {
			req.Host = h[1]
			continue
		}
		req.Header.Add(h[0], h[1])
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "monban-claims")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "*/*")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		ev.err = describeFetchError(ctx, err)
		return ev
	}
	defer resp.Body.Close()
	max := r.limits.MaxResponseBytes
	if resp.ContentLength > max {
		ev.err = fmt.Sprintf("response body of %d bytes exceeds the limit of %d bytes", resp.ContentLength, max)
		ev.limit = LimitResponse
		return ev
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		ev.err = describeFetchError(ctx, err)
		return ev
	}
	if int64(len(b)) > max {
		ev.err = fmt.Sprintf("response body exceeds the limit of %d bytes", max)
		ev.limit = LimitResponse
		return ev
	}
	meta := fetchMeta{
		Status:     resp.StatusCode,
		StatusText: strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode))),
		URL:        resp.Request.URL.String(),
		Redirected: resp.Request.URL.String() != job.url.String(),
		Headers:    headerPairs(resp.Header),
	}
	if utf8.Valid(b) {
		ev.body = string(b)
	} else {
		meta.Binary = true
		ev.body = base64.StdEncoding.EncodeToString(b)
	}
	m, err := json.Marshal(meta)
	if err != nil {
		ev.err = err.Error()
		return ev
	}
	ev.meta = string(m)
	return ev
}

// headerPairs lists response headers with lower-case names and values as
// Latin-1 strings, as fetch exposes them.
func headerPairs(h http.Header) [][2]string {
	out := make([][2]string, 0, len(h))
	for k, vs := range h {
		name := strings.ToLower(k)
		for _, v := range vs {
			out = append(out, [2]string{name, latin1(v)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func latin1(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			r := make([]rune, len(s))
			for j := 0; j < len(s); j++ {
				r[j] = rune(s[j])
			}
			return string(r)
		}
	}
	return s
}

func describeFetchError(ctx context.Context, err error) string {
	var de *egress.DeniedError
	switch {
	case errors.As(err, &de):
		return de.Error()
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return "request timed out"
	case errors.Is(err, context.Canceled):
		return "request aborted"
	}
	// Name neither the resolver nor the server's own address: both are
	// internal, and script authors see this message.
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return "could not resolve host " + dnsErr.Name + ": timed out"
		}
		return "could not resolve host " + dnsErr.Name
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		msg := oe.Op
		if oe.Addr != nil {
			msg += " " + oe.Addr.String()
		}
		if oe.Err != nil {
			msg += ": " + oe.Err.Error()
		}
		return msg
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
