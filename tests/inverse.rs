//! The inverse converters against real PostgreSQL 15 and 18: a SQLite value
//! goes forward (its converter, then the binary COPY encoder) into a column
//! of the target type, comes back as PostgreSQL's text, and through
//! `value::inverse` into SQLite again. A value in the column's shape comes
//! back identical; any value the inverse restores converts forward to the
//! same PostgreSQL text (a second trip proves it); the rest name their loss.
mod common;

use common::{PgVersion, cluster};
use pgbridge::ir::pg::Converter;
use pgbridge::value::convert::convert;
use pgbridge::value::inverse::{SESSION, Shape, inverse};
use pgbridge::value::wire::{self, Wire};
use rusqlite::types::{Value, ValueRef};
use std::io::Write;

/// What a sample must give back.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// The same SQLite value (and the shape is learned from these).
    Exact,
    /// Another spelling in the column's shape, the same PostgreSQL value.
    Same,
    /// An `Inexact` whose loss's name starts with this.
    Lost(&'static str),
}

struct Case {
    conv: Converter,
    pg_type: &'static str,
    samples: Vec<(Value, Want)>,
    /// Values only PostgreSQL writes (literals in the column's type).
    pg_only: Vec<(&'static str, Want)>,
}

fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn f32s(v: &[f32]) -> Value {
    Value::Blob(v.iter().flat_map(|f| f.to_le_bytes()).collect())
}

fn case(conv: Converter, pg_type: &'static str, samples: Vec<(Value, Want)>) -> Case {
    Case {
        conv,
        pg_type,
        samples,
        pg_only: Vec::new(),
    }
}

fn cases() -> Vec<Case> {
    use Converter as C;
    use Want::*;
    let uuid = [
        0x01u8, 0x23, 0xab, 0xcd, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x0f,
    ];
    vec![
        Case {
            pg_only: vec![("9223372036854775807", Exact)],
            ..case(
                C::Integer,
                "bigint",
                vec![
                    (Value::Integer(0), Exact),
                    (Value::Integer(i64::MAX), Exact),
                    (Value::Integer(i64::MIN), Exact),
                    (Value::Integer(-1), Exact),
                ],
            )
        },
        Case {
            pg_only: vec![("9007199254740993", Lost("Digits"))],
            ..case(
                C::Integer,
                "bigint",
                vec![
                    (Value::Real(3.0), Exact),
                    (Value::Real(-9.007_199_254_740_992e15), Exact),
                    (Value::Real(-0.0), Same),
                ],
            )
        },
        case(
            C::Integer,
            "bigint",
            vec![(t("42"), Exact), (t("-7"), Exact), (t(" +0042\n"), Same)],
        ),
        case(
            C::Real,
            "double precision",
            vec![
                (Value::Real(0.1 + 0.2), Exact),
                (Value::Real(-0.0), Exact),
                (Value::Real(f64::INFINITY), Exact),
                (Value::Real(f64::NEG_INFINITY), Exact),
                (Value::Real(5e-324), Exact),
                (Value::Real(f64::MAX), Exact),
                (Value::Integer(7), Same),
            ],
        ),
        case(
            C::Real,
            "double precision",
            vec![
                (Value::Integer(7), Exact),
                (Value::Integer(-9_007_199_254_740_992), Exact),
                (Value::Integer(i64::MAX), Lost("NotInteger")),
                (Value::Real(2.5), Lost("NotInteger")),
            ],
        ),
        case(
            C::Real,
            "double precision",
            vec![(t("0.5"), Exact), (t("1e+300"), Exact), (t("1e300"), Same)],
        ),
        Case {
            pg_only: vec![("Infinity", Lost("OutOfRange"))],
            ..case(
                C::Numeric,
                "numeric",
                vec![
                    (t("1.10"), Exact),
                    (t("-12.50"), Exact),
                    (t("0"), Exact),
                    (t("123456789012345678901234567890.123456789"), Exact),
                    (t("+5"), Same),
                    (t("1e3"), Same),
                ],
            )
        },
        case(
            C::Numeric,
            "numeric",
            vec![
                (Value::Integer(5), Exact),
                (Value::Integer(i64::MIN), Exact),
                (t("2.5"), Lost("NotInteger")),
                (t("99999999999999999999"), Lost("Digits")),
            ],
        ),
        Case {
            pg_only: vec![("0.1000000000000000000001", Lost("Digits"))],
            ..case(
                C::Numeric,
                "numeric",
                vec![
                    (Value::Real(0.1), Exact),
                    (Value::Real(1e300), Exact),
                    (Value::Real(-1.5e-7), Exact),
                    (Value::Real(f64::INFINITY), Exact),
                ],
            )
        },
        case(
            C::Text,
            "text",
            vec![
                (t(""), Exact),
                (t("héllo ✓ 🦀"), Exact),
                (t("a'b\"c\\d\nline"), Exact),
            ],
        ),
        case(
            C::AnyText,
            "text",
            vec![
                (Value::Integer(i64::MIN), Exact),
                (Value::Integer(0), Exact),
            ],
        ),
        case(
            C::AnyText,
            "text",
            vec![
                (Value::Real(0.1), Exact),
                (Value::Real(-0.0), Exact),
                (Value::Real(f64::INFINITY), Exact),
                (Value::Real(1e-7), Exact),
            ],
        ),
        case(
            C::AnyText,
            "text",
            vec![
                (t("x"), Lost("MixedShape")),
                (Value::Integer(1), Lost("MixedShape")),
            ],
        ),
        case(
            C::Bytes,
            "bytea",
            vec![
                (Value::Blob(vec![]), Exact),
                (Value::Blob(vec![0, 0xff, b'\\']), Exact),
            ],
        ),
        case(
            C::Bytes,
            "bytea",
            vec![
                (t("héllo"), Exact),
                (t(""), Exact),
                (Value::Blob(vec![0xff]), Lost("NotUtf8")),
            ],
        ),
        case(
            C::Boolean,
            "boolean",
            vec![(Value::Integer(0), Exact), (Value::Integer(1), Exact)],
        ),
        case(
            C::Boolean,
            "boolean",
            vec![(t("true"), Exact), (t("false"), Exact), (t("TRUE"), Same)],
        ),
        case(
            C::Boolean,
            "boolean",
            vec![(t("T"), Exact), (t("F"), Exact)],
        ),
        case(
            C::Boolean,
            "boolean",
            vec![
                (t("t"), Lost("MixedShape")),
                (Value::Integer(1), Lost("MixedShape")),
            ],
        ),
        case(
            C::Json,
            "jsonb",
            vec![
                (
                    t(r#"{"b":1,"a":[1,2.50,{"c":null}]}"#),
                    Lost("JsonCanonical"),
                ),
                (t("{}"), Lost("JsonCanonical")),
                (t("[]"), Lost("JsonCanonical")),
                (t(r#""ü ✓""#), Lost("JsonCanonical")),
                (t(" { \"a\" :\n 1 } "), Lost("JsonCanonical")),
                (t(r#"{"a":1,"a":2}"#), Lost("JsonCanonical")),
                (
                    t(r#"{"deep":{"x":[[[{"y":"\"q\""}]]]}}"#),
                    Lost("JsonCanonical"),
                ),
            ],
        ),
        case(
            C::UuidText,
            "uuid",
            vec![
                (t("0123abcd-0000-4000-8000-00000000000f"), Exact),
                (t("ffffffff-ffff-ffff-ffff-ffffffffffff"), Exact),
            ],
        ),
        case(
            C::UuidText,
            "uuid",
            vec![
                (t("0123ABCD-0000-4000-8000-00000000000F"), Exact),
                (t("0123abcd-0000-4000-8000-00000000000e"), Same),
            ],
        ),
        case(
            C::UuidBlob,
            "uuid",
            vec![
                (Value::Blob(uuid.to_vec()), Exact),
                (Value::Blob(vec![0; 16]), Exact),
            ],
        ),
        case(
            C::IsoTimestamp,
            "timestamptz",
            vec![
                (t("2024-02-29 12:00:00"), Exact),
                (t("0001-01-01 00:00:00"), Exact),
                (t("9999-12-31 23:59:59"), Exact),
                (t("2000-02-29 00:00:00"), Exact),
                (t("2024-02-29T12:00:00Z"), Same),
                (t("2016-12-31 23:59:60"), Same),
                (t("2024-01-01 00:00:00.5"), Lost("Precision")),
                (t("0001-01-01 00:30:00+01:00"), Lost("OutOfRange")),
            ],
        ),
        case(
            C::IsoTimestamp,
            "timestamptz",
            vec![
                (t("2024-02-29T12:34:56.789Z"), Exact),
                (t("1970-01-01T00:00:00.000Z"), Exact),
                (t("2024-02-29T12:34:56.7891Z"), Lost("Precision")),
            ],
        ),
        case(
            C::IsoTimestamp,
            "timestamptz",
            vec![
                (t("2024-02-29T12:34:56+05:30"), Exact),
                (t("2024-03-01T00:00:00+05:30"), Exact),
                (t("2024-02-29T12:34:56Z"), Same),
            ],
        ),
        case(
            C::IsoTimestamp,
            "timestamptz",
            vec![
                (t("2024-02-29 12:34:56.5"), Exact),
                (t("2024-02-29 12:34:56.123456"), Exact),
                (t("2024-02-29 12:34:56"), Exact),
            ],
        ),
        case(
            C::IsoDate,
            "date",
            vec![
                (t("2024-02-29"), Exact),
                (t("0001-01-01"), Exact),
                (t("9999-12-31"), Exact),
            ],
        ),
        Case {
            pg_only: vec![("2024-01-01 00:00:00.5+00", Lost("Precision"))],
            ..case(
                C::EpochSeconds,
                "timestamptz",
                vec![
                    (Value::Integer(0), Exact),
                    (Value::Integer(-1), Exact),
                    (Value::Integer(1_709_164_800), Exact),
                    (Value::Integer(253_402_300_799), Exact),
                ],
            )
        },
        case(
            C::EpochMillis,
            "timestamptz",
            vec![
                (Value::Integer(1_709_164_800_123), Exact),
                (Value::Integer(-1), Exact),
            ],
        ),
        case(
            C::EpochMicros,
            "timestamptz",
            vec![
                (Value::Integer(1_709_164_800_123_456), Exact),
                (Value::Integer(-210_866_803_200_000_000), Exact),
            ],
        ),
        case(
            C::JulianDay,
            "timestamptz",
            vec![
                (Value::Real(2_460_000.5), Exact),
                (Value::Real(2_440_587.5), Exact),
                (Value::Real(2_451_604.25), Exact),
                (Value::Real(2_460_000.123_456_789), Same),
            ],
        ),
        case(
            C::JulianDay,
            "timestamptz",
            vec![
                (Value::Integer(2_460_000), Exact),
                (Value::Real(2_460_000.5), Lost("NotInteger")),
            ],
        ),
        case(
            C::Float32Array,
            "real[]",
            vec![
                (f32s(&[1.0, -0.0, 0.1, f32::MAX, 1e-45]), Exact),
                (f32s(&[f32::INFINITY, f32::NEG_INFINITY]), Exact),
                (f32s(&[f32::NAN]), Lost("NanBits")),
            ],
        ),
        case(
            C::Float32Vector,
            "vector",
            vec![
                (f32s(&[1.0, -0.0, 0.1, f32::MAX, 1e-45]), Exact),
                (f32s(&[3.5]), Exact),
            ],
        ),
    ]
}

/// Forward: `values` through their converter and the binary COPY encoder
/// into a fresh table; back: the column as PostgreSQL's text, by row.
fn round_trip(
    pg: &mut postgres::Client,
    table: &str,
    c: &Case,
    values: &[Value],
    pg_only: &[&str],
) -> Vec<Option<String>> {
    let w = Wire::from_sql_type(c.pg_type).expect("a wire type");
    pg.batch_execute(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int, v {})",
        c.pg_type
    ))
    .unwrap();
    let mut buf = wire::HEADER.to_vec();
    for (id, v) in values.iter().enumerate() {
        let x = convert(c.conv, ValueRef::from(v)).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        wire::begin_row(&mut buf, 2);
        let id = pgbridge::value::convert::Value::Int(id as i64);
        wire::encode(&mut buf, &id, Wire::Int4).unwrap();
        wire::encode(&mut buf, &x, w).unwrap_or_else(|e| panic!("{v:?}: {e}"));
    }
    buf.extend_from_slice(wire::TRAILER);
    let mut copy = pg
        .copy_in(&format!("COPY {table} (id, v) FROM STDIN (FORMAT binary)"))
        .unwrap();
    copy.write_all(&buf).unwrap();
    copy.finish().unwrap();
    for (i, lit) in pg_only.iter().enumerate() {
        let id = (values.len() + i) as i32;
        pg.execute(
            &format!("INSERT INTO {table} VALUES ($1, $2::text::{})", c.pg_type),
            &[&id, lit],
        )
        .unwrap();
    }
    pg.batch_execute(SESSION).unwrap();
    pg.query(&format!("SELECT v::text FROM {table} ORDER BY id"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn check(v: PgVersion) {
    let db = cluster(v).new_db("inverse");
    let mut pg = db.connect();
    let vector = db.has_extension_available("vector");
    if vector {
        pg.batch_execute("CREATE EXTENSION vector").unwrap();
    }
    let mut checked = 0;
    for (n, c) in cases().iter().enumerate() {
        if c.pg_type == "vector" && !vector {
            assert_eq!(v, PgVersion::V15, "pgvector is part of the 18 test cluster");
            continue;
        }
        let what = format!("{v} case {n} ({} into {})", c.conv.name(), c.pg_type);
        // The shape comes from the values that must come back exactly.
        let shape = Shape::learn(
            c.conv,
            c.samples
                .iter()
                .filter(|(_, w)| matches!(w, Want::Exact))
                .map(|(s, _)| ValueRef::from(s)),
        );
        let mut values: Vec<Value> = c.samples.iter().map(|(s, _)| s.clone()).collect();
        values.push(Value::Null);
        let mut wants: Vec<Want> = c.samples.iter().map(|(_, w)| *w).collect();
        wants.push(Want::Exact);
        let lits: Vec<&str> = c.pg_only.iter().map(|(l, _)| *l).collect();
        wants.extend(c.pg_only.iter().map(|(_, w)| *w));
        let texts = round_trip(&mut pg, "fwd", c, &values, &lits);
        assert_eq!(texts.len(), wants.len(), "{what}");

        let mut back = Vec::new();
        let mut back_texts = Vec::new();
        for (i, (text, want)) in texts.iter().zip(&wants).enumerate() {
            let got = inverse(c.conv, text.as_deref(), &shape);
            let at = format!(
                "{what}, row {i} {:?} via {text:?} with {shape:?}",
                values.get(i)
            );
            match (want, &got) {
                (Want::Exact, Ok(x)) if i < values.len() => assert_eq!(x, &values[i], "{at}"),
                (Want::Exact | Want::Same, Ok(_)) => {}
                (Want::Lost(name), Err(e)) => {
                    assert!(format!("{:?}", e.loss).starts_with(name), "{at}: {e:?}");
                    if c.conv == Converter::Json {
                        json_equal(&values[i], e.nearest.as_ref(), &at);
                    }
                }
                _ => panic!("{at}: want {want:?}, got {got:?}"),
            }
            if let Ok(x) = got {
                back.push(x);
                back_texts.push(text.clone());
            }
        }
        // Every restored value converts forward to the same PostgreSQL value.
        let again = round_trip(&mut pg, "back", c, &back, &[]);
        assert_eq!(again, back_texts, "{what}: second trip");
        checked += texts.len();
    }
    assert!(checked > 100, "{checked} values checked");
}

/// jsonb's canonical text holds the same JSON value as the original.
fn json_equal(original: &Value, nearest: Option<&Value>, at: &str) {
    let (Value::Text(a), Some(Value::Text(b))) = (original, nearest) else {
        panic!("{at}: no nearest text");
    };
    let a: serde_json::Value = serde_json::from_str(a).unwrap();
    let b: serde_json::Value = serde_json::from_str(b).unwrap();
    assert_eq!(a, b, "{at}");
}

#[test]
fn every_converter_round_trips_through_postgres_15_and_back() {
    check(PgVersion::V15);
}

#[test]
fn every_converter_round_trips_through_postgres_18_and_back() {
    check(PgVersion::V18);
}
