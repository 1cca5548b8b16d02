//! Hostile documents are parsed in a child process: the same executable started as
//! `khien __extract --ext EXT`, reading the document on standard input and writing
//! the outcome on standard output.
//!
//! Why a process and not a thread: a parser that overflows its stack (a PDF form
//! that draws itself), or that inflates a small stream into gigabytes, takes the
//! whole process down or exhausts the machine, and no thread guard can stop that.
//! The parent gives the child a memory and CPU limit (rlimits on Unix, a Job Object
//! on Windows) and a wall-clock deadline after which it is killed; whatever ends the
//! child becomes [`Extracted::Failed`] or [`Extracted::Timeout`] for that document
//! and the scan goes on.
//!
//! Isolation is used when the executable enables it ([`use_this_executable`], called
//! by `khien`'s `main`). The library used on its own (unit tests, benches, another
//! program) has no `__extract` command to start, so it parses in-process on a
//! guarded thread; so does a machine where the child cannot be spawned (the failure
//! is not hidden: the in-process path still catches panics and slow parsers).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use clap::Args;

use super::extract::{self, ExtractLimits, Extracted};

/// The hidden subcommand's name.
pub const SUBCOMMAND: &str = "__extract";

/// Extra wall-clock time for the child beyond the parse limit: starting the
/// executable and piping the document.
const STARTUP_GRACE: Duration = Duration::from_secs(2);

/// Most of the child's standard error kept (its panic or abort message).
const MAX_STDERR: u64 = 16 * 1024;

static HELPER: OnceLock<PathBuf> = OnceLock::new();

/// Makes document extraction run in child processes of the running executable,
/// which must understand [`SUBCOMMAND`]. Called once by `khien`'s `main`.
pub fn use_this_executable() {
    if let Ok(exe) = std::env::current_exe() {
        let _ = HELPER.set(exe);
    }
}

/// Whether documents are parsed in child processes.
pub fn enabled() -> bool {
    HELPER.get().is_some()
}

/// Arguments of the hidden `khien __extract` command (the child side).
#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// Format, as a lower-case file extension.
    #[arg(long)]
    pub ext: String,
    #[arg(long)]
    pub max_file_bytes: u64,
    #[arg(long)]
    pub max_text_bytes: usize,
    #[arg(long)]
    pub max_millis: u64,
}

/// The child: reads the document on standard input, parses it in-process and
/// writes the outcome on standard output (see [`encode`]). Exit code 0 when the
/// outcome was written, 3 when it could not be.
pub fn child_main(args: &ExtractArgs) -> u8 {
    let limits = ExtractLimits {
        max_file_bytes: args.max_file_bytes,
        max_text_bytes: args.max_text_bytes,
        max_duration: Duration::from_millis(args.max_millis),
        ..ExtractLimits::default()
    };
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        eprintln!("cannot read the document: {e}");
        return 3;
    }
    let outcome = extract::extract_bytes_in_process(&args.ext, bytes, limits);
    let mut out = std::io::stdout().lock();
    match out.write_all(&encode(&outcome)).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(_) => 3,
    }
}

/// The outcome on the wire: a tag line, then the text or detail as raw UTF-8.
fn encode(e: &Extracted) -> Vec<u8> {
    let (tag, body): (&str, &str) = match e {
        Extracted::Text(t) => ("text", t),
        Extracted::Protected => ("protected", ""),
        Extracted::Unsupported => ("unsupported", ""),
        Extracted::TooLarge => ("too_large", ""),
        Extracted::Timeout => ("timeout", ""),
        Extracted::Failed(d) => ("failed", d),
    };
    let mut out = Vec::with_capacity(tag.len() + 1 + body.len());
    out.extend_from_slice(tag.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body.as_bytes());
    out
}

fn decode(bytes: Vec<u8>) -> Extracted {
    let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
        return Extracted::Failed("the parser process gave no result".into());
    };
    let body = String::from_utf8_lossy(&bytes[nl + 1..]).into_owned();
    match &bytes[..nl] {
        b"text" => Extracted::Text(body),
        b"protected" => Extracted::Protected,
        b"unsupported" => Extracted::Unsupported,
        b"too_large" => Extracted::TooLarge,
        b"timeout" => Extracted::Timeout,
        b"failed" => Extracted::Failed(body),
        _ => Extracted::Failed("the parser process gave an unreadable result".into()),
    }
}

/// Parses `bytes` in a child process when isolation is enabled; `None` when it is
/// not, or when no child could be started (the caller parses in-process).
pub fn extract_in_child(ext: &str, bytes: &[u8], limits: ExtractLimits) -> Option<Extracted> {
    let exe = HELPER.get()?;
    let mut cmd = Command::new(exe);
    cmd.arg(SUBCOMMAND)
        .arg("--ext")
        .arg(ext)
        .arg("--max-file-bytes")
        .arg(limits.max_file_bytes.to_string())
        .arg("--max-text-bytes")
        .arg(limits.max_text_bytes.to_string())
        .arg("--max-millis")
        .arg(limits.max_duration.as_millis().to_string())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    limit_child(&mut cmd, limits);
    let mut child = cmd.spawn().ok()?;
    // Kept until the child has ended: closing the job kills what is left in it.
    let _job = windows_job::confine(&child, limits);
    Some(supervise(&mut child, bytes, limits))
}

/// Feeds the document, collects the outcome, and kills the child at the deadline.
fn supervise(child: &mut Child, bytes: &[u8], limits: ExtractLimits) -> Extracted {
    let deadline = Instant::now() + limits.max_duration + STARTUP_GRACE;
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    // The text can be as large as the text limit plus the tag line.
    let max_out = limits.max_text_bytes as u64 + 64;
    let outcome = std::thread::scope(|s| {
        // A child that dies early closes its input: the write error is expected.
        s.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        let out = s.spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.take(max_out).read_to_end(&mut buf);
            buf
        });
        let err = s.spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.take(MAX_STDERR).read_to_end(&mut buf);
            buf
        });
        let status = wait_until(child, deadline);
        let out = out.join().unwrap_or_default();
        let err = err.join().unwrap_or_default();
        (status, out, err)
    });
    match outcome {
        (None, _, _) => Extracted::Timeout,
        (Some(status), out, _) if status.success() => decode(out),
        (Some(status), _, err) => Extracted::Failed(why_it_ended(status, &err, limits)),
    }
}

/// Waits for the child until `deadline`; on expiry kills it and returns `None`.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(_) => {
                let _ = child.kill();
                return child.wait().ok();
            }
        }
    }
}

/// A reason for a child that did not end normally, from its exit status and the
/// message the Rust runtime printed (never file contents: parsers' messages are
/// not copied).
fn why_it_ended(status: ExitStatus, stderr: &[u8], limits: ExtractLimits) -> String {
    let err = String::from_utf8_lossy(stderr);
    let mb = limits.max_memory_bytes / (1024 * 1024);
    if err.contains("has overflowed its stack") {
        return "the parser overflowed its stack (a self-referencing or too deeply nested document)".into();
    }
    if err.contains("memory allocation of") || err.contains("capacity overflow") {
        return format!("the document needs more than the memory limit of {mb} MB to read");
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return match sig {
                libc::SIGXCPU => format!(
                    "the parser used more than {} s of processor time",
                    limits.max_duration.as_secs_f64().ceil()
                ),
                libc::SIGSEGV | libc::SIGBUS => {
                    "the parser crashed (memory fault); memory or stack limit reached".into()
                }
                sig => format!("the parser process ended with signal {sig}"),
            };
        }
    }
    match status.code() {
        // A Job Object's memory limit makes allocations fail: the runtime aborts.
        Some(code) => format!("the parser process failed (exit code {code})"),
        None => "the parser process ended abnormally".into(),
    }
}

/// Linux: address-space, CPU-time, core-file and file-size limits set in the child
/// between fork and exec. Only async-signal-safe calls (setrlimit) run there.
#[cfg(target_os = "linux")]
fn limit_child(cmd: &mut Command, limits: ExtractLimits) {
    use std::os::unix::process::CommandExt;
    let memory = limits.max_memory_bytes as libc::rlim_t;
    // Whole seconds, rounded up, plus one: the wall-clock deadline is the finer one.
    let cpu = limits.max_duration.as_secs_f64().ceil() as libc::rlim_t + 1;
    // SAFETY: the closure only calls setrlimit, which is async-signal-safe, and
    // touches no memory shared with the parent.
    unsafe {
        cmd.pre_exec(move || {
            let set = |resource, value: libc::rlim_t| {
                let lim = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                if libc::setrlimit(resource, &lim) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            };
            set(libc::RLIMIT_AS, memory)?;
            set(libc::RLIMIT_CPU, cpu)?;
            // A crashing parser leaves no core file; the child writes no files.
            set(libc::RLIMIT_CORE, 0)?;
            set(libc::RLIMIT_FSIZE, 0)?;
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn limit_child(_cmd: &mut Command, _limits: ExtractLimits) {}

/// Windows: the child is put in a Job Object limiting its memory and processor
/// time, killed when the job's handle closes. Compiled for Windows, not tested here
/// (the Linux build runs the rlimit path). The child reads its document before
/// parsing, so assigning it to the job after spawn leaves no parse unconfined.
#[cfg(windows)]
mod windows_job {
    use std::os::windows::io::AsRawHandle;
    use std::process::Child;

    use windows::Win32::Foundation::{CloseHandle, HANDLE};
    use windows::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        JOB_OBJECT_LIMIT_PROCESS_MEMORY, JOB_OBJECT_LIMIT_PROCESS_TIME,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
        SetInformationJobObject,
    };

    use super::ExtractLimits;

    /// Closes the job (killing the child if it still runs) when dropped.
    pub struct Job(HANDLE);

    impl Drop for Job {
        fn drop(&mut self) {
            // SAFETY: the handle came from CreateJobObjectW and is closed once.
            unsafe {
                let _ = CloseHandle(self.0);
            }
        }
    }

    pub fn confine(child: &Child, limits: ExtractLimits) -> Option<Job> {
        // SAFETY: plain Win32 calls on handles owned here or by `child`.
        unsafe {
            let job = Job(CreateJobObjectW(None, None).ok()?);
            let mut info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
            info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_PROCESS_MEMORY
                | JOB_OBJECT_LIMIT_PROCESS_TIME
                | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
            // 100-nanosecond units.
            info.BasicLimitInformation.PerProcessUserTimeLimit =
                (limits.max_duration.as_secs_f64().ceil() as i64 + 1) * 10_000_000;
            info.ProcessMemoryLimit = limits.max_memory_bytes as usize;
            SetInformationJobObject(
                job.0,
                JobObjectExtendedLimitInformation,
                &info as *const _ as *const core::ffi::c_void,
                std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
            .ok()?;
            AssignProcessToJobObject(job.0, HANDLE(child.as_raw_handle())).ok()?;
            Some(job)
        }
    }
}

#[cfg(not(windows))]
mod windows_job {
    use std::process::Child;

    use super::ExtractLimits;

    pub struct Job;

    pub fn confine(_child: &Child, _limits: ExtractLimits) -> Option<Job> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_survive_the_pipe() {
        for e in [
            Extracted::Text("STT\tCCCD\n1\t068207001234\n".into()),
            Extracted::Text(String::new()),
            Extracted::Protected,
            Extracted::Unsupported,
            Extracted::TooLarge,
            Extracted::Timeout,
            Extracted::Failed("PDF: bad xref\nsecond line".into()),
        ] {
            assert_eq!(decode(encode(&e)), e);
        }
        assert!(matches!(decode(Vec::new()), Extracted::Failed(_)));
        assert!(matches!(decode(b"what\n".to_vec()), Extracted::Failed(_)));
    }
}
