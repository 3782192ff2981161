//! Generators of single values: valid PII of every default type and look-alikes.

use super::{B32, B64, DOMAINS, FIRST, HEX, LAST, Rng};

/// Generators of single values (valid PII or decoys).
impl Rng {
    pub(super) fn name(&mut self) -> String {
        format!("{} {}", self.pick(FIRST), self.pick(LAST))
    }

    /// A syntactically valid e-mail address.
    pub fn email(&mut self) -> String {
        let first = self.pick(&[
            "maria",
            "j.smith",
            "wei.chen",
            "aisha_k",
            "o.ivanova",
            "carlos+billing",
            "p.patel",
            "support-team",
        ]);
        format!("{first}{}@{}", self.below(100), self.pick(DOMAINS))
    }

    /// A phone number in one of many national and international formats.
    pub fn phone(&mut self) -> String {
        let npa = self.range(201, 989);
        let npa = if npa % 100 == 11 { npa + 1 } else { npa };
        let nxx = self.range(202, 989);
        let nxx = if nxx % 100 == 11 { nxx + 1 } else { nxx };
        let line = self.digits(4);
        match self.below(10) {
            0 => format!("({npa}) {nxx}-{line}"),
            1 => format!("{npa}-{nxx}-{line}"),
            2 => format!("{npa}.{nxx}.{line}"),
            3 => format!("+1 {npa} {nxx} {line}"),
            4 => format!("1-{npa}-{nxx}-{line}"),
            5 => format!("+1{npa}{nxx}{line}"),
            6 => format!("+44 20 {} {}", self.digits(4), self.digits(4)),
            7 => format!("+49 30 {}", self.digits(8)),
            8 => format!(
                "+33 {} {} {} {} {}",
                self.range(1, 9),
                self.digits(2),
                self.digits(2),
                self.digits(2),
                self.digits(2)
            ),
            _ => format!(
                "+91 {}{} {}",
                self.range(6, 9),
                self.digits(4),
                self.digits(5)
            ),
        }
    }

    /// A valid SSN (area, group and serial rules respected), dashed.
    pub fn ssn(&mut self) -> String {
        let mut area = self.range(1, 899);
        if area == 666 {
            area = 667;
        }
        format!(
            "{area:03}-{:02}-{:04}",
            self.range(1, 99),
            self.range(1, 9999)
        )
    }

    /// A Luhn-valid card number from a real issuer range, in a common grouping.
    pub fn card(&mut self) -> String {
        let (prefix, len): (String, usize) = match self.below(7) {
            0 => ("4".into(), 16),
            1 => (format!("5{}", self.range(1, 5)), 16),
            2 => (format!("{}", self.range(2221, 2720)), 16),
            3 => (format!("3{}", self.pick(&[4, 7])), 15),
            4 => ("6011".into(), 16),
            5 => (format!("{}", self.range(3528, 3589)), 16),
            _ => ("4".into(), 19),
        };
        let mut d: Vec<u8> = prefix.bytes().collect();
        while d.len() < len - 1 {
            d.push(b'0' + self.below(10) as u8);
        }
        d.push(b'0');
        for check in 0..10u8 {
            d[len - 1] = b'0' + check;
            if crate::checks::luhn(&d) {
                break;
            }
        }
        let s = String::from_utf8(d).unwrap_or_default();
        let sep = *self.pick(&["", " ", "-"]);
        if sep.is_empty() {
            return s;
        }
        let groups: &[usize] = if len == 15 {
            &[4, 6, 5]
        } else if len == 19 {
            &[4, 4, 4, 4, 3]
        } else {
            &[4, 4, 4, 4]
        };
        let mut out = String::new();
        let mut at = 0;
        for (i, g) in groups.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(&s[at..at + g]);
            at += g;
        }
        out
    }

    /// An IPv4 or IPv6 address.
    pub fn ip(&mut self) -> String {
        match self.below(4) {
            0 | 1 => format!(
                "{}.{}.{}.{}",
                self.range(1, 223),
                self.below(256),
                self.below(256),
                self.range(1, 254)
            ),
            2 => format!(
                "2001:db8:{:x}::{:x}",
                self.below(0xffff),
                self.range(1, 0xffff)
            ),
            _ => format!(
                "fe80::{:x}:{:x}ff:fe{:x}:{:x}",
                self.below(0xffff),
                self.below(0xff),
                self.below(0xff),
                self.range(1, 0xffff)
            ),
        }
    }

    /// A MAC address.
    pub fn mac(&mut self) -> String {
        let b: Vec<String> = (0..6)
            .map(|i| format!("{:02x}", if i == 0 { 0x02 } else { self.below(256) }))
            .collect();
        if self.chance(0.5) {
            b.join(":").to_uppercase()
        } else {
            b.join("-")
        }
    }

    /// An AWS access key id.
    pub fn access_key(&mut self) -> String {
        format!("{}{}", self.pick(&["AKIA", "ASIA"]), self.chars(16, B32))
    }

    /// An AWS secret access key (40 base64 characters, mixed classes).
    pub fn secret_key(&mut self) -> String {
        loop {
            let s = self.chars(40, B64);
            let b = s.as_bytes();
            if b.iter().any(u8::is_ascii_uppercase)
                && b.iter().any(u8::is_ascii_lowercase)
                && b.iter().any(u8::is_ascii_digit)
            {
                return s;
            }
        }
    }

    /// A valid IBAN (computed check digits), compact or grouped by four.
    pub fn iban(&mut self) -> String {
        let (cc, len) = *self.pick(&[
            ("DE", 22usize),
            ("GB", 22),
            ("FR", 27),
            ("ES", 24),
            ("NL", 18),
            ("BE", 16),
            ("IT", 27),
            ("CH", 21),
        ]);
        let bban: String = if cc == "GB" || cc == "NL" {
            format!(
                "{}{}",
                self.chars(4, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                self.digits(len - 8)
            )
        } else {
            self.digits(len - 4)
        };
        let mut iban = format!("{cc}00{bban}");
        for check in 2..=98u32 {
            iban.replace_range(2..4, &format!("{check:02}"));
            if crate::checks::iban_mod97(iban.as_bytes()) {
                break;
            }
        }
        if self.chance(0.5) {
            let chunks: Vec<String> = iban
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            chunks.join(" ")
        } else {
            iban
        }
    }

    /// A harmless look-alike that no detector should touch.
    pub fn decoy(&mut self) -> String {
        match self.below(14) {
            0 => format!(
                "{}-{}-4{}-a{}-{}",
                self.chars(8, HEX),
                self.chars(4, HEX),
                self.chars(3, HEX),
                self.chars(3, HEX),
                self.chars(12, HEX)
            ),
            1 => self.chars(40, HEX),
            2 => self.chars(64, HEX),
            3 => format!("{}.{}.{}", self.below(20), self.below(40), self.below(100)),
            4 => format!(
                "1.3.6.1.4.1.{}.{}.{}",
                self.range(100, 60000),
                self.below(10),
                self.below(10)
            ),
            5 => {
                // Luhn-invalid 16-digit order number.
                let mut d: Vec<u8> = format!("4{}", self.digits(15)).into_bytes();
                while crate::checks::luhn(&d) {
                    d[15] = b'0' + (d[15] - b'0' + 1) % 10;
                }
                String::from_utf8(d).unwrap_or_default()
            }
            6 => format!(
                "1Z{}{}",
                self.chars(6, b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ"),
                self.digits(10)
            ),
            7 => format!(
                "9400 {} {} {} {} {}",
                self.digits(4),
                self.digits(4),
                self.digits(4),
                self.digits(4),
                self.digits(2)
            ),
            8 => format!(
                "2024-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z",
                self.range(1, 12),
                self.range(1, 28),
                self.below(24),
                self.below(60),
                self.below(60),
                self.digits(3)
            ),
            9 => format!("17{}", self.digits(11)),
            10 => format!(
                "{}-{:02}-{:04}",
                self.pick(&["000", "666", "900", "987"]),
                self.range(1, 99),
                self.range(1, 9999)
            ),
            11 => format!(
                "v{}.{}.{}-rc.{}",
                self.below(9),
                self.below(30),
                self.below(30),
                self.below(5)
            ),
            12 => format!("INV-{}-{}", self.range(2019, 2026), self.digits(6)),
            _ => format!("#{}", self.chars(6, HEX)),
        }
    }
}
