//! A real rsyslogd for the syslog tests: started as a child process (`rsyslogd -n -f CONF
//! -i PIDFILE`) with a config generated in a temp dir, listening on loopback only, and
//! stopped when dropped.
//!
//! It listens with `imudp` and `imtcp` on free ports, and with `imuxsock` on a socket in
//! its dir, and writes every message twice: `raw.log` as received (`%rawmsg%`) and
//! `parsed.log` as rsyslog parsed it, one line per message:
//! `SEVERITY|FACILITY|APP-NAME|PROCID|MSGID|TIMESTAMP|STRUCTURED-DATA|MSG`; and
//! `sd.log`, the structured data as rsyslog's `mmpstrucdata` decodes it, one JSON object
//! per message (`{"sd-id": {"param": "value", …}, …}`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) rsyslogd and its files.
#[derive(Debug)]
pub struct Rsyslog {
    /// Its config, work directory and output files.
    pub dir: tempfile::TempDir,
    /// The UDP port it listens on (127.0.0.1).
    pub udp: u16,
    /// The TCP port it listens on (127.0.0.1).
    pub tcp: u16,
    child: Option<Child>,
}

/// Whether `rsyslogd` can be run here; `None` when it can, else why not. Under `CI`, a
/// missing rsyslogd is a failure, not a skip.
pub fn missing() -> Option<String> {
    let found = Command::new("rsyslogd")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return None;
    }
    let reason = "rsyslogd is not installed (apt-get install -y rsyslog)".to_owned();
    assert!(std::env::var_os("CI").is_none(), "CI: {reason}");
    Some(reason)
}

/// A free loopback port for `kind` (`tcp` or `udp`), found by binding port 0.
fn free_port(udp: bool) -> u16 {
    if udp {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .expect("a free UDP port")
    } else {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .expect("a free TCP port")
    }
}

impl Rsyslog {
    /// Writes the config (free ports chosen now) without starting rsyslogd.
    pub fn configure() -> Rsyslog {
        let dir = tempfile::tempdir().expect("temp dir");
        let udp = free_port(true);
        let tcp = free_port(false);
        let d = dir.path().display();
        let config = format!(
            r#"global(workDirectory="{d}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="imuxsock" SysSock.Use="off")
module(load="mmpstrucdata")
template(name="raw" type="string" string="%rawmsg%\n")
template(name="parsed" type="string" string="%syslogseverity%|%syslogfacility-text%|%app-name%|%procid%|%msgid%|%timereported:::date-rfc3339%|%structured-data%|%msg%\n")
template(name="sd" type="string" string="%$!rfc5424-sd%\n")
ruleset(name="all") {{
  action(type="omfile" file="{d}/raw.log" template="raw")
  action(type="omfile" file="{d}/parsed.log" template="parsed")
  action(type="mmpstrucdata")
  action(type="omfile" file="{d}/sd.log" template="sd")
}}
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="all")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="all")
input(type="imuxsock" Socket="{d}/log.sock" CreatePath="on" ruleset="all" UseSpecialParser="off" ParseHostname="on")
"#
        );
        std::fs::write(dir.path().join("rsyslog.conf"), config).expect("write config");
        Rsyslog {
            dir,
            udp,
            tcp,
            child: None,
        }
    }

    /// Configures and starts one, waiting until it listens.
    pub fn start() -> Rsyslog {
        let mut rsyslog = Rsyslog::configure();
        rsyslog.run();
        rsyslog
    }

    /// Its unix datagram socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("log.sock")
    }

    /// The lines of `raw.log` or `parsed.log`.
    pub fn lines(&self, file: &str) -> Vec<String> {
        crate::lines(self.dir.path().join(file))
    }

    /// Starts rsyslogd (again) and waits until its TCP input accepts connections.
    pub fn run(&mut self) {
        let dir = self.dir.path();
        let _ = std::fs::remove_file(dir.join("rsyslog.pid"));
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.join("rsyslog.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.join("rsyslogd.stderr"))
                    .map_or(Stdio::null(), Stdio::from),
            )
            .spawn()
            .expect("start rsyslogd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = std::net::TcpStream::connect(("127.0.0.1", self.tcp)).is_ok()
                && self.socket().exists();
            if up {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not start: {}",
                std::fs::read_to_string(dir.join("rsyslogd.stderr")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops rsyslogd with SIGTERM (it writes out what it received) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until `file` has at least `count` lines (at most `limit`); returns them.
    pub fn wait_lines(&self, file: &str, count: usize, limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        loop {
            let lines = self.lines(file);
            if lines.len() >= count || Instant::now() >= deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
    }
}
