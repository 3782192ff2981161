//! National phone forms and cards of every issuer range (`contacts`), with look-alikes.

use std::fmt::Write as _;

use super::{Rng, Sample};
use crate::entity::EntityType;

/// National phone numbers as people write them at home, and cards of every issuer range:
/// the classes the evaluation corpus of issue 12 found missing. Kept apart from
/// [`document`] so the benchmark corpora stay byte for byte what they were.
impl Rng {
    /// `n` digits, the first not `0`.
    pub(super) fn digits_nz(&mut self, n: usize) -> String {
        let mut s = self.range(1, 9).to_string();
        s.push_str(&self.digits(n - 1));
        s
    }

    /// A national phone number of GB, DE, FR, AU, JP, BR, IN, ES, IT or NL in a form people
    /// write at home (no `+` country code), with its region. The digits follow each country's
    /// numbering plan (leading digits and lengths); the groupings are the usual ones.
    pub fn national_phone(&mut self) -> (&'static str, String) {
        let sep = *self.pick(&[" ", " ", "-"]);
        match self.below(10) {
            0 => {
                let v = match self.below(4) {
                    // London and the other 02x areas.
                    0 => format!(
                        "02{} {} {}",
                        self.range(0, 9),
                        self.digits_nz(4),
                        self.digits(4)
                    ),
                    1 => format!(
                        "01{}1 {} {}",
                        self.range(1, 9),
                        self.digits_nz(3),
                        self.digits(4)
                    ),
                    2 => format!("01{} {}", self.digits_nz(3), self.digits_nz(6)),
                    _ => format!("07{} {}", self.digits_nz(3), self.digits(6)),
                };
                ("GB", v)
            }
            1 => {
                let area = match self.below(3) {
                    0 => self.pick(&["30", "40", "69", "89"]).to_string(),
                    1 => format!("{}{}", self.range(2, 9), self.digits(2)),
                    _ => format!("1{}{}", self.range(5, 7), self.range(0, 9)),
                };
                let sub = self.digits_nz(if area.starts_with('1') {
                    7
                } else {
                    11 - area.len() - 1
                });
                let sep = *self.pick(&[" ", "/", "-"]);
                ("DE", format!("0{area}{sep}{sub}"))
            }
            2 => {
                let sep = *self.pick(&[" ", ".", "-"]);
                let mut v = format!("0{}", self.range(1, 9));
                for _ in 0..4 {
                    v.push_str(sep);
                    v.push_str(&self.digits(2));
                }
                ("FR", v)
            }
            3 => {
                let v = match self.below(3) {
                    0 => format!(
                        "(0{}) {} {}",
                        self.pick(&[2, 3, 7, 8]),
                        self.digits_nz(4),
                        self.digits(4)
                    ),
                    1 => format!(
                        "0{} {} {}",
                        self.pick(&[2, 3, 7, 8]),
                        self.digits_nz(4),
                        self.digits(4)
                    ),
                    _ => format!("04{} {} {}", self.digits(2), self.digits(3), self.digits(3)),
                };
                ("AU", v)
            }
            4 => {
                let v = match self.below(3) {
                    0 => format!(
                        "0{}-{}-{}",
                        self.pick(&[3, 6]),
                        self.digits_nz(4),
                        self.digits(4)
                    ),
                    1 => format!(
                        "0{}{}-{}-{}",
                        self.range(1, 9),
                        self.range(1, 9),
                        self.digits_nz(3),
                        self.digits(4)
                    ),
                    _ => format!(
                        "0{}0-{}-{}",
                        self.pick(&[7, 8, 9]),
                        self.digits_nz(4),
                        self.digits(4)
                    ),
                };
                ("JP", v)
            }
            5 => {
                let area = format!("{}{}", self.range(1, 9), self.range(1, 9));
                let v = match self.below(3) {
                    0 => format!("({area}) 9{}-{}", self.digits(4), self.digits(4)),
                    1 => format!(
                        "({area}) {}{}-{}",
                        self.range(2, 5),
                        self.digits(3),
                        self.digits(4)
                    ),
                    _ => format!("{area} 9{}-{}", self.digits(4), self.digits(4)),
                };
                ("BR", v)
            }
            6 => {
                let m = format!("{}{}", self.range(6, 9), self.digits(4));
                let v = match self.below(4) {
                    0 => format!("0{m} {}", self.digits(5)),
                    1 => format!("0 {m} {}", self.digits(5)),
                    2 => format!("0{m}{}", self.digits(5)),
                    _ => format!(
                        "0{}{sep}{} {}",
                        self.pick(&[11, 22, 33, 44, 80]),
                        self.digits_nz(4),
                        self.digits(4)
                    ),
                };
                ("IN", v)
            }
            7 => {
                let v = match self.below(3) {
                    0 => format!(
                        "9{}{} {} {}",
                        self.range(1, 8),
                        self.digits(1),
                        self.digits(3),
                        self.digits(3)
                    ),
                    1 => format!(
                        "{}{} {} {} {}",
                        self.pick(&[6, 7]),
                        self.digits(2),
                        self.digits(2),
                        self.digits(2),
                        self.digits(2)
                    ),
                    _ => format!(
                        "9{} {} {} {}",
                        self.range(1, 8),
                        self.digits(3),
                        self.digits(2),
                        self.digits(2)
                    ),
                };
                ("ES", v)
            }
            8 => {
                let v = match self.below(3) {
                    0 => format!(
                        "0{} {} {}",
                        self.pick(&[2, 6]),
                        self.digits_nz(4),
                        self.digits(4)
                    ),
                    1 => format!(
                        "0{}{}{} {}",
                        self.range(1, 9),
                        self.pick(&[1, 5, 9]),
                        self.digits(1),
                        self.digits_nz(6)
                    ),
                    _ => format!(
                        "3{}{} {} {}",
                        self.range(2, 9),
                        self.digits(1),
                        self.digits(3),
                        self.digits(4)
                    ),
                };
                ("IT", v)
            }
            _ => {
                let v = match self.below(3) {
                    0 => format!(
                        "0{}{sep}{} {}",
                        self.pick(&[10, 20, 30, 40, 50, 70]),
                        self.digits_nz(3),
                        self.digits(4)
                    ),
                    1 => format!("06-{}{}", self.range(1, 5), self.digits(7)),
                    _ => format!(
                        "0{}{}-{}",
                        self.range(1, 5),
                        self.digits(2),
                        self.digits_nz(6)
                    ),
                };
                ("NL", v)
            }
        }
    }

    /// A Luhn-valid card number from one of every current issuer's ranges, in that issuer's
    /// usual grouping (contiguous, spaced or dashed), with its issuer.
    pub fn issuer_card(&mut self) -> (&'static str, String) {
        let (issuer, prefix, len): (&'static str, String, usize) = match self.below(16) {
            0 => ("Visa", "4".into(), *self.pick(&[13, 16, 19])),
            1 => ("Mastercard", format!("5{}", self.range(1, 5)), 16),
            2 => ("Mastercard", self.range(2221, 2720).to_string(), 16),
            3 => ("Amex", format!("3{}", self.pick(&[4, 7])), 15),
            4 => (
                "Discover",
                self.pick(&["6011", "644", "65"]).to_string(),
                16,
            ),
            5 => ("Diners", format!("30{}", self.range(0, 5)), 14),
            6 => ("Diners", self.pick(&["36", "38"]).to_string(), 14),
            7 => ("JCB", self.range(3528, 3589).to_string(), 16),
            8 => ("JCB", self.pick(&["2131", "1800"]).to_string(), 15),
            9 => (
                "JCB",
                self.pick(&["3088", "3096", "3112", "3158", "3337"])
                    .to_string(),
                16,
            ),
            10 => ("UnionPay", "62".into(), *self.pick(&[16, 19])),
            11 => (
                "Maestro",
                self.pick(&[
                    "5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763",
                ])
                .to_string(),
                *self.pick(&[16, 19]),
            ),
            12 => ("Mir", format!("220{}", self.range(0, 4)), 16),
            13 => (
                "RuPay",
                self.pick(&["60", "65", "81", "82", "508"]).to_string(),
                16,
            ),
            14 => ("Troy", "9792".into(), 16),
            _ => ("UzCard/Humo", self.pick(&["8600", "9860"]).to_string(), 16),
        };
        let mut d: Vec<u8> = prefix.bytes().collect();
        while d.len() < len {
            d.push(b'0' + self.below(10) as u8);
        }
        for check in 0..10u8 {
            d[len - 1] = b'0' + check;
            if crate::checks::luhn(&d) {
                break;
            }
        }
        let s = String::from_utf8(d).unwrap_or_default();
        // 13-digit Visa numbers (rare today) are written contiguous.
        let sep = if len == 13 {
            ""
        } else {
            *self.pick(&["", " ", "-"])
        };
        let groups: &[usize] = match len {
            _ if sep.is_empty() => &[len],
            14 => &[4, 6, 4],
            15 if issuer == "Amex" || self.chance(0.5) => &[4, 6, 5],
            15 => &[4, 4, 4, 3],
            19 => &[4, 4, 4, 4, 3],
            _ => &[4, 4, 4, 4],
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
        (issuer, out)
    }

    /// A look-alike of the national forms that must survive: dates with dots, dashes and
    /// spaces, versions, ISBNs, amounts, postcodes with a city, page ranges, times, order ids.
    pub fn national_decoy(&mut self) -> String {
        match self.below(10) {
            0 => format!(
                "{:02}.{:02}.{}",
                self.range(1, 28),
                self.range(1, 12),
                self.range(1990, 2030)
            ),
            1 => format!(
                "{}-{:02}-{:02}",
                self.range(1990, 2030),
                self.range(1, 12),
                self.range(1, 28)
            ),
            2 => format!(
                "{:02} {:02} {}",
                self.range(1, 28),
                self.range(1, 12),
                self.range(1990, 2030)
            ),
            3 => format!("10.0.{}.{}", self.range(10000, 22631), self.range(1, 999)),
            4 => format!(
                "978-{}-{}-{}-{}",
                self.range(0, 9),
                self.digits(2),
                self.digits(6),
                self.digits(1)
            ),
            5 => format!(
                "{} {},{}",
                self.range(1, 99),
                self.digits(3),
                self.digits(2)
            ),
            6 => format!(
                "{} {}",
                self.digits_nz(5),
                self.pick(&["Paris", "Berlin", "Madrid", "Roma"])
            ),
            7 => format!("pp. {}-{}", self.range(10, 99), self.range(100, 999)),
            8 if self.chance(0.5) => format!(
                "{:02}:{:02}:{:02}",
                self.below(24),
                self.below(60),
                self.below(60)
            ),
            8 => format!("MA 0{}-{}", self.digits(4), self.digits(4)),
            _ => format!("ORD-{}-{}", self.digits(4), self.digits(4)),
        }
    }
}

/// A contact sheet: national phone numbers in their home forms and cards of every issuer,
/// in CSV rows (no keyword near the values: the column is called `number`) and prose, with
/// look-alikes.
pub fn contacts(rng: &mut Rng) -> Sample {
    let mut s = Sample::default();
    let mut t = String::from("name,region,number,card,since,ref\n");
    for _ in 0..rng.range(4, 10) {
        let (region, phone) = rng.national_phone();
        let (_, card) = rng.issuer_card();
        let date = rng.national_decoy();
        let _ = writeln!(
            t,
            "\"{}\",{region},{phone},{card},{date},{}",
            rng.name(),
            rng.decoy()
        );
        s.pii.push((EntityType::Phone, phone));
        s.pii.push((EntityType::CreditDebitNumber, card));
        s.decoys.push(date);
    }
    let (_, a) = rng.national_phone();
    let (_, b) = rng.national_phone();
    let (_, c) = rng.issuer_card();
    let d1 = rng.national_decoy();
    let d2 = rng.national_decoy();
    let _ = writeln!(
        t,
        "\nSpoke to {} on {d1}; reach them at {a} (or {b} after six), paid with {c}, see {d2}.\n",
        rng.name()
    );
    s.pii.extend([
        (EntityType::Phone, a),
        (EntityType::Phone, b),
        (EntityType::CreditDebitNumber, c),
    ]);
    s.decoys.extend([d1, d2]);
    s.text = t;
    s
}
