//! GS1 identifiers: the mod-10 check digit, SSCC-18 (shipping labels) and GTIN checks. Not X12 syntax: X12, EDIFACT and the ERP side all carry them. Pure: no I/O.

use std::fmt;

/// Why a GS1 identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    #[error("must be {expected} digits, found {found} characters")]
    Length {
        expected: &'static str,
        found: usize,
    },
    #[error("contains a non-digit at position {position}")]
    NotDigits { position: usize },
    #[error("check digit is {found}, expected {expected}")]
    CheckDigit { expected: u8, found: u8 },
    #[error("extension digit must be 0-9, found {0}")]
    Extension(u8),
    #[error("GS1 company prefix must be 7 to 10 digits, found {0}")]
    CompanyPrefix(usize),
    #[error(
        "serial reference {serial} does not fit the {width} digits left by a {prefix_len}-digit company prefix"
    )]
    SerialReference {
        serial: u64,
        width: usize,
        prefix_len: usize,
    },
}

/// GS1 mod-10 check digit over `digits` (the payload without its check digit):
/// weights 3,1,3,1,... starting from the rightmost payload digit. `None` if a byte is not a digit.
pub fn check_digit(digits: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = u32::from(b - b'0');
        sum += if i % 2 == 0 { 3 * d } else { d };
    }
    // sum % 10 < 10, so the cast cannot truncate.
    Some(((10 - sum % 10) % 10) as u8)
}

fn all_digits(s: &str) -> Result<(), Gs1Error> {
    match s.bytes().position(|b| !b.is_ascii_digit()) {
        Some(p) => Err(Gs1Error::NotDigits { position: p + 1 }),
        None => Ok(()),
    }
}

/// Verifies the last digit of a complete identifier against the others.
fn verify(s: &str) -> Result<(), Gs1Error> {
    all_digits(s)?;
    let bytes = s.as_bytes();
    let (Some((&last, payload)), true) = (bytes.split_last(), !bytes.is_empty()) else {
        return Err(Gs1Error::Length {
            expected: "at least 2",
            found: 0,
        });
    };
    let expected = check_digit(payload).unwrap_or(0);
    let found = last - b'0';
    if expected == found {
        Ok(())
    } else {
        Err(Gs1Error::CheckDigit { expected, found })
    }
}

/// Checks a GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN) or GTIN-14: length and check digit.
pub fn check_gtin(s: &str) -> Result<(), Gs1Error> {
    if !matches!(s.len(), 8 | 12 | 13 | 14) {
        return Err(Gs1Error::Length {
            expected: "8, 12, 13 or 14",
            found: s.len(),
        });
    }
    verify(s)
}

/// A Serial Shipping Container Code: exactly 18 digits whose last is the GS1 check digit.
/// Construction validates, so holding an `Sscc` means the label number is well formed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sscc(String);

impl Sscc {
    /// Validates an 18-digit SSCC as printed on a label (or as found in MAN02).
    pub fn parse(s: &str) -> Result<Sscc, Gs1Error> {
        if s.len() != 18 {
            return Err(Gs1Error::Length {
                expected: "18",
                found: s.len(),
            });
        }
        verify(s)?;
        Ok(Sscc(s.to_string()))
    }

    /// Builds an SSCC from its parts: extension digit, GS1 company prefix (7-10 digits) and
    /// serial reference (zero-padded to fill the 16 digits the two share), then the check digit.
    pub fn new(
        extension: u8,
        company_prefix: &str,
        serial_reference: u64,
    ) -> Result<Sscc, Gs1Error> {
        if extension > 9 {
            return Err(Gs1Error::Extension(extension));
        }
        all_digits(company_prefix)?;
        if !(7..=10).contains(&company_prefix.len()) {
            return Err(Gs1Error::CompanyPrefix(company_prefix.len()));
        }
        let width = 16 - company_prefix.len();
        let serial = format!("{serial_reference:0width$}");
        if serial.len() != width {
            return Err(Gs1Error::SerialReference {
                serial: serial_reference,
                width,
                prefix_len: company_prefix.len(),
            });
        }
        let mut payload = format!("{extension}{company_prefix}{serial}");
        let check = check_digit(payload.as_bytes()).unwrap_or(0);
        payload.push(char::from(b'0' + check));
        Ok(Sscc(payload))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn extension_digit(&self) -> u8 {
        self.0.as_bytes().first().map_or(0, |b| b - b'0')
    }
}

impl fmt::Display for Sscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_by_hand() {
        // 1 0614141 234567890: weights 3,1,3,... from the right over 17 digits, so the
        // odd positions from the left weigh 3: 1+6+4+4+2+4+6+8+0 = 35 → 105; even: 0+1+1+1+3+5+7+9 = 27.
        // 105 + 27 = 132 → (10 - 2) % 10 = 8.
        assert_eq!(check_digit(b"10614141234567890"), Some(8));
        let s = Sscc::new(1, "0614141", 234_567_890).unwrap();
        assert_eq!(s.as_str(), "106141412345678908");
        assert_eq!(Sscc::parse("106141412345678908").unwrap(), s);
        // 16 zeros then 1: only the rightmost digit counts, weight 3 → 3 → check 7.
        assert_eq!(
            Sscc::new(0, "0000000", 1).unwrap().as_str(),
            "000000000000000017"
        );
        // A sum that is a multiple of ten gives 0 (not 10); 5 × 3 = 15 → 5.
        assert_eq!(check_digit(b"00000000000000000"), Some(0));
        assert_eq!(check_digit(b"00000000000000005"), Some(5));
        assert_eq!(check_digit(b"1A"), None);
    }

    #[test]
    fn refuses_bad_ssccs() {
        assert_eq!(
            Sscc::parse("106141412345678907"),
            Err(Gs1Error::CheckDigit {
                expected: 8,
                found: 7
            })
        );
        assert!(matches!(
            Sscc::parse("10614141234567890"),
            Err(Gs1Error::Length { found: 17, .. })
        ));
        assert_eq!(
            Sscc::parse("10614141234567890X"),
            Err(Gs1Error::NotDigits { position: 18 })
        );
        assert!(matches!(
            Sscc::new(1, "0614141", 1_000_000_000),
            Err(Gs1Error::SerialReference { width: 9, .. })
        ));
        assert_eq!(Sscc::new(10, "0614141", 1), Err(Gs1Error::Extension(10)));
        assert_eq!(Sscc::new(1, "061414", 1), Err(Gs1Error::CompanyPrefix(6)));
    }

    #[test]
    fn gtins() {
        // EAN-13 4006381333931: 4+0+3+1+3+9 = 20 at weight 1 plus (0+6+8+3+3+3) = 23 ×3 = 69 → 89 → 1.
        assert!(check_gtin("4006381333931").is_ok());
        assert!(check_gtin("4006381333932").is_err());
        // UPC-A 036000291452.
        assert!(check_gtin("036000291452").is_ok());
        assert!(check_gtin("9780446360265").is_ok());
        assert!(check_gtin("12345").is_err());
    }
}
