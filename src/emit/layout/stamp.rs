//! stamp: a UTC second, as the timestamped layouts write it
//! (`YYYYMMDDHHMMSS` in dbmate and Atlas file names, `YYYY-MM-DDTHH:MM:SSZ`
//! in `sqitch.plan`). No clock is read anywhere: a stamp comes from
//! `--timestamp`, from the versions already in the directory, or is
//! [`Stamp::EPOCH`].

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(pub i64);

impl Stamp {
    /// The stamp of a first version when none is given: fixed, so the same
    /// input compiles to the same bytes, and earlier than any stamp a
    /// clock would give, so versions written later sort after it.
    pub const EPOCH: Stamp = Stamp(0);

    /// `YYYYMMDDHHMMSS` (14 digits, a valid UTC date and time).
    pub fn parse_compact(s: &str) -> Option<Stamp> {
        if s.len() != 14 || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let n = |a: usize, b: usize| s[a..b].parse::<i64>().ok();
        let (y, mo, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
        let (h, mi, se) = (n(8, 10)?, n(10, 12)?, n(12, 14)?);
        let valid = (1..=12).contains(&mo)
            && (1..=days_in_month(y, mo)).contains(&d)
            && h < 24
            && mi < 60
            && se < 60;
        valid.then(|| Stamp(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se))
    }

    /// `YYYYMMDDHHMMSS`.
    pub fn compact(self) -> String {
        let (y, mo, d, h, mi, s) = self.parts();
        format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn iso(self) -> String {
        let (y, mo, d, h, mi, s) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// The next second.
    pub fn next(self) -> Stamp {
        Stamp(self.0 + 1)
    }

    fn parts(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        (y, mo, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number from [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_print_both_forms() {
        assert_eq!(Stamp::EPOCH.compact(), "19700101000000");
        let s = Stamp::parse_compact("20240229235959").unwrap();
        assert_eq!(s.0, 1_709_251_199);
        assert_eq!(s.iso(), "2024-02-29T23:59:59Z");
        assert_eq!(s.next().compact(), "20240301000000");
        assert_eq!(Stamp::parse_compact("20230229000000"), None);
        assert_eq!(Stamp::parse_compact("2024022923595"), None);
        assert_eq!(Stamp::parse_compact("20241301000000"), None);
    }
}
