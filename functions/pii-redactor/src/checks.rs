//! Pure validators: checksums, issuer ranges, numbering-plan and calendar rules.

/// Luhn (mod 10) over ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn prefix_num(digits: &[u8], n: usize) -> u32 {
    digits
        .iter()
        .take(n)
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// Whether a card number's prefix and length belong to a current issuer range.
///
/// Sources: the networks' published IIN tables as collected in ISO/IEC 7812 issuer lists
/// (Visa, Mastercard incl. the 2-series since 2017, Amex, Discover Global Network's acceptance
/// table, which also lists the Diners Club and JCB ranges, UnionPay, Maestro, Mir, RuPay, Troy,
/// Verve, Humo, UzCard, InstaPayment, InterPayment, Dankort). UATP (`1`, 15 digits) is left
/// out: airline-only accounts, and a `1…` 15-digit run is far more often an id or a time.
pub(crate) fn card_issuer(digits: &[u8]) -> bool {
    let len = digits.len();
    let p1 = prefix_num(digits, 1);
    let p2 = prefix_num(digits, 2);
    let p3 = prefix_num(digits, 3);
    let p4 = prefix_num(digits, 4);
    let p6 = prefix_num(digits, 6);
    let l16_19 = (16..=19).contains(&len);
    match p1 {
        // JCB's original 15-digit ranges.
        1 => p4 == 1800 && len == 15,
        // Visa (13, 16, 19) incl. Electron; Visa also issues 14-18 for some BINs, so accept 13-19.
        4 => (13..=19).contains(&len),
        5 => {
            ((51..=55).contains(&p2) && len == 16) // Mastercard
            || ((p2 == 50 || (56..=58).contains(&p2)) && (12..=19).contains(&len)) // Maestro, Dankort 5019, Verve 506099-506198, RuPay 508
            || ((506_099..=506_198).contains(&p6) && l16_19) // Verve
        }
        2 => {
            ((2221..=2720).contains(&p4) && len == 16) // Mastercard 2-series
            || ((2200..=2204).contains(&p4) && l16_19) // Mir
            || (p4 == 2131 && len == 15) // JCB 15
        }
        3 => {
            (matches!(p2, 34 | 37) && len == 15) // Amex
            || ((3528..=3589).contains(&p4) && l16_19) // JCB (RuPay-JCB 353, 356)
            // JCB's other ranges in Discover's acceptance table.
            || ((matches!(p4, 3088..=3094 | 3096..=3102 | 3112..=3120 | 3158..=3159 | 3337..=3349))
                && l16_19)
            || ((300..=305).contains(&p3) && (14..=19).contains(&len)) // Diners
            || (matches!(p2, 36 | 38 | 39) && (14..=19).contains(&len))
            || (p4 == 3095 && (14..=19).contains(&len))
        }
        6 => {
            // Discover 6011 / 644-649 / 65, UnionPay 62, InstaPayment 637-639, InterPayment 636.
            (l16_19 && (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || p2 == 62))
            || (p2 == 60 && len == 16) // RuPay
            || ((637..=639).contains(&p3) && len == 16)
            || (p3 == 636 && l16_19)
            || (matches!(p4, 6304 | 6759 | 6761..=6763) && (12..=19).contains(&len)) // Maestro
        }
        8 => (matches!(p2, 81 | 82) && l16_19) || (p4 == 8600 && len == 16), // UnionPay / RuPay 8-series, UzCard
        9 => (p4 == 9792 || p4 == 9860) && len == 16,                        // Troy, Humo
        _ => false,
    }
}

/// Card number check on ASCII digits: length, issuer range and Luhn.
pub(crate) fn card(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len()) && card_issuer(digits) && luhn(digits) && !one_digit(digits)
}

/// All the same digit.
pub(crate) fn one_digit(digits: &[u8]) -> bool {
    digits.iter().all(|d| *d == digits[0])
}

/// US SSN rules on the 9 digits: area not 000/666/9xx, group not 00, serial not 0000,
/// not one repeated digit, not a famous invalid/advertised number.
pub(crate) fn ssn(d: &[u8]) -> bool {
    if d.len() != 9 || one_digit(d) {
        return false;
    }
    let area = prefix_num(d, 3);
    let group = prefix_num(&d[3..], 2);
    let serial = prefix_num(&d[5..], 4);
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    !matches!(d, b"123456789" | b"078051120" | b"219099999" | b"457555462")
}

/// ABA routing number: 9 digits, first two in a Federal Reserve range, 3-7-1 checksum.
pub(crate) fn aba(d: &[u8]) -> bool {
    if d.len() != 9 || one_digit(d) {
        return false;
    }
    let p2 = prefix_num(d, 2);
    if !matches!(p2, 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    let w = [3u32, 7, 1, 3, 7, 1, 3, 7, 1];
    d.iter()
        .zip(w)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum::<u32>()
        % 10
        == 0
}

/// North American Numbering Plan: NPA and NXX start with 2-9 and are not N11.
pub(crate) fn nanp(d10: &[u8]) -> bool {
    if d10.len() != 10 {
        return false;
    }
    let ok3 = |x: &[u8]| x[0] >= b'2' && !(x[1] == b'1' && x[2] == b'1');
    ok3(&d10[..3]) && ok3(&d10[3..6]) && !one_digit(&d10[3..])
}

/// IPv4 dotted quad, exactly as `Ipv4Addr`'s parser: four octets of 1–3 ASCII digits, no
/// leading zeros, none over 255 (by hand: this runs on every dotted candidate).
pub(crate) fn ipv4(s: &[u8]) -> bool {
    let mut n = 0;
    for g in s.split(|c| *c == b'.') {
        n += 1;
        let ok = (1..=3).contains(&g.len())
            && g.iter().all(u8::is_ascii_digit)
            && (g.len() == 1 || g[0] != b'0')
            && prefix_num(g, 3) <= 255;
        if n > 4 || !ok {
            return false;
        }
    }
    n == 4
}

/// IPv6 in exactly the textual forms `Ipv6Addr`'s parser accepts (compressed, upper case,
/// leading zeros, embedded IPv4), re-implemented on bytes because it runs on every candidate.
pub(crate) fn ipv6(s: &[u8]) -> bool {
    let (head, head_v4, rest) = v6_groups(s, 8);
    if head == 8 {
        return rest.is_empty();
    }
    if head_v4 {
        return false;
    }
    let Some(rest) = rest.strip_prefix(b"::") else {
        return false;
    };
    let (_, _, rest) = v6_groups(rest, 8 - (head + 1));
    rest.is_empty()
}

/// std's `read_groups`: up to `limit` `:`-separated groups of 1–4 hex digits, the last two of
/// which may be an IPv4 address; returns the groups read, whether IPv4 ended them, and the rest.
fn v6_groups(mut s: &[u8], limit: usize) -> (usize, bool, &[u8]) {
    for i in 0..limit {
        let body = if i > 0 {
            match s.strip_prefix(b":") {
                Some(b) => b,
                None => return (i, false, s),
            }
        } else {
            s
        };
        if i + 1 < limit
            && let Some(n) = v4_prefix(body)
        {
            return (i + 2, true, &body[n..]);
        }
        let n = body
            .iter()
            .take(5)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if n == 0 || n > 4 {
            return (i, false, s);
        }
        s = &body[n..];
    }
    (limit, false, s)
}

/// Length of the IPv4 address std's parser reads at the start of `s` (it stops after four
/// octets, so trailing bytes are left for the caller).
fn v4_prefix(s: &[u8]) -> Option<usize> {
    let mut at = 0;
    for i in 0..4 {
        if i > 0 {
            if s.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let n = s[at..]
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        let g = &s[at..at + n];
        if n == 0 || n > 3 || (n > 1 && g[0] == b'0') || prefix_num(g, 3) > 255 {
            return None;
        }
        at += n;
    }
    Some(at)
}

/// Shannon entropy in bits per symbol.
///
/// The sum runs over the distinct bytes in ascending order, as over the whole count table;
/// each count's term is computed once (tokens are 20 or 40 bytes, most counts are 1 or 2),
/// which saves most `log2` calls without changing a bit of the result.
pub(crate) fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    // The distinct bytes, as a bit set (walked in ascending order below).
    let mut seen = [0u64; 4];
    for b in s {
        counts[usize::from(*b)] += 1;
        seen[usize::from(*b >> 6)] |= 1 << (*b & 63);
    }
    let n = s.len() as f64;
    let term = |c: u32| {
        let p = f64::from(c) / n;
        -p * p.log2()
    };
    // Terms by count, for the small counts.
    let mut memo = [None; 8];
    let (mut w, mut bits) = (0, seen[0]);
    std::iter::from_fn(|| {
        while bits == 0 {
            w += 1;
            bits = *seen.get(w)?;
        }
        let b = w * 64 + bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let c = counts[b];
        Some(match memo.get_mut(c as usize) {
            Some(Some(t)) => *t,
            Some(slot) => *slot.insert(term(c)),
            None => term(c),
        })
    })
    .sum()
}

/// IBAN length per country (ISO 13616 registry).
pub(crate) fn iban_length(cc: &[u8]) -> Option<usize> {
    let n = match cc {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" | b"SD" | b"FK" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"XK" | b"MN" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"TL" | b"SO" | b"OM" => 23,
        b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"PT" | b"ST" | b"LY" => 25,
        b"IS" | b"TR" => 26,
        b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" | b"BI" | b"DJ" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"PL" | b"SV" | b"NI"
        | b"HN" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" | b"YE" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        b"RU" => 33,
        _ => return None,
    };
    Some(n)
}

/// ISO 13616 mod-97 check on a compact upper-case IBAN.
pub(crate) fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let rearranged = iban[4..].iter().chain(&iban[..4]);
    let mut rem = 0u32;
    for c in rearranged {
        match c {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        }
    }
    rem == 1
}

/// Whether year-month-day is a real calendar date in 1900..=2100.
pub(crate) fn date(y: u32, m: u32, d: u32) -> bool {
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

/// Month number from an English month name or abbreviation (case-insensitive).
pub(crate) fn month(name: &[u8]) -> Option<u32> {
    let lower: Vec<u8> = name.iter().map(u8::to_ascii_lowercase).collect();
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = std::str::from_utf8(&lower).ok()?.trim_end_matches('.');
    if name.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(name) || (name == "sept" && *m == "september"))
        .map(|i| i as u32 + 1)
}

/// Parses ASCII digits.
pub(crate) fn num(d: &[u8]) -> u32 {
    prefix_num(d, d.len().min(9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_issuers() {
        assert!(card(b"4111111111111111"));
        assert!(card(b"5555555555554444"));
        assert!(card(b"2223003122003222")); // Mastercard 2-series
        assert!(card(b"378282246310005")); // Amex
        assert!(card(b"6011111111111117")); // Discover
        assert!(card(b"3530111333300000")); // JCB
        assert!(card(b"36227206271667")); // Diners 14
        assert!(card(b"4222222222222")); // Visa 13
        assert!(card(b"6250941006528599")); // UnionPay
        assert!(card(b"4000000000000000006")); // Visa 19 (Luhn-valid)
        assert!(!card(b"4111111111111112")); // Luhn fails
        assert!(!card(b"1234567812345670")); // Luhn ok, no issuer
        assert!(!card(b"0000000000000000"));
        assert!(!card(b"3782822463100050")); // Amex prefix with 16 digits
        assert!(card(b"213112345678904")); // JCB 15 (2131)
        assert!(card(b"180012345678905")); // JCB 15 (1800)
        assert!(card(b"3088123412341231")); // JCB 3088-3094
        assert!(card(b"3337123412341230")); // JCB 3337-3349
        assert!(card(b"2200123412341236")); // Mir
        assert!(card(b"6521123412341239")); // RuPay 65 (Discover range)
        assert!(card(b"6763123412341236")); // Maestro
        assert!(card(b"5612123412341231")); // Maestro 56
        assert!(card(b"9792123412341235")); // Troy
        assert!(!card(b"213112345678906")); // JCB 15 prefix, Luhn fails
        assert!(!card(b"2131123456789039")); // JCB 15 prefix with 16 digits
    }

    #[test]
    fn ssn_rules() {
        assert!(ssn(b"536228765"));
        for bad in [
            &b"000123456"[..],
            b"666123456",
            b"912345678",
            b"123004567",
            b"123450000",
            b"111111111",
            b"078051120",
            b"123456789",
        ] {
            assert!(!ssn(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn aba_and_nanp() {
        assert!(aba(b"021000021")); // JPMorgan Chase
        assert!(aba(b"011000015")); // Federal Reserve Boston
        assert!(!aba(b"021000022"));
        assert!(nanp(b"2025550143"));
        assert!(!nanp(b"1025550143"));
        assert!(!nanp(b"2021110143")); // NXX N11
        assert!(!nanp(b"9115550143")); // NPA N11
    }

    #[test]
    fn ip_parsing() {
        assert!(ipv4(b"192.168.1.1"));
        assert!(!ipv4(b"256.1.1.1"));
        assert!(!ipv4(b"01.2.3.4"));
        for ok in [
            "::1",
            "2001:db8::1",
            "2001:0DB8:0000:0000:0000:0000:0000:0001",
            "::ffff:192.0.2.1",
            "fe80::",
        ] {
            assert!(ipv6(ok.as_bytes()), "{ok}");
        }
        assert!(!ipv6(b"12:34:56"));
    }

    #[test]
    fn ipv4_matches_std() {
        let parts = [
            "0", "1", "00", "01", "9", "10", "99", "100", "199", "255", "256", "300", "999",
            "0255", "1000", "", "a", "1a", "-1", "+1", " 1",
        ];
        let mut rng = crate::corpus::Rng::new(7);
        for _ in 0..20_000 {
            let n = rng.range(1, 6) as usize;
            let s: Vec<&str> = (0..n).map(|_| *rng.pick(&parts)).collect();
            let s = s.join(".");
            assert_eq!(
                ipv4(s.as_bytes()),
                s.parse::<std::net::Ipv4Addr>().is_ok(),
                "{s}"
            );
        }
    }

    #[test]
    fn ipv6_matches_std() {
        let parts = [
            "",
            "",
            "0",
            "1",
            "ff",
            "FFFF",
            "fffff",
            "db8",
            "2001",
            "00000",
            "1.2.3.4",
            "192.168.1.255",
            "1.2.3",
            "01.2.3.4",
            "256.1.1.1",
            "1.2.3.4.5",
            "g",
            ":",
            "1.2.3.04",
        ];
        let mut rng = crate::corpus::Rng::new(9);
        let mut ok = 0;
        for _ in 0..200_000 {
            let n = rng.range(1, 10) as usize;
            let s: Vec<&str> = (0..n).map(|_| *rng.pick(&parts)).collect();
            let s = s.join(":");
            let std = s.parse::<std::net::Ipv6Addr>().is_ok();
            ok += usize::from(std);
            assert_eq!(ipv6(s.as_bytes()), std, "{s}");
        }
        assert!(ok > 1000, "{ok}");
    }

    #[test]
    fn iban_checks() {
        assert!(iban_mod97(b"DE89370400440532013000"));
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(!iban_mod97(b"DE89370400440532013001"));
        assert_eq!(iban_length(b"ES"), Some(24));
        assert_eq!(iban_length(b"ZZ"), None);
    }

    #[test]
    fn dates_and_entropy() {
        assert!(date(2000, 2, 29));
        assert!(!date(1900, 2, 29));
        assert!(!date(1985, 13, 1));
        assert_eq!(month(b"Sept"), Some(9));
        assert_eq!(month(b"mar."), Some(3));
        assert_eq!(month(b"ma"), None);
        assert!(entropy(b"AKIAIOSFODNN7EXAMPLE") > 3.0);
        assert!(entropy(b"AKIAXXXXXXXXXXXXXXXX") < 3.0);
    }

    /// [`entropy`] gives bit for bit the value of the plain formula over the whole table.
    #[test]
    fn entropy_is_the_plain_formula() {
        let plain = |s: &[u8]| -> f64 {
            let mut counts = [0u32; 256];
            for b in s {
                counts[usize::from(*b)] += 1;
            }
            let n = s.len() as f64;
            counts
                .iter()
                .filter(|c| **c > 0)
                .map(|c| f64::from(*c) / n)
                .map(|p| -p * p.log2())
                .sum()
        };
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in (1..300).chain([20, 40].repeat(200)) {
            let mut s = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Sometimes few distinct bytes (high counts), sometimes any byte.
                let r = x >> 32;
                s.push(if x.is_multiple_of(3) {
                    b'A' + (r % 4) as u8
                } else {
                    r as u8
                });
            }
            assert_eq!(entropy(&s).to_bits(), plain(&s).to_bits(), "{s:?}");
        }
    }
}
