//! A deterministic generator of realistic mixed text for tests and benchmarks: support tickets,
//! application logs, CSV exports, JSON Lines events, e-mails, prose and config files, with PII
//! planted in many formats and harmless look-alikes (UUIDs, SHAs, versions, OIDs, tracking
//! numbers, timestamps, Luhn-invalid order numbers, invalid SSNs) that must survive.
//!
//! Every planted value is recorded, so tests can check recall (no planted value survives) and
//! precision (every decoy survives) on text the detector was not tuned on.

use std::fmt::Write as _;

use crate::entity::EntityType;

/// A small, fast, seedable PRNG (SplitMix64); no dependency, stable across platforms.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// One element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| char::from(*self.pick(alphabet))).collect()
    }
}

/// A generated document with what was planted in it.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// The text.
    pub text: String,
    /// PII values planted, with their type (default-on types only).
    pub pii: Vec<(EntityType, String)>,
    /// Look-alikes that must come out unchanged.
    pub decoys: Vec<String>,
}

/// The kinds of document the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A help-desk ticket.
    Ticket,
    /// Application / access log lines.
    Log,
    /// A CSV export with a header.
    Csv,
    /// JSON Lines events.
    Jsonl,
    /// An e-mail with headers and signature.
    Email,
    /// Free prose.
    Prose,
    /// A config / env file.
    Config,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 7] = [
        Kind::Ticket,
        Kind::Log,
        Kind::Csv,
        Kind::Jsonl,
        Kind::Email,
        Kind::Prose,
        Kind::Config,
    ];
}

const FIRST: &[&str] = &[
    "Maria", "James", "Wei", "Aisha", "Olga", "Carlos", "Priya", "John", "Fatima", "Liam", "Noor",
    "Émile", "Søren", "Yuki",
];
const LAST: &[&str] = &[
    "Garcia", "Smith", "Chen", "Khan", "Ivanova", "Silva", "Patel", "O'Brien", "Müller",
    "Nakamura", "Dubois", "Okafor",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.org",
    "corp.example.net",
    "example.co.uk",
    "test-mail.io",
    "uni.example.edu",
];
const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";
const WORDS: &[&str] = &[
    "the",
    "customer",
    "reported",
    "that",
    "after",
    "upgrading",
    "service",
    "was",
    "unavailable",
    "for",
    "several",
    "minutes",
    "we",
    "checked",
    "logs",
    "and",
    "found",
    "retry",
    "storm",
    "in",
    "region",
    "please",
    "confirm",
    "billing",
    "address",
    "delivery",
    "window",
    "moved",
    "to",
    "next",
    "week",
    "because",
    "of",
    "weather",
    "team",
    "will",
    "follow",
    "up",
];

/// Generators of single values (valid PII or decoys).
impl Rng {
    fn name(&mut self) -> String {
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

struct Doc<'a> {
    rng: &'a mut Rng,
    s: Sample,
}

impl Doc<'_> {
    fn pii(&mut self, t: EntityType) -> String {
        let v = match t {
            EntityType::Email => self.rng.email(),
            EntityType::Phone => self.rng.phone(),
            EntityType::Ssn => self.rng.ssn(),
            EntityType::CreditDebitNumber => self.rng.card(),
            EntityType::IpAddress => self.rng.ip(),
            EntityType::MacAddress => self.rng.mac(),
            EntityType::AwsAccessKey => self.rng.access_key(),
            EntityType::AwsSecretKey => self.rng.secret_key(),
            _ => self.rng.iban(),
        };
        let t = if matches!(
            t,
            EntityType::Email
                | EntityType::Phone
                | EntityType::Ssn
                | EntityType::CreditDebitNumber
                | EntityType::IpAddress
                | EntityType::MacAddress
                | EntityType::AwsAccessKey
                | EntityType::AwsSecretKey
        ) {
            t
        } else {
            EntityType::InternationalBankAccountNumber
        };
        self.s.pii.push((t, v.clone()));
        v
    }

    fn decoy(&mut self) -> String {
        let v = self.rng.decoy();
        self.s.decoys.push(v.clone());
        v
    }

    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| *self.rng.pick(WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One document of `kind`.
pub fn document(rng: &mut Rng, kind: Kind) -> Sample {
    use EntityType as T;
    let mut d = Doc {
        rng,
        s: Sample::default(),
    };
    let mut t = String::new();
    match kind {
        Kind::Ticket => {
            let _ = writeln!(
                t,
                "Ticket SUP-{} opened by {} <{}>",
                d.rng.digits(6),
                d.rng.name(),
                d.pii(T::Email)
            );
            let _ = writeln!(t, "Priority: P{}  Build: {}", d.rng.range(1, 4), d.decoy());
            let _ = writeln!(
                t,
                "Customer says: {}. Call me back at {} or on my cell.",
                d.words(12),
                d.pii(T::Phone)
            );
            let _ = writeln!(
                t,
                "Card on file {} was charged twice for order {}.",
                d.pii(T::CreditDebitNumber),
                d.decoy()
            );
            if d.rng.chance(0.5) {
                let _ = writeln!(
                    t,
                    "Verified identity with SSN {} and refund to IBAN {}.",
                    d.pii(T::Ssn),
                    d.pii(T::InternationalBankAccountNumber)
                );
            }
            let _ = writeln!(t, "Internal ref {} / trace {}\n", d.decoy(), d.decoy());
        }
        Kind::Log => {
            for _ in 0..d.rng.range(4, 12) {
                let ts = format!(
                    "2024-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z",
                    d.rng.range(1, 12),
                    d.rng.range(1, 28),
                    d.rng.below(24),
                    d.rng.below(60),
                    d.rng.below(60),
                    d.rng.digits(3)
                );
                let _ = match d.rng.below(4) {
                    0 => writeln!(
                        t,
                        "{ts} INFO  http: {} - - \"GET /api/v2/orders/{} HTTP/1.1\" 200 {} rid={}",
                        d.pii(T::IpAddress),
                        d.rng.digits(6),
                        d.rng.range(100, 99999),
                        d.decoy()
                    ),
                    1 => writeln!(
                        t,
                        "{ts} WARN  auth: login failed user={} src={} attempt={}",
                        d.pii(T::Email),
                        d.pii(T::IpAddress),
                        d.rng.range(1, 5)
                    ),
                    2 => writeln!(
                        t,
                        "{ts} DEBUG net: iface eth0 hw {} mtu 1500 build {}",
                        d.pii(T::MacAddress),
                        d.decoy()
                    ),
                    _ => writeln!(
                        t,
                        "{ts} ERROR job: worker-{} crashed after {} ms, commit {}",
                        d.rng.below(16),
                        d.rng.range(1, 90000),
                        d.decoy()
                    ),
                };
            }
            t.push('\n');
        }
        Kind::Csv => {
            t.push_str("id,name,email,phone,card,created_at,amount,notes\n");
            for _ in 0..d.rng.range(3, 10) {
                let _ = writeln!(
                    t,
                    "{},\"{}\",{},{},{},2024-0{}-1{} 10:0{}:00,{}.{},\"{}\"",
                    d.rng.digits(5),
                    d.rng.name(),
                    d.pii(T::Email),
                    d.pii(T::Phone),
                    d.pii(T::CreditDebitNumber),
                    d.rng.range(1, 9),
                    d.rng.below(9),
                    d.rng.below(9),
                    d.rng.range(1, 999),
                    d.rng.digits(2),
                    d.decoy()
                );
            }
            t.push('\n');
        }
        Kind::Jsonl => {
            for _ in 0..d.rng.range(3, 8) {
                let _ = writeln!(
                    t,
                    r#"{{"event":"signup","user":{{"email":"{}","phone":"{}","ip":"{}"}},"request_id":"{}","ssn":"{}","ts":{}}}"#,
                    d.pii(T::Email),
                    d.pii(T::Phone),
                    d.pii(T::IpAddress),
                    d.decoy(),
                    d.pii(T::Ssn),
                    d.rng.range(1_600_000_000, 1_800_000_000)
                );
            }
            t.push('\n');
        }
        Kind::Email => {
            let _ = writeln!(
                t,
                "From: {} <{}>\nTo: billing <{}>\nSubject: Re: invoice {}\nMessage-ID: <{}@mx.example.com>\n",
                d.rng.name(),
                d.pii(T::Email),
                d.pii(T::Email),
                d.decoy(),
                d.rng.chars(24, HEX)
            );
            let _ = writeln!(
                t,
                "Hi team,\n\n{}. Please wire the refund to {} and confirm by phone ({}).\n",
                d.words(20),
                d.pii(T::InternationalBankAccountNumber),
                d.pii(T::Phone)
            );
            let _ = writeln!(
                t,
                "Thanks,\n{}\nMobile: {}\n\n",
                d.rng.name(),
                d.pii(T::Phone)
            );
        }
        Kind::Prose => {
            let _ = writeln!(
                t,
                "{} {}. {} mentioned that version {} fixed it, see commit {}. {}.\n",
                d.words(15),
                d.words(10),
                d.rng.name(),
                d.decoy(),
                d.decoy(),
                d.words(18)
            );
        }
        Kind::Config => {
            let _ = writeln!(
                t,
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = eu-west-1\n",
                d.pii(T::AwsAccessKey),
                d.pii(T::AwsSecretKey)
            );
            let _ = writeln!(
                t,
                "# deployed {}\nAPI_URL=https://api.example.com/v1\nDB_HOST={}\nADMIN_EMAIL={}\nBUILD_SHA={}\n",
                d.decoy(),
                d.pii(T::IpAddress),
                d.pii(T::Email),
                d.decoy()
            );
        }
    }
    d.s.text = t;
    d.s
}

/// Mixed documents of every kind until `size` bytes are reached, with what was planted.
pub fn mixed(seed: u64, size: usize) -> Sample {
    let mut rng = Rng::new(seed);
    let mut all = Sample::default();
    while all.text.len() < size {
        let kind = *rng.pick(&Kind::ALL);
        let s = document(&mut rng, kind);
        all.text.push_str(&s.text);
        all.pii.extend(s.pii);
        all.decoys.extend(s.decoys);
    }
    all
}

/// How densely a generated corpus carries PII and look-alikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Density {
    /// Every document is all PII and look-alikes (one every ~57 bytes): the worst case for a
    /// match-then-validate engine.
    Dense,
    /// The same documents, each followed by PII-free text of its own kind (log lines without
    /// user data, ticket history, order rows, page-view events, quoted replies, prose, config
    /// settings) until the document holds one planted PII value per [`TYPICAL_BYTES_PER_PII`]
    /// bytes. The filler keeps what such text really has: timestamps, numbers, paths, keys.
    Typical,
}

/// Bytes of text per planted PII value in [`Density::Typical`] (about one value per KiB).
pub const TYPICAL_BYTES_PER_PII: usize = 1024;

/// PII-free text of `kind`, about `len` bytes (whole lines).
pub fn filler(rng: &mut Rng, kind: Kind, len: usize) -> String {
    let mut t = String::new();
    while t.len() < len {
        let ts = format!(
            "2024-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z",
            rng.range(1, 12),
            rng.range(1, 28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            rng.digits(3)
        );
        let w = |rng: &mut Rng, n: usize| {
            (0..n)
                .map(|_| *rng.pick(WORDS))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = match kind {
            Kind::Log => match rng.below(5) {
                0 => writeln!(
                    t,
                    "{ts} INFO  http: \"GET /api/v2/orders/{}/items HTTP/1.1\" 200 {} {}ms",
                    rng.digits(6),
                    rng.range(100, 99999),
                    rng.range(1, 900)
                ),
                1 => writeln!(
                    t,
                    "{ts} DEBUG cache: hit ratio 0.{} for key orders:page:{} (size {})",
                    rng.digits(2),
                    rng.below(500),
                    rng.range(1, 4096)
                ),
                2 => writeln!(
                    t,
                    "{ts} INFO  job: processed {} records in {} ms, queue depth {}",
                    rng.range(1, 50000),
                    rng.range(1, 90000),
                    rng.below(200)
                ),
                3 => writeln!(
                    t,
                    "{ts} WARN  pool: connection wait {} ms exceeded threshold, active={} idle={}",
                    rng.range(100, 5000),
                    rng.below(64),
                    rng.below(16)
                ),
                _ => writeln!(
                    t,
                    "{ts} INFO  scheduler: task sync-inventory finished status=ok retries={}",
                    rng.below(3)
                ),
            },
            Kind::Ticket => match rng.below(3) {
                0 => writeln!(t, "Agent note: {}.", w(rng, 18)),
                1 => writeln!(
                    t,
                    "Status changed from Open to Pending by agent {} on 2024-{:02}-{:02}.",
                    rng.below(90),
                    rng.range(1, 12),
                    rng.range(1, 28)
                ),
                _ => writeln!(t, "Customer replied: {}. {}.", w(rng, 14), w(rng, 9)),
            },
            Kind::Csv => writeln!(
                t,
                "{},SKU-{},{},{}.{},2024-0{}-1{} 10:0{}:00,\"{}\"",
                rng.digits(5),
                rng.digits(5),
                rng.range(1, 12),
                rng.range(1, 999),
                rng.digits(2),
                rng.range(1, 9),
                rng.below(9),
                rng.below(9),
                w(rng, 4)
            ),
            Kind::Jsonl => writeln!(
                t,
                r#"{{"event":"page_view","path":"/products/{}","referrer":"/search","duration_ms":{},"status":200,"ts":{}}}"#,
                rng.range(1, 99999),
                rng.range(5, 30000),
                rng.range(1_600_000_000, 1_800_000_000)
            ),
            Kind::Email => writeln!(t, "> {}.", w(rng, 12)),
            Kind::Prose => writeln!(t, "{}. {}.", w(rng, 16), w(rng, 12)),
            Kind::Config => match rng.below(4) {
                0 => writeln!(t, "timeout_ms = {}", rng.range(100, 60000)),
                1 => writeln!(t, "max_connections = {}", rng.range(1, 512)),
                2 => writeln!(t, "log_level = \"info\"\nfeature_{} = true", rng.below(40)),
                _ => writeln!(t, "# {}", w(rng, 8)),
            },
        };
    }
    t
}

/// One document of `kind` at `density` (for [`Density::Typical`], followed by its filler).
pub fn document_at(rng: &mut Rng, kind: Kind, density: Density) -> Sample {
    let mut s = document(rng, kind);
    if density == Density::Typical {
        let want = s.pii.len() * TYPICAL_BYTES_PER_PII;
        if want > s.text.len() {
            let f = filler(rng, kind, want - s.text.len());
            s.text.push_str(&f);
        }
    }
    s
}

/// Mixed documents of every kind at `density` until `size` bytes are reached.
pub fn mixed_text_at(seed: u64, size: usize, density: Density) -> String {
    let mut rng = Rng::new(seed);
    let mut text = String::with_capacity(size + 8192);
    while text.len() < size {
        let kind = *rng.pick(&Kind::ALL);
        text.push_str(&document_at(&mut rng, kind, density).text);
    }
    text
}

/// Mixed text of about `size` bytes (for benchmarks; nothing recorded).
pub fn mixed_text(seed: u64, size: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut text = String::with_capacity(size + 4096);
    while text.len() < size {
        let kind = *rng.pick(&Kind::ALL);
        text.push_str(&document(&mut rng, kind).text);
    }
    text
}

/// National phone numbers as people write them at home, and cards of every issuer range:
/// the classes the evaluation corpus of issue 12 found missing. Kept apart from
/// [`document`] so the benchmark corpora stay byte for byte what they were.
impl Rng {
    /// `n` digits, the first not `0`.
    fn digits_nz(&mut self, n: usize) -> String {
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
