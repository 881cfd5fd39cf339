//! Latency samples and their percentiles.

use std::time::Duration;

/// Sorted latency samples.
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    /// The nearest-rank percentile `p` (0–100]; zero for no samples.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        // The epsilon keeps 99.9 % of 1000 at rank 999, not 1000 (0.999 is
        // not exact in binary).
        let rank = (p / 100.0 * self.0.len() as f64 - 1e-9).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }

    pub fn p50(&self) -> Duration {
        self.percentile(50.0)
    }

    pub fn p99(&self) -> Duration {
        self.percentile(99.0)
    }

    pub fn p999(&self) -> Duration {
        self.percentile(99.9)
    }

    pub fn min(&self) -> Duration {
        self.0.first().copied().unwrap_or_default()
    }

    pub fn max(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }
}

/// A duration in the unit that reads best: ns, µs or ms.
pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.2} µs", ns as f64 / 1e3)
    } else if ns < 10_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// `count` per `requests`, scaled to `per`.
pub fn per(count: u64, requests: u64, per: u64) -> f64 {
    if requests == 0 {
        return 0.0;
    }
    count as f64 * per as f64 / requests as f64
}

/// A byte count in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let l = Latencies::new((1..=1000).rev().map(Duration::from_micros).collect());
        assert_eq!(l.p50(), Duration::from_micros(500));
        assert_eq!(l.p99(), Duration::from_micros(990));
        assert_eq!(l.p999(), Duration::from_micros(999));
        assert_eq!(l.percentile(100.0), Duration::from_micros(1000));
        assert_eq!(l.min(), Duration::from_micros(1));
        assert_eq!(Latencies::new(vec![]).p99(), Duration::ZERO);
    }

    #[test]
    fn durations_print_in_a_readable_unit() {
        assert_eq!(fmt_duration(Duration::from_nanos(250)), "250 ns");
        assert_eq!(fmt_duration(Duration::from_nanos(2_500)), "2.50 µs");
        assert_eq!(fmt_duration(Duration::from_micros(1_500)), "1.50 ms");
    }
}
