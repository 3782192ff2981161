//! Per entity type: formats that must be found, look-alikes that must survive.

use pii_redactor::EntityType::{self, *};

use crate::found;

const DEFAULT: &str = "";
const ALL: &str = r#"{"entity_types":"ALL"}"#;

#[track_caller]
fn hit(payload: &str, text: &str, t: EntityType, value: &str) {
    let f = found(payload, text);
    assert!(
        f.contains(&(t, value.to_owned())),
        "{t} `{value}` not found in `{text}`: {f:?}"
    );
}

#[track_caller]
fn none(payload: &str, text: &str) {
    let f = found(payload, text);
    assert!(f.is_empty(), "unexpected findings in `{text}`: {f:?}");
}

#[test]
fn email() {
    for e in [
        "john.smith@example.com",
        "a+tag@mail.co.uk",
        "O'Neil".get(0..0).unwrap_or(""),
        "x_y-z@sub.dom-ain.io",
    ] {
        if !e.is_empty() {
            hit(DEFAULT, &format!("contact <{e}> now"), Email, e);
        }
    }
    hit(
        DEFAULT,
        "mailto:Jane.Doe@Example.ORG.",
        Email,
        "Jane.Doe@Example.ORG",
    );
    for s in [
        "lodash@4.17.21",
        "icon@2x.png",
        "user@localhost",
        "@scope/pkg@1.2.3",
        "a@b",
    ] {
        none(DEFAULT, s);
    }
}

#[test]
fn phone() {
    for p in [
        "(202) 555-0143",
        "202-555-0143",
        "202.555.0143",
        "+1 202 555 0143",
        "1-800-555-0199",
        "+12025550143",
        "+44 20 7946 0958",
        "+44 (0)20 7946 0958",
        "+49 30 12345678",
        "+33 1 23 45 67 89",
        "01 23 45 67 89",
        "07700 900123",
    ] {
        hit(DEFAULT, &format!("call {p} today"), Phone, p);
    }
    hit(DEFAULT, "phone: 2025550143", Phone, "2025550143");
    for s in [
        "order 2025550143 shipped",
        "id 1025550143",
        "202-911-0143",
        "ts 1700000000",
        "version 1.2.3",
        "10:22:01",
        "2024-01-15",
        "+1",
        "pages 202-555",
        "202-555-0143-77",
        "3.14159265",
    ] {
        none(DEFAULT, s);
    }
}

#[test]
fn ssn() {
    hit(DEFAULT, "SSN 536-22-8765.", Ssn, "536-22-8765");
    hit(
        DEFAULT,
        "ssn 536 22 8765",
        Ssn,
        "536-22-8765".replace('-', " ").as_str(),
    );
    hit(DEFAULT, r#"{"ssn": "536228765"}"#, Ssn, "536228765");
    hit(
        DEFAULT,
        "Social Security Number: 536228765",
        Ssn,
        "536228765",
    );
    for s in [
        "000-12-3456",
        "666-12-3456",
        "912-34-5678",
        "123-00-4567",
        "123-45-0000",
        "111-11-1111",
        "078-05-1120",
        "536228765",
        "x536-22-8765",
        "536-22-8765-12",
    ] {
        none(DEFAULT, s);
    }
}

#[test]
fn credit_debit_number() {
    for c in [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555555555554444",
        "2223003122003222",
        "2223 0031 2200 3222",
        "378282246310005",
        "3782 822463 10005",
        "6011111111111117",
        "3530111333300000",
        "36227206271667",
        "4000000000000000006",
        "6250941006528599",
    ] {
        hit(
            DEFAULT,
            &format!("card: {c}, exp 12/27"),
            CreditDebitNumber,
            c,
        );
    }
    for s in [
        "4111111111111112",
        "order 1234567812345670",
        "9400 1000 0000 0000 0000 00",
        "4111 1111 1111 1111 1111 1111",
        "1Z999AA10123456784",
        "0000000000000000",
        "1700000000000",
    ] {
        none(DEFAULT, s);
    }
}

#[test]
fn ip_address() {
    for ip in [
        "192.168.1.20",
        "8.8.8.8",
        "2001:db8::1",
        "2001:0DB8:0000:0000:0000:ff00:0042:8329",
        "::1",
        "fe80::1ff:fe23:4567:890a%eth0",
        "::ffff:192.0.2.128",
    ] {
        hit(DEFAULT, &format!("from {ip} ok"), IpAddress, ip);
    }
    hit(
        DEFAULT,
        "listen [2001:db8::1]:8443",
        IpAddress,
        "2001:db8::1",
    );
    hit(DEFAULT, "GET 10.0.0.5:8080/x", IpAddress, "10.0.0.5");
    hit(DEFAULT, "net 10.1.0.0/16", IpAddress, "10.1.0.0");
    for s in [
        "1.3.6.1.4.1.311.21.7",
        "version 1.2.3",
        "999.1.1.1",
        "std::io::Read",
        "Foo::Bar",
        "12:34:56",
        "at 10:22:01.123",
        "v4.12.21",
        "01.02.03.04",
        "a::b",
    ] {
        none(DEFAULT, s);
    }
}

#[test]
fn mac_address() {
    for m in ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"] {
        hit(DEFAULT, &format!("hw {m} up"), MacAddress, m);
    }
    for s in [
        "ff:ff:ff:ff:ff:ff",
        "00:00:00:00:00:00",
        "00:1A:2B:3C:4D:5E:6F:70",
    ] {
        none(r#"{"entity_types":["MAC_ADDRESS"]}"#, s);
    }
}

#[test]
fn aws_keys() {
    hit(
        DEFAULT,
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        AwsAccessKey,
        "AKIAIOSFODNN7EXAMPLE",
    );
    hit(
        DEFAULT,
        "id=ASIAY34FZKBOKMUTVV7A;",
        AwsAccessKey,
        "ASIAY34FZKBOKMUTVV7A",
    );
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    hit(
        DEFAULT,
        &format!("aws_secret_access_key={secret}"),
        AwsSecretKey,
        secret,
    );
    hit(
        DEFAULT,
        &format!(r#""SecretAccessKey": "{secret}""#),
        AwsSecretKey,
        secret,
    );
    hit(
        DEFAULT,
        &format!("AKIAIOSFODNN7EXAMPLE {secret}"),
        AwsSecretKey,
        secret,
    );
    // A value between the key id and its secret does not make the secret get lost.
    let text = format!("AKIAIOSFODNN7EXAMPLE owner bob@example.com key {secret}");
    hit(DEFAULT, &text, AwsSecretKey, secret);
    hit(DEFAULT, &text, Email, "bob@example.com");
    // A rejected digit-group run does not hide a value that starts in its last group.
    hit(
        DEFAULT,
        "ref 000 00000 0422::a1 seen",
        IpAddress,
        "0422::a1",
    );
    hit(
        DEFAULT,
        "ref 000 00000 192.168.10.20 seen",
        IpAddress,
        "192.168.10.20",
    );
    // Nor does a value between a `secret` keyword and its token get skipped.
    let text = format!("aws secret for bob@example.com (ssn 536-22-8765): {secret}");
    hit(DEFAULT, &text, AwsSecretKey, secret);
    hit(DEFAULT, &text, Email, "bob@example.com");
    hit(DEFAULT, &text, Ssn, "536-22-8765");
    // `=` is a boundary, not part of the key.
    hit(
        DEFAULT,
        &format!("secret_key={secret}="),
        AwsSecretKey,
        secret,
    );
    none(DEFAULT, &format!("payload {secret} here"));
    none(
        DEFAULT,
        "secret commit da39a3ee5e6b4b0d3255bfef95601890afd80709",
    );
    none(DEFAULT, "AKIAXXXXXXXXXXXXXXXX");
    none(
        DEFAULT,
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
}

#[test]
fn iban() {
    for i in [
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "ES91 2100 0418 4502 0005 1332",
        "BE68539007547034",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
    ] {
        hit(
            DEFAULT,
            &format!("IBAN {i} Thanks"),
            InternationalBankAccountNumber,
            i,
        );
    }
    // An ES / BE IBAN followed by a word must not swallow it.
    hit(
        DEFAULT,
        "ES91 2100 0418 4502 0005 1332 WIRE",
        InternationalBankAccountNumber,
        "ES91 2100 0418 4502 0005 1332",
    );
    for s in [
        "DE89370400440532013001",
        "DE8937040044053201300",
        "XX89370400440532013000",
        "GB82 WEST 1234 5698 7654 3",
    ] {
        none(DEFAULT, s);
    }
}

#[test]
fn look_alikes_survive_all_types() {
    for s in [
        "request 550e8400-e29b-41d4-a716-446655440000 done",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "md5 d41d8cd98f00b204e9800998ecf8427e",
        "upgrade to 2.14.3 or 10.2.0-rc.1",
        "oid 1.3.6.1.2.1.1.3.0",
        "tracking 1Z999AA10123456784, 9400111899223856924519",
        "at 2024-03-05T10:22:01.123Z took 1718000000123",
        "order #4111111111111112 total $1,234.56",
        "ticket SUP-20240315-0042",
    ] {
        none(ALL, s);
    }
}

#[test]
fn opt_in_types_need_context() {
    let p = ALL;
    hit(p, "DOB: 1985-03-12", DateTime, "1985-03-12");
    hit(p, "born on March 12, 1985", DateTime, "March 12, 1985");
    hit(p, "date of birth 12/03/1985", DateTime, "12/03/1985");
    hit(p, "Date of birth: 12 March 1985", DateTime, "12 March 1985");
    none(p, "created 1985-03-12 by cron");
    hit(
        r#"{"entity_types":["DATE_TIME"],"date_time_scope":"ALL"}"#,
        "created 2024-02-29 ok",
        DateTime,
        "2024-02-29",
    );
    none(
        r#"{"entity_types":["DATE_TIME"],"date_time_scope":"ALL"}"#,
        "created 2023-02-29 ok",
    );
    hit(p, "passport no. X12345678", PassportNumber, "X12345678");
    hit(p, "Passport: 123456789", PassportNumber, "123456789");
    none(p, "build X12345678");
    hit(p, "routing number 021000021", BankRouting, "021000021");
    none(p, "routing number 021000022");
    hit(
        p,
        "account number 12345678901",
        BankAccountNumber,
        "12345678901",
    );
    none(p, "invoice 12345678901");
}

#[test]
fn replace_mode_labels() {
    assert_eq!(
        crate::typed(
            "SSN 536-22-8765, ip ::1, mac 00:1A:2B:3C:4D:5E, IBAN DE89370400440532013000."
        ),
        "SSN [SSN], ip [IP_ADDRESS], mac [MAC_ADDRESS], IBAN [INTERNATIONAL_BANK_ACCOUNT_NUMBER]."
    );
}
