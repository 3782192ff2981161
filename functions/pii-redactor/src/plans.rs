//! National telephone numbering plans: the numbers of GB, DE, FR, AU, JP, BR, IN, ES, IT and
//! NL as people write them at home, without the `+` country code.
//!
//! A hand-curated table, read from libphonenumber's metadata (`PhoneNumberMetadata.xml` as
//! shipped in the `phonenumber` 0.3.10+9.0.33 crate: each territory's `nationalPrefix`,
//! fixed-line / mobile / toll-free `nationalNumberPattern`s and `possibleLengths`, and its
//! `availableFormats` groupings) and checked against the regulators' plans (Ofcom National
//! Telephone Numbering Plan, BNetzA Nummernplan, ARCEP plan de numérotation, ACMA Numbering
//! Plan 2015, MIC 電気通信番号計画, Anatel PGCN, DoT National Numbering Plan 2003, CNMC
//! Plan Nacional de Numeración, AGCOM PNN, ACM Nummerplan). Why a table and not the crate: its
//! validator runs libphonenumber's regexes per call (microseconds, allocations, a database to
//! deserialize on first use), where our validators take ~100 ns; and its per-region patterns
//! are far larger than what tells a phone number from a look-alike, which is the leading
//! digits, the digit count and the grouping. `tests/it/phones.rs` generates numbers from these
//! rules in every written form and checks each is found.
//!
//! A row says: the written digits (trunk `0` included where the country has one) start with
//! `lead`, count `total`, the first group (the area code with its trunk, or what stands in
//! parentheses) has `first` digits, and the other groups are `rest` (any 1–8 digits each, or
//! exactly these lengths).

/// How the groups after the first may be written.
#[derive(Debug, Clone, Copy)]
enum Rest {
    /// Any number of groups of 1–8 digits (the area code is what identifies the number).
    Any,
    /// Exactly these group lengths.
    Exact(&'static [u8]),
}

/// One national written form.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// ISO 3166 code, for the tests and the reader.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    region: &'static str,
    /// Leading digits: literal digits and `[a-b]` classes.
    lead: &'static str,
    /// Total digits, inclusive range.
    total: (u8, u8),
    /// Digits in the first group, inclusive range.
    first: (u8, u8),
    rest: Rest,
}

const fn row(region: &'static str, lead: &'static str, total: (u8, u8), first: (u8, u8)) -> Row {
    Row {
        region,
        lead,
        total,
        first,
        rest: Rest::Any,
    }
}

const fn exact(region: &'static str, lead: &'static str, rest: &'static [u8]) -> Row {
    let mut total = 0;
    let mut i = 0;
    while i < rest.len() {
        total += rest[i];
        i += 1;
    }
    Row {
        region,
        lead,
        total: (total, total),
        first: (rest[0], rest[0]),
        rest: Rest::Exact(rest),
    }
}

/// The written forms. Trunk-prefixed forms first; the rows without a trunk prefix (ES, IT
/// mobiles, BR, Indian mobiles, AU 13/1300/1800) are exact groupings, since without the `0`
/// only the grouping tells them from other numbers.
const ROWS: &[Row] = &[
    // GB: 0 + 10 digits (some 01 areas 9), area code 2-5 digits after the 0: 020 7946 0958,
    // 0161 496 0000, 01632 960000, 07700 900123, 0800 123 4567.
    row("GB", "0[12358]", (10, 11), (3, 6)),
    row("GB", "07", (11, 11), (4, 5)),
    // DE: 0 + area code (2-5 digits) + subscriber, 6-11 digits after the 0 (fixed lines have
    // no fixed length); mobiles 015x/016x/017x, 10-11 digits after the 0: 030 12345678,
    // 089/1234567, 0171 1234567.
    row("DE", "0[2-9]", (9, 12), (3, 6)),
    row("DE", "01[5-7]", (11, 12), (4, 5)),
    // FR: 0 + 9 digits, in pairs: 01 23 45 67 89, 06.12.34.56.78.
    exact("FR", "0[1-9]", &[2, 2, 2, 2, 2]),
    // AU: 0 + 9 digits: (02) 9876 5432, 02 9876 5432, 0412 345 678.
    row("AU", "0[2378]", (10, 10), (2, 2)),
    row("AU", "04", (10, 10), (4, 4)),
    // AU without trunk: 13xx xx, 1300 / 1800 xxx xxx.
    exact("AU", "1[38]00", &[4, 3, 3]),
    // JP: 0 + 9 digits (area code 1-4 digits after the 0), mobiles and IP phones 0[5-9]0 +
    // 8 digits: 03-1234-5678, 045-123-4567, 0123-45-6789, 090-1234-5678, 0120-123-456.
    row("JP", "0[1-9]", (10, 10), (2, 5)),
    row("JP", "0[5-9]0", (11, 11), (3, 3)),
    // BR: area code (2 digits, no trunk as people write it, or 0 + area code) + 8 digits
    // (fixed, [2-5]...) or 9 (mobile, 9...): (11) 91234-5678, (11) 3456-7890, 11 91234-5678.
    exact("BR", "[1-9][1-9][2-5]", &[2, 4, 4]),
    exact("BR", "[1-9][1-9]9", &[2, 5, 4]),
    exact("BR", "0[1-9][1-9][2-5]", &[3, 4, 4]),
    exact("BR", "0[1-9][1-9]9", &[3, 5, 4]),
    // IN: 0 + 10 digits; mobiles [6-9]...: 098765 43210, 0 98765 43210, 011-2345 6789,
    // 0124 234 5678; without the trunk, 98765 43210.
    row("IN", "0[1-9]", (11, 11), (3, 6)),
    exact("IN", "0[6-9]", &[1, 5, 5]),
    exact("IN", "[6-9]", &[5, 5]),
    // ES: 9 digits, no trunk; geographic 8x/9x, mobile 6/7: 912 345 678, 91 234 56 78,
    // 612 34 56 78.
    exact("ES", "[6-9]", &[3, 3, 3]),
    exact("ES", "[6-9]", &[3, 2, 2, 2]),
    exact("ES", "[89][1-8]", &[2, 3, 2, 2]),
    // IT: the 0 is part of the number (no trunk to drop): 6-11 digits, area codes 02/06 or
    // 3-4 digits: 06 1234 5678, 02 12345678, 011 1234567, 0471 123456; mobiles 3xx + 6-7
    // digits: 333 123 4567, 333 1234567.
    row("IT", "0[26]", (9, 11), (2, 2)),
    row("IT", "0[13-57-9]", (9, 11), (3, 4)),
    exact("IT", "3[1-9]", &[3, 3, 4]),
    exact("IT", "3[1-9]", &[3, 7]),
    exact("IT", "3[1-9]", &[3, 3, 3]),
    // NL: 0 + 9 digits: 020 123 4567, 020-1234567, 0111-123456, 06-12345678, 06 1234 5678.
    row("NL", "0[1-57-9]", (10, 10), (3, 4)),
    row("NL", "06", (10, 10), (2, 2)),
];

/// Whether `d` starts with the digits of the mini-pattern `lead`.
fn lead_matches(lead: &[u8], d: &[u8]) -> bool {
    let (mut i, mut k) = (0, 0);
    while i < lead.len() {
        let Some(&c) = d.get(k) else {
            return false;
        };
        if lead[i] == b'[' {
            // `[a-b]` or `[ab-c...]`: digits and ranges up to `]`.
            let mut j = i + 1;
            let mut hit = false;
            while j < lead.len() && lead[j] != b']' {
                if lead.get(j + 1) == Some(&b'-') && j + 2 < lead.len() && lead[j + 2] != b']' {
                    hit |= (lead[j]..=lead[j + 2]).contains(&c);
                    j += 3;
                } else {
                    hit |= lead[j] == c;
                    j += 1;
                }
            }
            if !hit {
                return false;
            }
            i = j + 1;
        } else {
            if lead[i] != c {
                return false;
            }
            i += 1;
        }
        k += 1;
    }
    true
}

/// Whether the digits `d`, written in groups of `lens` digits, are a national number in one of
/// the table's forms. A single group (no separators) is never enough here: callers decide
/// whether a bare digit run is a phone number from its context.
pub(crate) fn national(d: &[u8], lens: &[usize]) -> bool {
    // 3-2-4 is the US SSN layout, 5-4 a ZIP+4 code: a number written so is an SSN, a postcode
    // or nothing (`078-05-1120`, `MA 02110-1301`).
    if lens.len() < 2
        || lens.len() > 5
        || lens.iter().any(|l| !(1..=8).contains(l))
        || lens == [3, 2, 4]
        || lens == [5, 4]
    {
        return false;
    }
    let total = d.len();
    ROWS.iter().any(|r| {
        let ok_total = (usize::from(r.total.0)..=usize::from(r.total.1)).contains(&total);
        let ok_first = (usize::from(r.first.0)..=usize::from(r.first.1)).contains(&lens[0]);
        let ok_rest = match r.rest {
            Rest::Any => lens[1..].iter().all(|l| *l >= 2) || lens.len() == 2,
            Rest::Exact(x) => {
                x.len() == lens.len() && x.iter().zip(lens).all(|(a, b)| usize::from(*a) == *b)
            }
        };
        ok_total && ok_first && ok_rest && lead_matches(r.lead.as_bytes(), d)
    })
}

/// Whether a bare run of digits is a national mobile number whose form is unmistakable enough
/// to take without a phone keyword: 11 digits with the trunk 0 of GB (07…), IN (0[6-9]…),
/// JP (0[7-9]0…) or DE (01[5-7]…).
pub(crate) fn bare_mobile(d: &[u8]) -> bool {
    d.len() == 11
        && d[0] == b'0'
        && (lead_matches(b"0[6-9]", d)
            || lead_matches(b"0[7-9]0", d)
            || lead_matches(b"01[5-7]", d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> (Vec<u8>, Vec<usize>) {
        let d: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
        let lens = s
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .map(str::len)
            .collect();
        (d, lens)
    }

    #[test]
    fn home_forms() {
        for ok in [
            "020 7946 0958",
            "0161 496 0000",
            "01632 960000",
            "07700 900123",
            "030 12345678",
            "089/1234567",
            "0171 1234567",
            "01 23 45 67 89",
            "06.12.34.56.78",
            "(02) 9876 5432",
            "0412 345 678",
            "1300 123 456",
            "03-1234-5678",
            "045-123-4567",
            "090-1234-5678",
            "(11) 91234-5678",
            "(11) 3456-7890",
            "098765 43210",
            "0 98765 43210",
            "011-2345 6789",
            "98765 43210",
            "912 345 678",
            "91 234 56 78",
            "612 34 56 78",
            "06 1234 5678",
            "0471 123456",
            "333 123 4567",
            "020 123 4567",
            "06-12345678",
        ] {
            let (d, l) = split(ok);
            assert!(national(&d, &l), "{ok}");
        }
        for bad in [
            "01 02 2024",
            "2024 01 15",
            "00 12 34 56 78",
            "123 456",
            "0 12345 67890 5",
            "1.2.3",
            "10 22 01",
            "512 345 678",
            "0000 1234 5678",
            "4111 1111 1111 1111",
            "1 800 123",
            "078-05-1120",
            "02110-1301",
        ] {
            let (d, l) = split(bad);
            assert!(!national(&d, &l), "{bad}");
        }
        assert!(bare_mobile(b"09876543210"));
        assert!(bare_mobile(b"07700900123"));
        assert!(!bare_mobile(b"0298765432"));
        assert!(!bare_mobile(b"01234567890"));
    }

    #[test]
    fn every_row_is_well_formed() {
        for r in ROWS {
            assert!(
                r.total.0 <= r.total.1 && r.first.0 <= r.first.1,
                "{}",
                r.region
            );
            assert!(r.lead.bytes().filter(u8::is_ascii_digit).count() >= 1);
        }
    }
}
