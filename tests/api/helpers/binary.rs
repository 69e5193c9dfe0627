//! The real `suiteplan` binary as a child process, for what only a process shows: `kill -9`, the
//! demo's printed keys, process-wide state.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the binary may take from spawn to its `listening on` line (migrations included).
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How many of its last stderr lines a failure to start shows.
const TAIL: usize = 30;

/// A running `suiteplan serve`; killed (SIGKILL) and reaped on drop.
pub struct Binary {
    child: Child,
    /// `127.0.0.1:PORT`, from its `listening on` line.
    pub addr: String,
    /// In a mutex only so that a `TestApp` holding this stays `Sync`.
    stdout: Mutex<Receiver<String>>,
    /// Its last stderr lines (its log).
    tail: Arc<Mutex<VecDeque<String>>>,
}

/// Starts `suiteplan serve --bind 127.0.0.1:0` with what `tweak` adds (arguments, environment,
/// working directory) and returns once it has logged `listening on` (the listener is bound by
/// then), or fails the test after 60 s or when the process exits first.
pub async fn spawn_binary(tweak: impl FnOnce(&mut Command)) -> Binary {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_suiteplan"));
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        // The readiness line is an info event: a RUST_LOG of the test run must not hide it.
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tweak(&mut cmd);
    let mut child = cmd.spawn().expect("the suiteplan binary starts");

    let (stdout_tx, stdout) = mpsc::channel();
    let out = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if stdout_tx.send(line).is_err() {
                break;
            }
        }
    });

    // stderr is read to its end, so that the server never blocks on a full pipe.
    let (addr_tx, addr_rx) = mpsc::sync_channel(1);
    let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
    let err = child.stderr.take().expect("piped stderr");
    let show = std::env::var_os("TEST_LOG").is_some();
    std::thread::spawn({
        let tail = tail.clone();
        move || {
            let mut addr_tx = Some(addr_tx);
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if show {
                    eprintln!("{line}");
                }
                if let Some(addr) = listening_addr(&line) {
                    if let Some(tx) = addr_tx.take() {
                        let _ = tx.send(addr);
                    }
                }
                let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                if tail.len() == TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
    });

    let waited = tokio::task::spawn_blocking(move || addr_rx.recv_timeout(READY_WITHIN))
        .await
        .expect("the waiting task runs");
    match waited {
        Ok(addr) => Binary {
            child,
            addr,
            stdout: Mutex::new(stdout),
            tail: tail.clone(),
        },
        Err(why) => {
            let _ = child.kill();
            let status = child.wait();
            let why = match why {
                RecvTimeoutError::Timeout => {
                    format!("no `listening on` line within {READY_WITHIN:?}")
                }
                RecvTimeoutError::Disconnected => "stderr closed before `listening on`".into(),
            };
            let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
            panic!(
                "suiteplan serve did not start: {why} (exit: {status:?}); stderr ends:\n{}",
                Vec::from(tail.clone()).join("\n")
            );
        }
    }
}

/// `ADDR` of `… listening on http://ADDR`, in the pretty format and in JSON logs alike.
fn listening_addr(line: &str) -> Option<String> {
    const MARK: &str = "listening on http://";
    let rest = &line[line.find(MARK)? + MARK.len()..];
    let addr: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\u{1b}')
        .collect();
    (!addr.is_empty()).then_some(addr)
}

impl Binary {
    /// `http://ADDR`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `n` lines it prints on stdout (failing after 30 s without one). Lines printed
    /// before `listening on` are already in the pipe.
    pub fn stdout_lines(&self, n: usize) -> Vec<String> {
        let stdout = self.stdout.lock().unwrap_or_else(|e| e.into_inner());
        (0..n)
            .map(|i| {
                stdout
                    .recv_timeout(Duration::from_secs(30))
                    .unwrap_or_else(|e| panic!("stdout line {}: {e}", i + 1))
            })
            .collect()
    }

    /// Its last stderr lines so far (at most `TAIL`).
    pub fn stderr_tail(&self) -> Vec<String> {
        let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        Vec::from(tail.clone())
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends it `signal` with kill(1): `STOP` freezes it (a replica that stalls: every thread,
    /// its timers included), `CONT` lets it run on.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill -{signal} {}: {status}", self.pid());
    }

    /// `kill -9`, then reaps it.
    pub fn kill(&mut self) -> std::io::Result<ExitStatus> {
        self.child.kill()?;
        self.child.wait()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
