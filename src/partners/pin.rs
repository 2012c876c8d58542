//! The `[as2] server_cert_sha256` pin of a profile read into its 32 bytes. Pure text; the
//! AS2 client receives the pin already read.

/// A `server_cert_sha256` value: 64 hex digits, colons or spaces between them allowed (as
/// `openssl x509 -fingerprint -sha256` prints it).
pub fn parse_pin(text: &str) -> Option<[u8; 32]> {
    let digits: Vec<u8> = text.bytes().filter(|b| !matches!(b, b':' | b' ')).collect();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in digits.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_with_or_without_colons() {
        let plain = "00".repeat(31) + "ff";
        let colons = plain
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap().to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        let mut want = [0u8; 32];
        want[31] = 0xff;
        assert_eq!(parse_pin(&plain), Some(want));
        assert_eq!(parse_pin(&colons), Some(want));
        assert_eq!(parse_pin("abcd"), None);
        assert_eq!(parse_pin(&"zz".repeat(32)), None);
    }
}
