//! Linux time synchronisation (H17): the kernel's clock status, read with
//! `adjtimex(2)` in read-only mode (no privilege needed). A time daemon that
//! disciplines the clock (systemd-timesyncd, chronyd, ntpd) clears the kernel's
//! `STA_UNSYNC` flag; `timedatectl` shows the same flag as "System clock
//! synchronized". The daemons found running are listed as evidence.

use crate::facts::host::TimeSyncFacts;
use crate::facts::{Fact, ReasonCode};

/// Process names of time daemons. `/proc` truncates names to 15 characters, hence
/// `systemd-timesyn`.
const TIME_DAEMONS: &[&str] = &[
    "systemd-timesyn",
    "systemd-timesyncd",
    "chronyd",
    "ntpd",
    "openntpd",
    "ntpsec",
];

/// `STA_UNSYNC` in `struct timex`'s `status` (linux/timex.h): the clock is not
/// synchronised.
const STA_UNSYNC: i32 = 0x0040;

pub fn collect(processes: &Fact<Vec<String>>) -> TimeSyncFacts {
    judge(kernel_clock_status(), processes)
}

/// The `status` bits of the kernel clock, or why they could not be read.
fn kernel_clock_status() -> Result<i32, String> {
    // SAFETY: `modes` is 0 (zeroed struct), so adjtimex only fills the struct we
    // own and changes nothing.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    if state < 0 {
        Err(format!("adjtimex: {}", std::io::Error::last_os_error()))
    } else {
        Ok(tx.status)
    }
}

fn judge(status: Result<i32, String>, processes: &Fact<Vec<String>>) -> TimeSyncFacts {
    TimeSyncFacts {
        synchronized: match status {
            Ok(bits) => Fact::known(bits & STA_UNSYNC == 0),
            Err(why) => Fact::unknown(ReasonCode::Unsupported, why),
        },
        services: processes.clone().map(|ps| {
            ps.into_iter()
                .filter(|p| TIME_DAEMONS.contains(&p.as_str()))
                .collect()
        }),
        source: "kernel clock status (adjtimex)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_flag_decides_and_daemons_are_listed() {
        let ps = Fact::known(vec![
            "bash".to_string(),
            "chronyd".to_string(),
            "systemd-timesyn".to_string(),
        ]);
        // STA_PLL (0x0001) set, STA_UNSYNC clear: synchronised.
        let t = judge(Ok(0x0001), &ps);
        assert_eq!(t.synchronized.value(), Some(&true));
        assert_eq!(
            t.services.value().unwrap(),
            &vec!["chronyd".to_string(), "systemd-timesyn".to_string()]
        );
        // STA_UNSYNC set (the kernel's default until a daemon syncs): not.
        assert_eq!(judge(Ok(0x0041), &ps).synchronized.value(), Some(&false));
        // adjtimex refused (a seccomp profile): unknown, never a pass.
        let t = judge(Err("adjtimex: Operation not permitted".into()), &ps);
        assert_eq!(
            t.synchronized.unknown_reason().unwrap().reason,
            ReasonCode::Unsupported
        );
    }
}
