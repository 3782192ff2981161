//! Candidate shapes (one regex pattern each) and the validators that turn a candidate into a
//! finding. Shapes are deliberately loose; every rule that decides "is this really PII" lives
//! in the validator, which also sees the bytes around the candidate.

use crate::checks;
use crate::config::DateTimeScope;
use crate::context::{self, Ctx, Keywords};

use crate::entity::{EntityType as T, TypeSet};
pub(crate) use crate::patterns::Shape;

/// Where to search again after a rejected digit-group candidate `hay[start..end]`: the start
/// of its next group. Not its end: another shape can begin in a later group and run past the
/// candidate (`000 00000 0422::a` ends a rejected space-grouped run with an IPv6 address;
/// `000 555-123-4567` hides a phone number behind one). Found by the `redact` fuzz target,
/// which saw the chunking change the output.
pub(crate) fn next_group(hay: &[u8], start: usize, end: usize) -> usize {
    (start + 1..end)
        .find(|&i| !hay[i - 1].is_ascii_alphanumeric() && hay[i].is_ascii_alphanumeric())
        .unwrap_or(end)
}

/// Longest possible candidate (the e-mail shape: 64 + 1 + 8 × 64 + 24 bytes).
pub(crate) const MAX_MATCH: usize = 640;

impl Shape {
    /// Whether a rejected candidate can be skipped group by group (see [`next_group`]): a
    /// start inside a group is part of a longer alphanumeric run, which no shape accepts.
    pub(crate) fn skip_rejected(self) -> bool {
        matches!(
            self,
            Shape::DashGroups
                | Shape::SpaceGroups
                | Shape::Dotted
                | Shape::Digits
                | Shape::LocalPhone
        )
    }

    /// Other shapes worth trying at the same start when this one's validator says no.
    pub(crate) fn fallbacks(self) -> &'static [Shape] {
        match self {
            Shape::MacColon => &[Shape::Ipv6],
            Shape::IdSecret => &[Shape::AwsAccess],
            Shape::MacDot => &[Shape::Dotted],
            Shape::MacDash => &[Shape::DashGroups],
            // A national number can start where a digit-group shape starts and was rejected
            // (`020 7946 0958` is also a space-grouped run, `01.23.45.67.89` starts like an
            // IPv4 address).
            Shape::DashGroups
            | Shape::SpaceGroups
            | Shape::Dotted
            | Shape::Digits
            | Shape::ParenPhone => &[Shape::LocalPhone],
            _ => &[],
        }
    }
}

/// Bytes after the `secret` keyword in which [`Shape::AwsSecret`]'s token may start.
pub(crate) const SECRET_AFTER_KEYWORD: usize = 80;
/// Bytes after an access key id in which [`Shape::IdSecret`]'s token may start.
pub(crate) const SECRET_AFTER_ID: usize = 160;

fn secret_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'/' || c == b'+'
}

/// The tail of the secret shapes, `[^\n]{0,gap}?[^A-Za-z0-9/+\n][A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+]|\z)`,
/// matched anchored at `p` with the regex's leftmost-first semantics (the shortest gap wins):
/// the end of the match, or `None`.
pub(crate) fn secret_tail(hay: &[u8], p: usize, gap: usize) -> Option<usize> {
    for b in p..=p.saturating_add(gap) {
        let c = *hay.get(b)?;
        if c == b'\n' {
            return None;
        }
        if secret_char(c) {
            continue;
        }
        let t = b + 1;
        let token = hay.get(t..t + 40)?;
        if token.iter().all(|c| secret_char(*c)) {
            match hay.get(t + 40) {
                None => return Some(t + 40),
                Some(c) if !secret_char(*c) => return Some(t + 41),
                Some(_) => {}
            }
        }
    }
    None
}

fn label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// The tail of the e-mail shape after its `@` at `p`, `@(?:[A-Za-z0-9\-]{1,63}\.){1,8}[A-Za-z]{2,24}\b`,
/// matched anchored at `p` with the regex's leftmost-first semantics: the end of the match, or
/// `None`.
///
/// Each label runs to the next byte that is not `[A-Za-z0-9-]`, which must be a `.`, so the
/// label boundaries are fixed; the regex prefers the most labels, and the top-level domain
/// must be a whole run of 2–24 letters followed by a non-word byte (`\b`), since a shorter one
/// is followed by a letter.
pub(crate) fn email_tail(hay: &[u8], p: usize) -> Option<usize> {
    if hay.get(p) != Some(&b'@') {
        return None;
    }
    // Where each label after the first ends its `.` (the possible domain starts).
    let mut tld_starts = [0usize; 8];
    let mut n = 0;
    let mut q = p + 1;
    while n < 8 {
        let len = hay[q..].iter().take_while(|c| label_char(**c)).count();
        if !(1..=63).contains(&len) || hay.get(q + len) != Some(&b'.') {
            break;
        }
        q += len + 1;
        tld_starts[n] = q;
        n += 1;
    }
    tld_starts[..n].iter().rev().find_map(|&t| {
        let len = hay[t..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let next = hay.get(t + len).copied();
        ((2..=24).contains(&len) && !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_'))
            .then_some(t + len)
    })
}

/// The end of a match of the access key id pattern
/// `\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b` starting at `s`, if there is one.
pub(crate) fn access_key_end(hay: &[u8], s: usize) -> Option<usize> {
    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
    let k = hay.get(s..s + 20)?;
    let prefix = matches!(&k[..4], b"AKIA" | b"ASIA" | b"ABIA" | b"ACCA") || k.starts_with(b"A3T");
    let body = k
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let bounded = (s == 0 || !word(&hay[s - 1])) && !hay.get(s + 20).is_some_and(word);
    (prefix && body && bounded).then_some(s + 20)
}

/// A validated value: its type and byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// The entity type.
    pub entity: T,
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

/// Everything a validator may look at.
pub(crate) struct Checker<'a> {
    pub(crate) hay: &'a [u8],
    /// End of the previous finding: an e-mail's local part never reaches back past it.
    pub(crate) floor: usize,
    /// A second finding from the same candidate (the secret after an access key id).
    pub(crate) extra: std::cell::Cell<Option<Finding>>,
    pub(crate) kw: &'a Keywords,
    pub(crate) types: TypeSet,
    pub(crate) scope: DateTimeScope,
}

fn found(entity: T, start: usize, end: usize) -> Option<Finding> {
    Some(Finding { entity, start, end })
}

impl Checker<'_> {
    fn at(&self, i: usize) -> u8 {
        self.hay.get(i).copied().unwrap_or(b'\n')
    }

    fn before(&self, s: usize, n: usize) -> u8 {
        if s >= n { self.hay[s - n] } else { b'\n' }
    }

    /// A separator and a digit before `s`: the candidate is the tail of a longer number run.
    fn run_before(&self, s: usize, seps: &[u8]) -> bool {
        seps.contains(&self.before(s, 1)) && self.before(s, 2).is_ascii_digit()
    }

    /// A separator and a digit after `e`: the candidate is the head of a longer number run.
    fn run_after(&self, e: usize, seps: &[u8]) -> bool {
        seps.contains(&self.at(e)) && self.at(e + 1).is_ascii_digit()
    }

    fn ctx(&self, s: usize) -> Ctx {
        self.kw.before(self.hay, s, context::WINDOW)
    }

    fn want(&self, t: T) -> bool {
        self.types.contains(t)
    }

    fn date_ok(&self, s: usize, y: u32, m: u32, d: u32) -> bool {
        self.want(T::DateTime)
            && checks::date(y, m, d)
            && (self.scope == DateTimeScope::All || self.ctx(s).has(Ctx::DOB))
    }

    /// Validates the candidate `s..e` of `shape`.
    pub(crate) fn validate(&self, shape: Shape, s: usize, e: usize) -> Option<Finding> {
        match shape {
            Shape::Email => self.email(s, e),
            Shape::AwsSecret => self.secret(e),
            Shape::IdSecret => self.id_secret(s, e),
            Shape::AwsAccess => self.access_key(s, e),
            Shape::Iban => self.iban(s, e),
            Shape::MacColon => self.mac(s, e, b':'),
            Shape::MacDash => self.mac(s, e, b'-'),
            Shape::MacDot => self.mac(s, e, b'.'),
            Shape::Ipv6 => self.ipv6(s, e),
            Shape::Dotted => self.dotted(s, e),
            Shape::ParenPhone => {
                let d = digits(&self.hay[s..e]);
                let d10 = if d.len() == 11 { &d[1..] } else { &d[..] };
                (!self.run_after(e, b"-.") && checks::nanp(d10)).then_some(Finding {
                    entity: T::Phone,
                    start: s,
                    end: e,
                })
            }
            Shape::IntlPhone => self.intl_phone(s, e),
            Shape::LocalPhone => self.local_phone(s, e),
            Shape::DashGroups => self.groups(s, e, b'-'),
            Shape::SpaceGroups => self.groups(s, e, b' '),
            Shape::Digits => self.digits(s, e),
            Shape::SlashDate => self.slash_date(s, e),
            Shape::MonthDate => self.month_date(s, e),
            Shape::Passport => self.ctx(s).has(Ctx::PASSPORT).then_some(Finding {
                entity: T::PassportNumber,
                start: s,
                end: e,
            }),
        }
    }

    fn email(&self, at: usize, e: usize) -> Option<Finding> {
        let local_char =
            |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
        let lowest = self.floor.max(at.saturating_sub(64));
        let mut s = at;
        while s > lowest && local_char(self.hay[s - 1]) {
            s -= 1;
        }
        let span = &self.hay[s..e];
        let at = at - s;
        // `a..b@x.com`: the address can only start after the last `..`; leading dots are not part of it.
        let after_dots = span[..at]
            .windows(2)
            .rposition(|w| w == b"..")
            .map_or(0, |p| p + 2);
        let lead = after_dots
            + span[after_dots..at]
                .iter()
                .take_while(|c| **c == b'.')
                .count();
        let local = &span[lead..at];
        s += lead;
        if local.is_empty() || local.ends_with(b".") {
            return None;
        }
        let domain = &span[at + 1..];
        if domain
            .split(|c| *c == b'.')
            .any(|l| l.is_empty() || l[0] == b'-' || l[l.len() - 1] == b'-')
        {
            return None;
        }
        let tld = domain.rsplit(|c| *c == b'.').next()?;
        // Retina images (`icon@2x.png`) and other file names look like addresses.
        const FILE_EXT: &[&[u8]] = &[
            b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"css", b"js", b"ts", b"map",
            b"json", b"txt", b"md", b"ico", b"pdf",
        ];
        if FILE_EXT.iter().any(|x| x.eq_ignore_ascii_case(tld)) {
            return None;
        }
        found(T::Email, s, e)
    }

    /// The 40-character token at the end of a secret shape (before its consumed boundary).
    fn secret_token(&self, e: usize) -> Option<Finding> {
        let end = if secret_char(self.hay[e - 1]) {
            e
        } else {
            e - 1
        };
        let start = end.checked_sub(40)?;
        let v = &self.hay[start..end];
        if v.iter().all(u8::is_ascii_hexdigit) {
            return None; // git SHA-1 and other hex digests
        }
        let (up, low, dig) = (
            v.iter().any(u8::is_ascii_uppercase),
            v.iter().any(u8::is_ascii_lowercase),
            v.iter().any(u8::is_ascii_digit),
        );
        (up && low && dig && checks::entropy(v) >= 3.5).then_some(Finding {
            entity: T::AwsSecretKey,
            start,
            end,
        })
    }

    fn secret(&self, e: usize) -> Option<Finding> {
        self.secret_token(e)
    }

    fn access_key(&self, s: usize, e: usize) -> Option<Finding> {
        (self.want(T::AwsAccessKey) && checks::entropy(&self.hay[s..e]) >= 3.0).then_some(Finding {
            entity: T::AwsAccessKey,
            start: s,
            end: e,
        })
    }

    fn id_secret(&self, s: usize, e: usize) -> Option<Finding> {
        let secret = self.secret_token(e);
        match (self.access_key(s, s + 20), secret) {
            (Some(id), secret) => {
                self.extra.set(secret);
                Some(id)
            }
            (None, secret) => secret,
        }
    }

    fn iban(&self, s: usize, e: usize) -> Option<Finding> {
        let len = checks::iban_length(&self.hay[s..s + 2])?;
        let mut compact = Vec::with_capacity(len);
        let mut p = s;
        while p < e && compact.len() < len {
            let c = self.hay[p];
            if c != b' ' {
                compact.push(c);
            }
            p += 1;
        }
        if compact.len() != len || self.at(p).is_ascii_alphanumeric() {
            return None;
        }
        checks::iban_mod97(&compact).then_some(Finding {
            entity: T::InternationalBankAccountNumber,
            start: s,
            end: p,
        })
    }

    fn mac(&self, s: usize, e: usize, sep: u8) -> Option<Finding> {
        let v = &self.hay[s..e];
        let hex = || v.iter().filter(|c| **c != sep).map(u8::to_ascii_lowercase);
        if hex().all(|c| c == b'0') || hex().all(|c| c == b'f') {
            return None;
        }
        if sep == b'.' && !hex().any(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let run = |c: u8| c == sep;
        if (run(self.at(e)) && self.at(e + 1).is_ascii_hexdigit())
            || (s > 0 && run(self.before(s, 1)) && self.before(s, 2).is_ascii_hexdigit())
        {
            return None;
        }
        found(T::MacAddress, s, e)
    }

    fn ipv6(&self, s: usize, mut e: usize) -> Option<Finding> {
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let prev = self.before(s, 1);
        if s > 0 && (word(prev) || prev == b':' || prev == b'.') {
            return None;
        }
        let span = &self.hay[s..e];
        let addr_end = span.iter().position(|c| *c == b'%').map_or(e, |p| s + p);
        let mut addr = &self.hay[s..addr_end];
        if addr_end == e && addr.ends_with(b":") && !addr.ends_with(b"::") {
            addr = &addr[..addr.len() - 1];
            e -= 1;
        }
        let next = self.at(e);
        if word(next) || next == b':' || (next == b'.' && self.at(e + 1).is_ascii_digit()) {
            return None;
        }
        if addr == b"::" || !addr.iter().any(u8::is_ascii_digit) {
            return None;
        }
        checks::ipv6(addr).then_some(Finding {
            entity: T::IpAddress,
            start: s,
            end: e,
        })
    }

    fn dotted(&self, s: usize, e: usize) -> Option<Finding> {
        if self.before(s, 1) == b'.' || self.run_after(e, b".") {
            return None;
        }
        let v = &self.hay[s..e];
        let (lens, n) = group_lens(v, b'.');
        let lens = &lens[..n];
        if n == 4 && self.want(T::IpAddress) && checks::ipv4(v) {
            return found(T::IpAddress, s, e);
        }
        if self.want(T::Phone) {
            let d = digits(v);
            if (lens == [3, 3, 4] && checks::nanp(&d))
                || (lens == [1, 3, 3, 4] && d[0] == b'1' && checks::nanp(&d[1..]))
            {
                return found(T::Phone, s, e);
            }
        }
        if n == 3
            && self.want(T::DateTime)
            && self.dmy_or_ymd(s, &v.split(|c| *c == b'.').collect::<Vec<_>>())
        {
            return found(T::DateTime, s, e);
        }
        None
    }

    fn dmy_or_ymd(&self, s: usize, g: &[&[u8]]) -> bool {
        if !self.want(T::DateTime) {
            return false;
        }
        let (a, b, c) = (checks::num(g[0]), checks::num(g[1]), checks::num(g[2]));
        let year = |v: &[u8], n: u32| match v.len() {
            4 => Some(n),
            2 => Some(if n < 30 { 2000 + n } else { 1900 + n }),
            _ => None,
        };
        if g[0].len() == 4 && g[1].len() <= 2 && g[2].len() <= 2 {
            return self.date_ok(s, a, b, c);
        }
        if g[0].len() <= 2
            && g[1].len() <= 2
            && let Some(y) = year(g[2], c)
        {
            return self.date_ok(s, y, b, a) || self.date_ok(s, y, a, b);
        }
        false
    }

    fn intl_phone(&self, s: usize, e: usize) -> Option<Finding> {
        if s > 0 && self.before(s, 1).is_ascii_alphanumeric() || self.run_after(e, b"-.") {
            return None;
        }
        let v = &self.hay[s..e];
        // (A searcher per call cost more than this scan of a dozen bytes.)
        let d = match v.windows(3).position(|w| w == b"(0)") {
            Some(p) => digits2(&v[..p], &v[p + 3..]),
            None => digits(v),
        };
        let ok = if d[0] == b'1' {
            d.len() == 11 && checks::nanp(&d[1..])
        } else {
            (8..=15).contains(&d.len())
        };
        ok.then_some(Finding {
            entity: T::Phone,
            start: s,
            end: e,
        })
    }

    /// A national number as written at home ([`crate::plans`]): not part of a longer number or
    /// word, not after a `+` (international numbers are their own shape), one kind of
    /// separator or two (`(11) 91234-5678`, `011-2345 6789`, `089/123 4567`), dots only alone.
    fn local_phone(&self, s: usize, e: usize) -> Option<Finding> {
        let prev = self.before(s, 1);
        if (s > 0 && (prev.is_ascii_alphanumeric() || matches!(prev, b'+' | b'.' | b'_' | b'/')))
            || self.run_before(s, b" -")
            || self.run_after(e, b" -./")
        {
            return None;
        }
        let v = &self.hay[s..e];
        let (mut lens, mut n, mut len) = ([0usize; 8], 0, 0);
        let mut seps = 0u8;
        let mut slashes = 0;
        for (i, c) in v.iter().enumerate() {
            if c.is_ascii_digit() {
                len += 1;
                continue;
            }
            if len > 0 {
                if n == lens.len() {
                    return None;
                }
                lens[n] = len;
                n += 1;
                len = 0;
            }
            seps |= match c {
                b' ' if i > 0 && v[i - 1] == b')' => 0,
                b' ' => 1,
                b'-' => 2,
                b'.' => 4,
                b'/' => {
                    slashes += 1;
                    if n != 1 {
                        return None;
                    }
                    8
                }
                _ => 0,
            };
        }
        if len > 0 && n < lens.len() {
            lens[n] = len;
            n += 1;
        }
        if (seps & 4 != 0 && seps != 4) || seps.count_ones() > 2 || slashes > 1 {
            return None;
        }
        let d = digits(v);
        crate::plans::national(&d, &lens[..n]).then_some(Finding {
            entity: T::Phone,
            start: s,
            end: e,
        })
    }

    fn groups(&self, s: usize, e: usize, sep: u8) -> Option<Finding> {
        if self.run_before(s, &[sep, b'.', b'-', b'+']) || self.run_after(e, &[sep, b'.', b'-']) {
            return None;
        }
        let v = &self.hay[s..e];
        let (lens, n) = group_lens(v, sep);
        let lens = &lens[..n];
        let d = digits(v);
        if self.want(T::Ssn) && lens == [3, 2, 4] && checks::ssn(&d) {
            return found(T::Ssn, s, e);
        }
        if self.want(T::Phone) {
            let nanp = (lens == [3, 3, 4] && checks::nanp(&d))
                || (lens == [1, 3, 3, 4] && d[0] == b'1' && checks::nanp(&d[1..]));
            let fr = lens == [2, 2, 2, 2, 2] && d[0] == b'0' && d[1] != b'0';
            let uk_mobile = lens == [5, 6] && d.starts_with(b"07");
            let national = d[0] == b'0'
                && d.get(1).is_some_and(|c| *c != b'0')
                && (9..=12).contains(&d.len())
                && n <= 4
                && self.ctx(s).has(Ctx::PHONE);
            if nanp || fr || uk_mobile || national {
                return found(T::Phone, s, e);
            }
        }
        if self.want(T::CreditDebitNumber) && card_grouping(lens) && checks::card(&d) {
            return found(T::CreditDebitNumber, s, e);
        }
        if n == 3
            && self.want(T::DateTime)
            && self.dmy_or_ymd(s, &v.split(|c| *c == sep).collect::<Vec<_>>())
        {
            return found(T::DateTime, s, e);
        }
        None
    }

    fn digits(&self, s: usize, e: usize) -> Option<Finding> {
        if self.run_before(s, b".-")
            || matches!(self.before(s, 1), b'+' | b'.')
            || self.run_after(e, b".-")
        {
            return None;
        }
        let d = &self.hay[s..e];
        let n = d.len();
        if self.want(T::CreditDebitNumber) && checks::card(d) {
            return found(T::CreditDebitNumber, s, e);
        }
        let maybe = (n == 9 && self.types.any(&[T::Ssn, T::BankRouting, T::PassportNumber]))
            || ((10..=11).contains(&n) && self.want(T::Phone))
            || ((8..=17).contains(&n) && self.want(T::BankAccountNumber));
        if !maybe {
            return None;
        }
        // The keyword context is looked up only once a candidate passes its other checks
        // (most long digit runs are ids and epoch times that fail them).
        let ctx_cell = std::cell::OnceCell::new();
        let ctx = || *ctx_cell.get_or_init(|| self.ctx(s));
        if n == 9 {
            if self.want(T::Ssn) && checks::ssn(d) && ctx().has(Ctx::SSN) {
                return found(T::Ssn, s, e);
            }
            if self.want(T::BankRouting) && checks::aba(d) && ctx().has(Ctx::ROUTING) {
                return found(T::BankRouting, s, e);
            }
        }
        if self.want(T::Phone) && crate::plans::bare_mobile(d) {
            return found(T::Phone, s, e);
        }
        if self.want(T::Phone) {
            let nanp =
                (n == 10 && checks::nanp(d)) || (n == 11 && d[0] == b'1' && checks::nanp(&d[1..]));
            let national = (10..=11).contains(&n) && d[0] == b'0' && d[1] != b'0';
            if (nanp || national) && ctx().has(Ctx::PHONE) {
                return found(T::Phone, s, e);
            }
        }
        if self.want(T::PassportNumber) && n == 9 && ctx().has(Ctx::PASSPORT) {
            return found(T::PassportNumber, s, e);
        }
        if self.want(T::BankAccountNumber)
            && (8..=17).contains(&n)
            && !checks::one_digit(d)
            && ctx().has(Ctx::ACCOUNT)
        {
            return found(T::BankAccountNumber, s, e);
        }
        None
    }

    fn slash_date(&self, s: usize, e: usize) -> Option<Finding> {
        if self.run_before(s, b"/") || self.run_after(e, b"/") {
            return None;
        }
        let groups: Vec<&[u8]> = self.hay[s..e].split(|c| *c == b'/').collect();
        self.dmy_or_ymd(s, &groups).then_some(Finding {
            entity: T::DateTime,
            start: s,
            end: e,
        })
    }

    fn month_date(&self, s: usize, e: usize) -> Option<Finding> {
        let v = &self.hay[s..e];
        let mut nums = Vec::new();
        let mut month = None;
        for tok in v
            .split(|c| matches!(c, b' ' | b',' | b'-'))
            .filter(|t| !t.is_empty())
        {
            let digits_len = tok.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits_len > 0 {
                nums.push((checks::num(&tok[..digits_len]), digits_len));
            } else if month.is_none() {
                month = checks::month(tok);
            }
        }
        let m = month?;
        let [(d, _), (y, ylen)] = nums.as_slice() else {
            return None;
        };
        let (d, y, ylen) = (*d, *y, *ylen);
        let y = if ylen == 2 {
            if y < 30 { 2000 + y } else { 1900 + y }
        } else {
            y
        };
        self.date_ok(s, y, m, d).then_some(Finding {
            entity: T::DateTime,
            start: s,
            end: e,
        })
    }
}

/// Whether digit groups of lengths `l` (left to right, joined by `sep`, the first starting
/// with the digits `first`) are in the `DashGroups` / `SpaceGroups` (`sep` `-` / ` `) or
/// `Dotted` (`.`) pattern for `t`, without its `\b`s: lets the engine find a match's start
/// without a reverse search. Mirrors `groups_pattern` (`src/patterns.rs`) and [`Shape::pattern`].
pub(crate) fn groups_match(l: &[usize], first: &[u8], sep: u8, t: TypeSet) -> bool {
    let n = l.len();
    if n == 0 || l.contains(&0) {
        return false;
    }
    let in_range = |x: usize, lo: usize, hi: usize| (lo..=hi).contains(&x);
    let g0 = first[0];
    let phone = t.contains(T::Phone) && (l == [3, 3, 4] || (l == [1, 3, 3, 4] && g0 == b'1'));
    let date = t.contains(T::DateTime) && n == 3 && date_lens(l);
    if sep == b'.' {
        return phone
            || date
            || (t.contains(T::IpAddress) && n == 4 && l.iter().all(|x| in_range(*x, 1, 3)));
    }
    phone
        || date
        || (t.contains(T::Ssn) && l == [3, 2, 4])
        || (t.contains(T::Phone)
            && g0 == b'0'
            && ((l == [2, 2, 2, 2, 2] && first[1] != b'0')
                || (in_range(l[0], 2, 5)
                    && in_range(n, 2, 4)
                    && l[1..].iter().all(|x| in_range(*x, 3, 8)))))
        || (t.contains(T::CreditDebitNumber)
            && ((in_range(n, 3, 5)
                && l[..3] == [4, 4, 4]
                && (n == 3 || in_range(l[3], 1, 4))
                && (n < 5 || (l[3] == 4 && in_range(l[4], 1, 4))))
                || (n == 3 && l[0] == 4 && l[1] == 6 && in_range(l[2], 4, 5))))
}

/// `[0-9]{4}_[0-9]{1,2}_[0-9]{1,2}` or `[0-9]{1,2}_[0-9]{1,2}_[0-9]{2,4}`.
fn date_lens(l: &[usize]) -> bool {
    let short = |x: usize| (1..=2).contains(&x);
    (l[0] == 4 && short(l[1]) && short(l[2]))
        || (short(l[0]) && short(l[1]) && (2..=4).contains(&l[2]))
}

/// The ASCII digits of a candidate, on the stack (candidates are short; extra digits are dropped,
/// which only makes a too-long candidate fail its length checks).
fn digits(v: &[u8]) -> Digits {
    digits2(v, &[])
}

/// The ASCII digits of `a` then `b`.
fn digits2(a: &[u8], b: &[u8]) -> Digits {
    let mut d = Digits { b: [0; 48], n: 0 };
    for c in a.iter().chain(b).filter(|c| c.is_ascii_digit()) {
        if d.n == d.b.len() {
            break;
        }
        d.b[d.n] = *c;
        d.n += 1;
    }
    d
}

struct Digits {
    b: [u8; 48],
    n: usize,
}

impl std::ops::Deref for Digits {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.b[..self.n]
    }
}

/// Group lengths of `v` split at `sep` (at most 16 groups; the shapes allow fewer).
fn group_lens(v: &[u8], sep: u8) -> ([usize; 16], usize) {
    let mut lens = [0usize; 16];
    let mut n = 0;
    for g in v.split(|c| *c == sep) {
        if n == lens.len() {
            break;
        }
        lens[n] = g.len();
        n += 1;
    }
    (lens, n)
}

fn card_grouping(lens: &[usize]) -> bool {
    let total: usize = lens.iter().sum();
    if !(13..=19).contains(&total) {
        return false;
    }
    matches!(lens, [4, 6, 5] | [4, 6, 4])
        || (lens.len() >= 4
            && lens[..lens.len() - 1].iter().all(|l| *l == 4)
            && (1..=4).contains(&lens[lens.len() - 1]))
}
