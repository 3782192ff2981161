//! Documents of every kind (tickets, logs, CSV, JSON Lines, e-mails, prose, config files)
//! built from the value generators, their PII-free filler, and the mixed corpora.

use std::fmt::Write as _;

use super::{HEX, Kind, Rng, Sample, WORDS};
use crate::entity::EntityType;

struct Doc<'a> {
    rng: &'a mut Rng,
    s: Sample,
}

impl Doc<'_> {
    pub(super) fn pii(&mut self, t: EntityType) -> String {
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

    pub(super) fn decoy(&mut self) -> String {
        let v = self.rng.decoy();
        self.s.decoys.push(v.clone());
        v
    }

    pub(super) fn words(&mut self, n: usize) -> String {
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
