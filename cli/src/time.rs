//! Reading the times people type: `--expires-in 30d` and
//! `--expires-at 2026-01-31T00:00:00Z`. Both become Unix seconds, the API's
//! only time format (DESIGN §6). Used as clap value parsers, so a typo is a
//! usage error (exit 2) before any request is made. `format_duration` shows
//! a duration back the way it is typed.

/// A duration such as `30d`, `12h`, `1w`, `90m` or `1d12h`, in seconds.
pub fn parse_duration(input: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "{input:?} is not a duration: use a number and a unit (s, m, h, d, w), e.g. 30d or 1d12h"
        )
    };
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut saw_unit = false;
    for c in input.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n: i64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| format!("{input:?} is too long"))?;
        digits.clear();
        saw_unit = true;
    }
    if !digits.is_empty() || !saw_unit {
        return Err(bad());
    }
    if total <= 0 {
        return Err(format!("{input:?} must be longer than zero"));
    }
    Ok(total)
}

/// Seconds the way `parse_duration` reads them, largest units first:
/// `3600` is `1h`, `129600` is `1d12h`, `90` is `1m30s`.
pub fn format_duration(secs: i64) -> String {
    if secs <= 0 {
        return "0s".to_owned();
    }
    let mut rest = secs;
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            text.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    text
}

/// A moment given as a duration ago (`7d`) or a time (`parse_instant`), in
/// Unix seconds.
pub fn parse_since(input: &str) -> Result<i64, String> {
    match parse_duration(input) {
        Ok(ago) => Ok(akua_core::clock::now() - ago),
        Err(_) => parse_instant(input).map_err(|_| {
            format!(
                "{input:?} is neither a duration ago (7d, 12h) nor a time (2026-01-31T00:00:00Z)"
            )
        }),
    }
}

/// A point in time: Unix seconds, an RFC 3339 timestamp with its offset
/// (`2026-01-31T12:00:00Z`, `…+02:00`), or a date (`2026-01-31`, midnight UTC).
pub fn parse_instant(input: &str) -> Result<i64, String> {
    let input = input.trim();
    if let Ok(secs) = input.parse::<i64>() {
        return Ok(secs);
    }
    let text = if input.len() == 10 && input.as_bytes().get(4) == Some(&b'-') {
        format!("{input}T00:00:00Z")
    } else {
        input.to_owned()
    };
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|_| {
            format!(
                "{input:?} is not a time: use Unix seconds, a date (2026-01-31) or an RFC 3339 timestamp (2026-01-31T12:00:00Z)"
            )
        })
}

/// `--grace`: a duration within the server's bound for a roll's grace
/// period, checked here so that `8d` is the same usage error as `1y`.
pub fn parse_grace(input: &str) -> Result<i64, String> {
    let secs = parse_duration(input)?;
    let max = akua_core::tokens::MAX_ROLL_GRACE_SECS;
    if secs > max {
        return Err(format!(
            "{input:?} is longer than a grace period may be: at most {}d",
            max / 86_400
        ));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grace_period_is_bounded_as_the_server_bounds_it() {
        assert_eq!(parse_grace("7d"), Ok(7 * 86_400));
        assert_eq!(parse_grace("90m"), Ok(5_400));
        let too_long = parse_grace("8d").unwrap_err();
        assert!(too_long.contains("at most 7d"), "{too_long}");
        assert!(parse_grace("1y").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("1d12h"), Ok(86_400 + 12 * 3600));
        assert_eq!(parse_duration("90m"), Ok(5400));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400));
        for bad in [
            "",
            "30",
            "d",
            "30x",
            "-1d",
            "0d",
            "1.5d",
            "99999999999999999999w",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn durations_are_shown_as_they_are_typed() {
        assert_eq!(format_duration(3600), "1h");
        assert_eq!(format_duration(86_400 + 12 * 3600), "1d12h");
        assert_eq!(format_duration(90), "1m30s");
        assert_eq!(format_duration(7 * 86_400), "7d");
        assert_eq!(format_duration(0), "0s");
        for typed in ["1d12h", "45m", "2d3h4m5s"] {
            assert_eq!(format_duration(parse_duration(typed).unwrap()), typed);
        }
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1767225600"), Ok(1_767_225_600));
        assert_eq!(parse_instant("2026-01-01"), Ok(1_767_225_600));
        assert_eq!(parse_instant("2026-01-01T00:00:00Z"), Ok(1_767_225_600));
        assert_eq!(
            parse_instant("2026-01-01T02:00:00+02:00"),
            Ok(1_767_225_600)
        );
        assert!(parse_instant("next tuesday").is_err());
        assert!(parse_instant("2026-01-01T00:00:00").is_err(), "no offset");
    }
}
