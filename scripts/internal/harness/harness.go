// Package harness is what the load and soak scripts share: building Monban,
// starting real servers on a fresh database, setting up an API, a role and
// an M2M app through the Management API, and reading a process's resource
// use from /proc.
package harness

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// The bootstrap app of the servers started here, and the API set up.
const (
	BootID     = "loadtest-admin"
	BootSecret = "loadtest-admin-secret-0123456789abcdef012345"
	Indicator  = "https://shopping.api"
	Scope      = "read:products"
)

// SecretKey encrypts the secrets at rest of every server started by this
// process, so that instances sharing a database share it too.
var SecretKey = func() string {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}()

// Build builds the monban binary into dir and returns its path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "monban")
	fmt.Fprintln(os.Stderr, "building monban…")
	build := exec.Command("go", "build", "-o", bin, "./cmd/monban")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	return bin, nil
}

// Database returns the database URL to run on: for "" a fresh SQLite file
// in dir; for postgres://… a fresh database on that server, which drop
// removes. engine is "sqlite" or "postgres".
func Database(base, dir string) (dbURL, engine string, drop func(), err error) {
	if base == "" {
		return "sqlite://" + filepath.Join(dir, "monban.db"), "sqlite", func() {}, nil
	}
	if !strings.HasPrefix(base, "postgres") {
		return base, "sqlite", func() {}, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", "", nil, fmt.Errorf("bad -database-url")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "monban_load_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", "", nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return u.String(), "postgres", func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}

// Server is a running `monban serve`.
type Server struct {
	Cmd *exec.Cmd
	URL string
}

// Start runs bin serve on a free loopback port with the bootstrap app, the
// given endpoint and database, its output to logPath and extra environment
// added, and waits until it is ready.
func Start(bin, endpoint, dbURL, logPath string, extra ...string) (*Server, error) {
	cmd := exec.Command(bin, "serve")
	// The server binds a port of its own choosing and logs it (at info,
	// once): a port found free here could be taken before the server
	// binds it.
	cmd.Env = append(append(os.Environ(),
		"MONBAN_ADDR=127.0.0.1:0",
		"MONBAN_ENDPOINT="+endpoint,
		"MONBAN_DATABASE_URL="+dbURL,
		// Every instance shares one key for the secrets at rest
		// (PostgreSQL requires it).
		"MONBAN_SECRET_KEY="+SecretKey,
		"MONBAN_BOOTSTRAP_APP_ID="+BootID,
		"MONBAN_BOOTSTRAP_APP_SECRET="+BootSecret,
		"MONBAN_LOG_LEVEL=info", "MONBAN_LOG_FORMAT=text",
	), extra...)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Cmd: cmd}
	addr, err := listenAddr(logPath)
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.URL = "http://" + addr
	if err := WaitReady(s.URL + "/readyz"); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// readyLine is the start-up line of `monban serve`, with its address.
var readyLine = regexp.MustCompile(`msg="monban is ready".* addr=(\S+)`)

// listenAddr waits for a server's start-up line in its log and returns the
// address it listens on.
func listenAddr(logPath string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(logPath)
		if err != nil {
			return "", err
		}
		if m := readyLine.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("the server did not log its address; see %s", logPath)
}

// Stop interrupts the server and waits for it to exit.
func (s *Server) Stop() {
	_ = s.Cmd.Process.Signal(os.Interrupt)
	_ = s.Cmd.Wait()
}

// ManagementToken gets a Management API token for the bootstrap app.
func ManagementToken(base, endpoint string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"}}
	req, _ := http.NewRequest("POST", base+"/oidc/token", strings.NewReader(form.Encode()))
	req.SetBasicAuth(BootID, BootSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := DoJSON(req, 200, &tok); err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// API sends one Management API request with tok and decodes the answer
// into out (if not nil). Any 2xx is success: Logto's API answers some
// creations 201 and others (roles, users, applications) 200.
func API(base, tok, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	// Any 2xx: Logto's creates answer 200 or 201 depending on the route.
	return DoJSON(req, 0, out)
}

// SetUp creates, through the Management API, the API resource Indicator
// with the scope Scope, an M2M role holding it and an M2M app with that
// role, and saves scriptFile (if not "") as the client-credentials custom
// JWT claims script. It returns the app's id and secret.
func SetUp(base, endpoint, scriptFile string) (appID, secret string, err error) {
	tok, err := ManagementToken(base, endpoint)
	if err != nil {
		return "", "", err
	}
	api := func(method, path string, body, out any) error { return API(base, tok, method, path, body, out) }
	var res, scope, role, app struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := api("POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": Indicator}, &res); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": Scope, "description": "Read products"}, &scope); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/roles", map[string]any{"name": "Shop reader", "description": "Reads products", "type": "MachineToMachine", "scopeIds": []string{scope.ID}}, &role); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/applications", map[string]any{"name": "Load test", "type": "MachineToMachine"}, &app); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}, nil); err != nil {
		return "", "", err
	}
	if scriptFile != "" {
		src, err := os.ReadFile(scriptFile)
		if err != nil {
			return "", "", err
		}
		if err := api("PUT", "/api/configs/jwt-customizer/client-credentials", map[string]any{"script": string(src)}, nil); err != nil {
			return "", "", err
		}
	}
	return app.ID, app.Secret, nil
}

// DoJSON sends req, checks the status (want, or any 2xx when want is 0)
// and decodes the body into out (if not nil).
func DoJSON(req *http.Request, want int, out any) error {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if (want != 0 && res.StatusCode != want) || res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// WaitReady polls u until it answers 200, for up to 30 s.
func WaitReady(u string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(u); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the server did not become ready")
}

// statusKiB reads a "Name: N kB" line of /proc/PID/status.
func statusKiB(pid int, name string) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+":") {
			f := strings.Fields(line)
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// PeakRSSKiB reads the process's high-water resident set size.
func PeakRSSKiB(pid int) int { return statusKiB(pid, "VmHWM") }

// RSSKiB reads the process's resident set size now.
func RSSKiB(pid int) int { return statusKiB(pid, "VmRSS") }

// CPUTicks returns the process's user+system CPU time in clock ticks (1/100 s).
func CPUTicks(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return u + st
}

// NumCPU counts the machine's processors.
func NumCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

// User is what SetUpUser makes: a confidential web app whose refresh
// tokens do not rotate (so that one can be sent again and again) and a
// refresh token of a user signed in to it.
type User struct {
	AppID, Secret, Redirect string
	RefreshToken            string
	// Browser is the signed-in user's session at the server: an
	// authorization request with it answers at once with a code.
	Browser *http.Client
}

// UserName and UserPassword are the user SetUpUser creates.
const (
	UserName     = "loadtest"
	UserPassword = "Load-test passw0rd, long enough"
	userRedirect = "https://app.loadtest/callback"
)

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// SetUpUser creates, through the Management API, a user with a password
// and a Traditional web app that keeps its refresh tokens, signs the user
// in at the hosted sign-in page as a browser does, and exchanges the code
// for a refresh token.
func SetUpUser(base, endpoint string) (*User, error) {
	tok, err := ManagementToken(base, endpoint)
	if err != nil {
		return nil, err
	}
	call := func(method, path string, body, out any) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		return DoJSON(req, 0, out)
	}
	var app struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := call("POST", "/api/users", map[string]any{"username": UserName, "password": UserPassword}, nil); err != nil {
		return nil, err
	}
	if err := call("POST", "/api/applications", map[string]any{"name": "Load test web app", "type": "Traditional",
		"oidcClientMetadata":   map[string]any{"redirectUris": []string{userRedirect}},
		"customClientMetadata": map[string]any{"rotateRefreshToken": false}}, &app); err != nil {
		return nil, err
	}
	u := &User{AppID: app.ID, Secret: app.Secret, Redirect: userRedirect}
	jar, _ := cookiejar.New(nil)
	u.Browser = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	code, err := u.Code(base, endpoint)
	if err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {userRedirect}}
	req, _ := http.NewRequest("POST", base+"/oidc/token", strings.NewReader(form.Encode()))
	req.SetBasicAuth(u.AppID, u.Secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var t struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := DoJSON(req, 200, &t); err != nil {
		return nil, fmt.Errorf("code exchange: %w", err)
	}
	if t.RefreshToken == "" {
		return nil, errors.New("the code exchange gave no refresh token")
	}
	u.RefreshToken = t.RefreshToken
	return u, nil
}

// Code makes an authorization request as the user's browser and returns
// the code it ends with, signing in at the hosted page when there is no
// session yet. Redirects to the public endpoint are followed at base.
func (u *User) Code(base, endpoint string) (string, error) {
	q := url.Values{"response_type": {"code"}, "client_id": {u.AppID}, "redirect_uri": {u.Redirect},
		"scope": {"openid offline_access"}, "prompt": {"consent"}}
	next := base + "/oidc/auth?" + q.Encode()
	var form url.Values
	for range 10 {
		var res *http.Response
		var err error
		if form != nil {
			res, err = u.Browser.PostForm(next, form)
			form = nil
		} else {
			res, err = u.Browser.Get(next)
		}
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		loc := res.Header.Get("Location")
		switch {
		case strings.HasPrefix(loc, u.Redirect):
			l, err := url.Parse(loc)
			if err != nil || l.Query().Get("code") == "" {
				return "", fmt.Errorf("no code in the redirect %q", loc)
			}
			return l.Query().Get("code"), nil
		case loc != "":
			if strings.HasPrefix(loc, endpoint) {
				loc = base + strings.TrimPrefix(loc, endpoint)
			} else if strings.HasPrefix(loc, "/") {
				loc = base + loc
			}
			next = loc
		case res.StatusCode == 200 && bytes.Contains(body, []byte(`name="password"`)):
			form = url.Values{}
			for _, m := range hiddenInput.FindAllSubmatch(body, -1) {
				form.Set(string(m[1]), html.UnescapeString(string(m[2])))
			}
			form.Set("identifier", UserName)
			form.Set("password", UserPassword)
			next = base + "/sign-in"
		default:
			return "", fmt.Errorf("authorization request: %d at %s: %.300s", res.StatusCode, next, body)
		}
	}
	return "", errors.New("authorization request: too many redirects")
}

// Codes makes n authorization requests as the signed-in user's browser,
// conc at a time, and returns the codes they end with (see Code).
func (u *User) Codes(base, endpoint string, n, conc int) ([]string, error) {
	codes := make([]string, n)
	errs := make(chan error, conc)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			next <- i
		}
	}()
	for range conc {
		go func() {
			for i := range next {
				c, err := u.Code(base, endpoint)
				if err != nil {
					errs <- err
					for range next { // drain, so that the feeder ends
					}
					return
				}
				codes[i] = c
			}
			errs <- nil
		}()
	}
	var first error
	for range conc {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return codes, first
}
