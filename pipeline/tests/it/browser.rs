//! A page open in headless Chromium, driven over the DevTools protocol on
//! a pipe (`--remote-debugging-pipe`: Chromium reads commands from its
//! file descriptor 3 and answers on 4, each message JSON ending in a NUL).
//! No WebSocket and no driver to install: what a test needs to watch a
//! live page change.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use serde_json::{Value, json};

pub struct Browser {
    chromium: Child,
    commands: std::io::PipeWriter,
    answers: BufReader<std::io::PipeReader>,
    /// The open page's session.
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
    /// Dropped with the browser, which stops the watchdog.
    _watchdog: std::sync::mpsc::Sender<()>,
}

/// How long a browser may live: a Chromium that stops answering is killed
/// then, which ends the read that waits on it, so a test fails instead of
/// hanging.
const LIFETIME: Duration = Duration::from_secs(600);

/// Kills process `pid` after [`LIFETIME`] unless told to stop first.
fn watchdog(pid: u32) -> std::sync::mpsc::Sender<()> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(LIFETIME) {
            // SAFETY: kill(2) on a process of ours that is still running:
            // the browser that owns it has not been dropped.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    });
    stop
}

/// Where Chromium is: `CHROMIUM`, else the first of its and Chrome's usual
/// names on PATH, in the order `.ci/test-tools` and `tests/a11y/check.sh`
/// look too.
pub fn chromium() -> Option<PathBuf> {
    match std::env::var_os("CHROMIUM") {
        Some(path) => Some(PathBuf::from(path)),
        None => [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .into_iter()
        .find_map(crate::support::find_on_path),
    }
}

impl Browser {
    /// Chromium started headless with `url` open in a page.
    pub fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (commands_read, commands) = std::io::pipe().unwrap();
        let (answers, answers_write) = std::io::pipe().unwrap();
        let (theirs_in, theirs_out) = (commands_read.as_raw_fd(), answers_write.as_raw_fd());
        let mut command =
            Command::new(chromium().expect("no Chromium: the test calls support::require first"));
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: between fork and exec only async-signal-safe calls:
        // fcntl and dup2. The pipe ends are first moved above 4, so that
        // putting one at 3 cannot close the other.
        unsafe {
            command.pre_exec(move || {
                let high_in = libc::fcntl(theirs_in, libc::F_DUPFD, 10);
                let high_out = libc::fcntl(theirs_out, libc::F_DUPFD, 10);
                if high_in < 0
                    || high_out < 0
                    || libc::dup2(high_in, 3) < 0
                    || libc::dup2(high_out, 4) < 0
                    || libc::close(high_in) < 0
                    || libc::close(high_out) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let chromium = command.spawn().unwrap();
        // Chromium's ends, closed here so that its exit ends our reads.
        drop((commands_read, answers_write));
        let watchdog = watchdog(chromium.id());
        let mut browser = Browser {
            chromium,
            commands,
            answers: BufReader::new(answers),
            session: String::new(),
            next_id: 0,
            _profile: profile,
            _watchdog: watchdog,
        };
        let target = browser.call("Target.createTarget", json!({ "url": url }));
        let target_id = target["targetId"].clone();
        let attached = browser.call(
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser
    }

    /// The value of a JavaScript expression in the page, or `None` while
    /// it cannot be evaluated (the page is reloading) or throws.
    pub fn evaluate(&mut self, expression: &str) -> Option<Value> {
        let answer = self.send(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        let result = answer.get("result")?;
        if result.get("exceptionDetails").is_some() {
            return None;
        }
        result["result"].get("value").cloned()
    }

    /// A browser-level command's result; panics on an error.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let answer = self.send(method, params);
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    /// Sends a command (to the page once one is attached) and returns its
    /// answer, passing over the events that come before it.
    fn send(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap();
        loop {
            let mut answer = Vec::new();
            let read = self.answers.read_until(0, &mut answer).unwrap();
            assert!(
                read > 0,
                "Chromium closed its pipe while we waited on {method}"
            );
            answer.pop();
            let answer: Value = serde_json::from_slice(&answer).unwrap();
            if answer["id"] == json!(id) {
                return answer;
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.chromium.kill();
        let _ = self.chromium.wait();
    }
}
