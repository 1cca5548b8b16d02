//! The server's pages in real headless Chromium against a real `khien serve` on
//! loopback: Chromium logs in through the form (cookies, CSRF, redirect), then opens
//! the dashboard, a unit page and a filtered debt list; each page's rendered text is
//! checked for its content, no console message may appear (no script, no blocked
//! resource, no CSP violation), and a screenshot of each is kept in
//! `target/tmp/serve-artifacts/`. Chromium is driven over its DevTools pipe
//! (`--remote-debugging-pipe`: null-terminated JSON on file descriptors 3 and 4), so
//! nothing listens on a port. Skips with a message when Chromium is not installed.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::serve_web::{DEPT_PASSWORD, province};

/// Chromium with its DevTools pipe.
struct Browser {
    child: Child,
    to: std::fs::File,
    from: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Console and log entries seen so far.
    console: Vec<String>,
    _profile: tempfile::TempDir,
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors, which we then own.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2");
    // SAFETY: fresh descriptors from pipe2, owned nowhere else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

impl Browser {
    fn start(bin: &Path) -> Browser {
        use std::os::fd::AsRawFd;
        let profile = tempfile::tempdir().unwrap();
        // Chromium reads commands on fd 3 and writes answers on fd 4.
        let (cmd_read, cmd_write) = pipe();
        let (ans_read, ans_write) = pipe();
        let (r, w) = (cmd_read.as_raw_fd(), ans_write.as_raw_fd());
        let mut cmd = Command::new(bin);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-pipe",
            // The server's certificate is from the test's own CA.
            "--ignore-certificate-errors",
            "--window-size=1240,1754",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Out of the way of 3 and 4 first, then onto them (dup2 clears CLOEXEC).
                let a = libc::fcntl(r, libc::F_DUPFD, 10);
                let b = libc::fcntl(w, libc::F_DUPFD, 10);
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd_read);
        drop(ans_write);
        let (tx, from) = channel();
        let reader = std::fs::File::from(ans_read);
        std::thread::spawn(move || {
            let mut r = BufReader::new(reader);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        buf.pop();
                        if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                            && tx.send(v).is_err()
                        {
                            return;
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            to: std::fs::File::from(cmd_write),
            from,
            next_id: 0,
            session: String::new(),
            console: Vec::new(),
            _profile: profile,
        };
        let target = b.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().unwrap().to_string();
        let attached = b.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            b.call_page(domain, json!({}));
        }
        b
    }

    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let m = self
            .from
            .recv_timeout(left)
            .expect("chromium did not answer in time");
        match m["method"].as_str() {
            Some("Runtime.consoleAPICalled") => self.console.push(m["params"].to_string()),
            Some("Runtime.exceptionThrown") => self.console.push(m["params"].to_string()),
            Some("Log.entryAdded") => self.console.push(m["params"]["entry"].to_string()),
            _ => {}
        }
        m
    }

    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let m = self.next(deadline);
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
        }
    }

    fn call_page(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.call(Some(&s), method, params)
    }

    fn wait_load(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.next(deadline)["method"] != "Page.loadEventFired" {}
    }

    /// Opens `url` and waits for it to load.
    fn open(&mut self, url: &str) {
        self.call_page("Page.navigate", json!({"url": url}));
        self.wait_load();
    }

    /// Evaluates `js` in the page (DevTools' own evaluation: the page itself runs no
    /// script and its CSP forbids any).
    fn eval(&mut self, js: &str) -> Value {
        self.call_page(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true}),
        )["result"]["value"]
            .clone()
    }

    /// The whole page as PNG.
    fn screenshot(&mut self, out: &Path) {
        let r = self.call_page(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(
            png.len() > 10_000,
            "an empty screenshot? {} bytes",
            png.len()
        );
        std::fs::write(out, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_dashboard_a_unit_page_and_the_filtered_debt_list_in_chromium() {
    let Some(bin) = crate::support::chromium() else {
        crate::support::skip("chromium is not installed (apt-get install chromium)");
        return;
    };
    let (_site, server) = province();
    let base = server.url.clone();
    let dir = crate::support::artifacts("serve-artifacts");
    let mut b = Browser::start(&bin);

    // Logging in through the form, as a person would.
    b.open(&format!("{base}/"));
    let url = b.eval("location.pathname");
    assert_eq!(url, "/login", "no session: the login page");
    b.eval(&format!(
        "document.querySelector('input[name=name]').value = 'so';\
         document.querySelector('input[name=password]').value = {};\
         document.querySelector('form').submit();",
        serde_json::to_string(DEPT_PASSWORD).unwrap()
    ));
    b.wait_load();
    assert_eq!(
        b.eval("location.pathname"),
        "/",
        "logged in, on the dashboard"
    );

    let pages: [(&str, &str, &[&str]); 3] = [
        (
            "serve-dashboard",
            "/",
            &[
                "Báo cáo nợ tuân thủ an toàn thông tin ngành Giáo dục",
                "Đăng xuất",
                "Xã/phường",
                "Phường B'Lao",
                "LD-THPT-001",
                "K01",
            ],
        ),
        (
            "serve-unit",
            "/unit/LD-TH-004",
            &[
                "Báo cáo tuân thủ an toàn thông tin của đơn vị",
                "LD-TH-004",
                "Máy tính và website của đơn vị",
                "ld-th-004-pc",
            ],
        ),
        (
            "serve-debt-filtered",
            "/debt?severity=high&overdue=1",
            &["Danh sách nợ tuân thủ", "(quá hạn)", "Cao"],
        ),
    ];
    for (name, path, expected) in pages {
        b.open(&format!("{base}{path}"));
        let text = b.eval("document.body.innerText");
        let text = text.as_str().unwrap_or_default();
        for e in expected {
            assert!(text.contains(e), "{name}: no `{e}` in\n{text}");
        }
        assert_eq!(b.eval("document.scripts.length"), 0, "{name}: a script");
        if name == "serve-debt-filtered" {
            // Every row is a high, overdue item; the filter form shows the filter.
            let rows = b.eval(
                "[...document.querySelectorAll('tbody tr')].map(r => r.innerText).join('\\n')",
            );
            let rows = rows.as_str().unwrap();
            assert!(!rows.is_empty(), "no rows");
            for row in rows.lines() {
                assert!(
                    row.contains("\tCao\t") && row.contains("(quá hạn)"),
                    "{name}: {row}"
                );
            }
            assert_eq!(
                b.eval("document.querySelector('select[name=severity]').value"),
                "high"
            );
            assert_eq!(
                b.eval("document.querySelector('input[name=overdue]').checked"),
                true
            );
        }
        let png = dir.join(format!("{name}.png"));
        b.screenshot(&png);
        println!("screenshot: {}", png.display());
    }
    // Console messages (errors, CSP violations, failed loads) would be here.
    assert!(
        b.console.is_empty(),
        "console messages:\n{}",
        b.console.join("\n")
    );
}
