//! TLS record and handshake parsing as the legacy-protocol probe does it
//! (src/collect/web/legacy.rs: records with tls-parser, then handshake messages
//! reassembled from their 24-bit lengths) on arbitrary server answers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|answer: &[u8]| {
    let mut rest = answer;
    let mut handshake = Vec::new();
    while !rest.is_empty() && (20..=24).contains(&rest[0]) {
        match tls_parser::parse_tls_raw_record(rest) {
            Ok((next, record)) => {
                handshake.extend_from_slice(record.data);
                rest = next;
            }
            Err(_) => break,
        }
    }
    let mut hs = handshake.as_slice();
    while hs.len() >= 4 {
        let len = u32::from_be_bytes([0, hs[1], hs[2], hs[3]]) as usize;
        if hs.len() < 4 + len {
            break;
        }
        let _ = tls_parser::parse_tls_message_handshake(&hs[..4 + len]);
        hs = &hs[4 + len..];
    }
});
