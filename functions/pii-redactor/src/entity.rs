//! Entity types (named as Amazon Comprehend names them) and small sets of them.

use std::fmt;

/// A kind of personally identifiable information the redactor can find.
///
/// The serde names are Comprehend's entity labels, so a payload written for the
/// Comprehend redaction function keeps working for the types we support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    /// E-mail address.
    Email,
    /// Telephone number (North American and international formats).
    Phone,
    /// US Social Security number.
    Ssn,
    /// Payment card number (Luhn and issuer ranges checked).
    CreditDebitNumber,
    /// IPv4 or IPv6 address.
    IpAddress,
    /// MAC address.
    MacAddress,
    /// AWS access key id (`AKIA…`, `ASIA…`).
    AwsAccessKey,
    /// AWS secret access key (40 characters, needs a keyword or key id nearby).
    AwsSecretKey,
    /// IBAN (ISO 13616 mod-97 and per-country length).
    InternationalBankAccountNumber,
    /// Calendar date; by default only dates of birth (opt-in).
    DateTime,
    /// Passport number after a passport keyword (opt-in).
    PassportNumber,
    /// Bank account number after an account keyword (opt-in).
    BankAccountNumber,
    /// ABA routing number after a routing keyword (opt-in).
    BankRouting,
}

impl EntityType {
    /// Every supported type, in a fixed order.
    pub const ALL: [EntityType; 13] = [
        EntityType::Email,
        EntityType::Phone,
        EntityType::Ssn,
        EntityType::CreditDebitNumber,
        EntityType::IpAddress,
        EntityType::MacAddress,
        EntityType::AwsAccessKey,
        EntityType::AwsSecretKey,
        EntityType::InternationalBankAccountNumber,
        EntityType::DateTime,
        EntityType::PassportNumber,
        EntityType::BankAccountNumber,
        EntityType::BankRouting,
    ];

    /// The types that are on when the payload does not name any.
    pub const DEFAULT: [EntityType; 9] = [
        EntityType::Email,
        EntityType::Phone,
        EntityType::Ssn,
        EntityType::CreditDebitNumber,
        EntityType::IpAddress,
        EntityType::MacAddress,
        EntityType::AwsAccessKey,
        EntityType::AwsSecretKey,
        EntityType::InternationalBankAccountNumber,
    ];

    /// Comprehend's label, e.g. `CREDIT_DEBIT_NUMBER`.
    pub fn name(self) -> &'static str {
        match self {
            EntityType::Email => "EMAIL",
            EntityType::Phone => "PHONE",
            EntityType::Ssn => "SSN",
            EntityType::CreditDebitNumber => "CREDIT_DEBIT_NUMBER",
            EntityType::IpAddress => "IP_ADDRESS",
            EntityType::MacAddress => "MAC_ADDRESS",
            EntityType::AwsAccessKey => "AWS_ACCESS_KEY",
            EntityType::AwsSecretKey => "AWS_SECRET_KEY",
            EntityType::InternationalBankAccountNumber => "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
            EntityType::DateTime => "DATE_TIME",
            EntityType::PassportNumber => "PASSPORT_NUMBER",
            EntityType::BankAccountNumber => "BANK_ACCOUNT_NUMBER",
            EntityType::BankRouting => "BANK_ROUTING",
        }
    }

    /// Parses a Comprehend label (exact, upper case).
    pub fn from_name(name: &str) -> Option<EntityType> {
        EntityType::ALL.into_iter().find(|t| t.name() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of entity types (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TypeSet(u16);

impl TypeSet {
    /// The empty set.
    pub const EMPTY: TypeSet = TypeSet(0);

    /// A set holding the given types.
    pub fn of(types: &[EntityType]) -> TypeSet {
        types.iter().fold(TypeSet::EMPTY, |s, t| s.with(*t))
    }

    /// Every supported type.
    pub fn all() -> TypeSet {
        TypeSet::of(&EntityType::ALL)
    }

    /// The default-on types.
    pub fn default_on() -> TypeSet {
        TypeSet::of(&EntityType::DEFAULT)
    }

    /// This set plus `t`.
    #[must_use]
    pub fn with(self, t: EntityType) -> TypeSet {
        TypeSet(self.0 | t.bit())
    }

    /// Whether `t` is in the set.
    pub fn contains(self, t: EntityType) -> bool {
        self.0 & t.bit() != 0
    }

    /// Whether any of `types` is in the set.
    pub fn any(self, types: &[EntityType]) -> bool {
        types.iter().any(|t| self.contains(*t))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The types in the set, in [`EntityType::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = EntityType> {
        EntityType::ALL
            .into_iter()
            .filter(move |t| self.contains(*t))
    }
}
