package test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golden-pipelines/microservice-pipelines/constructs/ecsservice"
)

// ncStandIn is busybox's `nc -l -p PORT` as the placeholder uses it: accept one connection,
// read the request, answer with standard input, close.
const ncStandIn = `package main

import (
	"bufio"
	"io"
	"net"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[len(os.Args)-1])
	if err != nil {
		panic(err)
	}
	c, err := ln.Accept()
	if err != nil {
		panic(err)
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			break
		}
	}
	answer, _ := io.ReadAll(os.Stdin)
	c.Write(answer)
	c.Close()
}
`

// The container placeholder works as the task definition runs every image: its Dockerfile's
// command, run by sh as user 1000:1000 (no root) in a mount namespace whose root file system is
// read-only, answers the health check with 200, over and over. busybox's nc is replaced by a
// stand-in that behaves the same (the machine has no container engine); the command's own shell
// loop, pipes and redirections are the image's.
func TestContainerPlaceholderRunsAsNonRootOnAReadOnlyRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to enter a mount namespace and drop to user 1000 (CI runs as root)")
	}
	user, script := placeholderCommand(t)
	if user != ecsservice.ContainerUser {
		t.Errorf("the Dockerfile's USER is %q, the task's %q", user, ecsservice.ContainerUser)
	}
	// Not t.TempDir(): its parent is private to root, and user 1000 must run the stand-in.
	bin, err := os.MkdirTemp("", "golden-pipelines-placeholder-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(bin)
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(bin, "nc.go")
	if err := os.WriteFile(src, []byte(ncStandIn), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", "nc", "nc.go")
	build.Dir = bin // outside the module: a single-file program
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the nc stand-in: %v\n%s", err, out)
	}
	port := freePort(t)
	uid, gid, _ := strings.Cut(ecsservice.ContainerUser, ":")
	// In its own mount namespace: the root read-only, then the image's command as the task's
	// user, after checking that it can write nowhere and is not root.
	guard := `mount -o remount,ro,bind / && exec setpriv --reuid=` + uid + ` --regid=` + gid + ` --clear-groups sh -c '
		if touch /tmp/placeholder-probe 2>/dev/null || touch /placeholder-probe 2>/dev/null; then echo "the root is writable" >&2; exit 3; fi
		[ "$(id -u):$(id -g)" = "` + ecsservice.ContainerUser + `" ] || { echo "running as $(id -u):$(id -g)" >&2; exit 4; }
		exec sh -c "$0"' "$1"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", guard, "sh", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin", fmt.Sprintf("PORT=%d", port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	for i := 0; i < 3; i++ { // the loop answers every request, not only the first
		body, err := getWhenListening(fmt.Sprintf("http://127.0.0.1:%d/healthz", port), exited)
		if err != nil {
			t.Fatalf("request %d: %v\n%s", i+1, err, stderr.String())
		}
		if !strings.Contains(body, "no release yet") {
			t.Errorf("request %d: %q", i+1, body)
		}
	}
}

// placeholderCommand reads the placeholder Dockerfile's USER and the script of its CMD
// ["sh", "-c", script].
func placeholderCommand(t *testing.T) (user, script string) {
	t.Helper()
	f, err := os.Open("../constructs/ecsservice/placeholder/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if u, ok := strings.CutPrefix(line, "USER "); ok {
			user = u
		}
		if c, ok := strings.CutPrefix(line, "CMD "); ok {
			var argv []string
			if err := json.Unmarshal([]byte(c), &argv); err != nil || len(argv) != 3 || argv[0] != "sh" || argv[1] != "-c" {
				t.Fatalf("CMD %s: want [\"sh\", \"-c\", script] (%v)", c, err)
			}
			script = argv[2]
		}
	}
	if script == "" {
		t.Fatal("the Dockerfile has no CMD")
	}
	return user, script
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// getWhenListening GETs url, retrying for up to 10 s while nothing listens, and returns the
// body of a 200 answer.
func getWhenListening(url string, exited chan error) (string, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the caller's wait
			return "", fmt.Errorf("the placeholder exited: %v", err)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("status %d", resp.StatusCode)
			}
			return string(b), err
		}
		if time.Now().After(deadline) {
			return "", err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
