//! TLS record and handshake parsing of the legacy-protocol probe
//! (src/collect/web/legacy.rs `parse_flight`, the code a scan runs on a server's
//! answer) on arbitrary answers, for each version a probe offers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|answer: &[u8]| {
    for offered in [0x0300, 0x0301, 0x0302, 0x0303] {
        let _ = khien::collect::web::legacy::fuzz_parse_flight(answer, offered);
    }
});
