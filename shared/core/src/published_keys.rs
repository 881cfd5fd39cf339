//! Keys someone else publishes (an issuer's JWKS, a secret scanner's
//! signing keys): the port that fetches them and the cache that decides how
//! long to trust them (docs/DESIGN.md, "A core that only decides").
//!
//! The core never opens a connection. An edge implements [`KeySource`]
//! (`akua-edge` does it over HTTPS with `reqwest`); the cache here holds
//! the rules both kinds of keys share:
//!
//! - a set is fresh for the age its publisher gives, within
//!   [`Freshness::bounds`], else [`Freshness::default_max_age`]; past it the
//!   next use refetches;
//! - a failed or unreadable fetch never empties the cache: the last good
//!   set keeps being used for at most [`Freshness::max_stale`] past its age,
//!   then nothing verifies (fail closed) until the publisher answers again;
//! - at most one fetch per [`Freshness::cooldown`], and callers that need
//!   a fetch at the same time share one (no async lock: the in-flight fetch
//!   is a shared future).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use futures::future::Shared;

/// What one fetch returned: the document and the age its publisher gave
/// it (`Cache-Control: max-age`, read by the edge), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub body: Vec<u8>,
    pub max_age: Option<i64>,
}

/// Why a fetch failed, in words fit for a log (never a key, never a URL's
/// credentials): `timeout`, `unreachable`, `status 503`, `too large`, …
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// One fetch in progress. `'static` and `Send` so that concurrent callers
/// can share it.
pub type Fetching = Pin<Box<dyn Future<Output = Result<Published, FetchError>> + Send>>;

/// Where published keys come from: the port the edges implement.
pub trait KeySource: Send + Sync {
    /// Starts one fetch of the whole document.
    fn fetch(&self) -> Fetching;
}

/// How long a fetched set is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// The age (seconds) when the publisher gives none.
    pub default_max_age: i64,
    /// The publisher's age is clamped to these (seconds): never refetched
    /// more often than the lower bound, a withdrawn key dropped within the
    /// upper one.
    pub bounds: (i64, i64),
    /// How long past its age the last good set is still used while fetches
    /// fail (seconds).
    pub max_stale: i64,
    /// Minimum time between two fetches, whatever the callers ask.
    pub cooldown: Duration,
}

/// The keys of one good fetch and how long they may be used.
#[derive(Debug)]
pub struct KeySet<T> {
    pub keys: T,
    /// Counts good fetches (0: nothing fetched yet). What was verified with
    /// a set may be remembered only while that set is the current one.
    pub generation: u64,
    /// Unix seconds: past this, the next use refetches.
    pub fresh_until: i64,
    /// Unix seconds: past this, the set is not used even if the publisher
    /// cannot be reached.
    pub usable_until: i64,
}

impl<T> KeySet<T> {
    pub fn is_fresh(&self, now: i64) -> bool {
        self.generation > 0 && now < self.fresh_until
    }

    pub fn is_usable(&self, now: i64) -> bool {
        self.generation > 0 && now < self.usable_until
    }
}

/// Why no usable keys could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysUnavailable {
    #[error("fetch failed: {0}")]
    Fetch(FetchError),
    #[error("the fetched document holds no key set")]
    Unreadable,
    #[error("fetch cooling down")]
    CoolingDown,
}

type Parse<T> = Box<dyn Fn(&[u8]) -> Option<T> + Send + Sync>;

#[derive(Default)]
struct Fetcher {
    /// The last fetch started, good or not (the cooldown).
    attempted_at: Option<Instant>,
    /// The fetch in progress, with the generation it will replace.
    in_flight: Option<(u64, Shared<Fetching>)>,
}

/// Published keys, fetched on demand through a [`KeySource`] and cached
/// under [`Freshness`]; share it (`Arc`).
pub struct KeyCache<T> {
    source: Arc<dyn KeySource>,
    parse: Parse<T>,
    freshness: Freshness,
    current: RwLock<Arc<KeySet<T>>>,
    fetcher: Mutex<Fetcher>,
}

impl<T: Default + Send + Sync> KeyCache<T> {
    /// `parse` turns a fetched document into keys; `None` means it is not
    /// a key document at all (a failure, never an empty set).
    pub fn new(
        source: Arc<dyn KeySource>,
        freshness: Freshness,
        parse: impl Fn(&[u8]) -> Option<T> + Send + Sync + 'static,
    ) -> Self {
        Self {
            source,
            parse: Box::new(parse),
            freshness,
            current: RwLock::new(Arc::new(KeySet {
                keys: T::default(),
                generation: 0,
                fresh_until: 0,
                usable_until: 0,
            })),
            fetcher: Mutex::new(Fetcher::default()),
        }
    }

    /// The set in use now, without fetching.
    pub fn snapshot(&self) -> Arc<KeySet<T>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The set to use at `now`: the cached one while fresh; past its age a
    /// refetched one; if that fails, the old one while usable; else an
    /// error (fail closed).
    pub async fn current(&self, now: i64) -> Result<Arc<KeySet<T>>, KeysUnavailable> {
        let set = self.snapshot();
        if set.is_fresh(now) {
            return Ok(set);
        }
        match self.refresh(&set, now).await {
            Ok(fresh) => Ok(fresh),
            Err(_) if set.is_usable(now) => Ok(set),
            Err(e) => Err(e),
        }
    }

    /// Replaces `seen` with a fetched set (a key it lacks may just have
    /// been published), unless another caller already did, or the last
    /// fetch was within the cooldown. A failure keeps `seen` in place.
    pub async fn refresh(
        &self,
        seen: &Arc<KeySet<T>>,
        now: i64,
    ) -> Result<Arc<KeySet<T>>, KeysUnavailable> {
        let fetching = {
            let mut fetcher = self.fetcher.lock().unwrap_or_else(|e| e.into_inner());
            let current = self.snapshot();
            if current.generation != seen.generation {
                return Ok(current); // refreshed while we came here
            }
            match &fetcher.in_flight {
                Some((generation, fetching)) if *generation == seen.generation => fetching.clone(),
                Some(_) | None => {
                    if fetcher
                        .attempted_at
                        .is_some_and(|at| at.elapsed() < self.freshness.cooldown)
                    {
                        return Err(KeysUnavailable::CoolingDown);
                    }
                    let fetching = self.source.fetch().shared();
                    fetcher.attempted_at = Some(Instant::now());
                    fetcher.in_flight = Some((seen.generation, fetching.clone()));
                    fetching
                }
            }
        };
        let fetched = fetching.await;
        let mut fetcher = self.fetcher.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.snapshot();
        if current.generation != seen.generation {
            return Ok(current); // a caller sharing the fetch installed it
        }
        fetcher.in_flight = None;
        let published = fetched.map_err(KeysUnavailable::Fetch)?;
        let keys = (self.parse)(&published.body).ok_or(KeysUnavailable::Unreadable)?;
        let (low, high) = self.freshness.bounds;
        let max_age = published
            .max_age
            .unwrap_or(self.freshness.default_max_age)
            .clamp(low, high);
        let next = Arc::new(KeySet {
            keys,
            generation: seen.generation + 1,
            fresh_until: now.saturating_add(max_age),
            usable_until: now.saturating_add(max_age + self.freshness.max_stale),
        });
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = next.clone();
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A publisher in memory: answers each fetch with the next of its
    /// answers after yielding once (so that callers overlap).
    struct Scripted {
        answers: Mutex<Vec<Result<Published, FetchError>>>,
        fetches: AtomicUsize,
    }

    impl KeySource for Scripted {
        fn fetch(&self) -> Fetching {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let answer = self.answers.lock().unwrap().remove(0);
            Box::pin(async move {
                tokio::task::yield_now().await;
                answer
            })
        }
    }

    fn doc(body: &str, max_age: Option<i64>) -> Result<Published, FetchError> {
        Ok(Published {
            body: body.as_bytes().to_vec(),
            max_age,
        })
    }

    const FRESHNESS: Freshness = Freshness {
        default_max_age: 600,
        bounds: (60, 3600),
        max_stale: 3600,
        cooldown: Duration::ZERO,
    };

    fn cache(
        answers: Vec<Result<Published, FetchError>>,
        freshness: Freshness,
    ) -> (Arc<Scripted>, KeyCache<String>) {
        let source = Arc::new(Scripted {
            answers: Mutex::new(answers),
            fetches: AtomicUsize::new(0),
        });
        let parse = |b: &[u8]| {
            let text = std::str::from_utf8(b).ok()?;
            text.starts_with("keys:").then(|| text.to_owned())
        };
        (source.clone(), KeyCache::new(source, freshness, parse))
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let (source, cache) = cache(vec![doc("keys:a", None)], FRESHNESS);
        let (a, b, c) = tokio::join!(cache.current(0), cache.current(0), cache.current(0));
        for set in [a, b, c] {
            assert_eq!(set.unwrap().keys, "keys:a");
        }
        assert_eq!(source.fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_publisher_s_age_is_bounded_and_a_failure_keeps_the_old_set_until_its_limit() {
        let (_, cache) = cache(
            vec![
                doc("keys:a", Some(5)),
                Err(FetchError("status 503".into())),
                doc("<html>", Some(600)),
                Err(FetchError("timeout".into())),
            ],
            FRESHNESS,
        );
        let first = cache.current(0).await.unwrap();
        assert_eq!((first.fresh_until, first.usable_until), (60, 3660));
        assert_eq!(cache.current(59).await.unwrap().generation, 1, "fresh");
        // Past its age: a failed and an unreadable fetch keep the old set.
        assert_eq!(cache.current(60).await.unwrap().keys, "keys:a");
        assert_eq!(cache.current(61).await.unwrap().generation, 1);
        // Past the stale limit: nothing.
        assert!(matches!(
            cache.current(3660).await,
            Err(KeysUnavailable::Fetch(_))
        ));
    }

    #[tokio::test]
    async fn fetches_wait_out_the_cooldown() {
        let slow = Freshness {
            cooldown: Duration::from_secs(3600),
            ..FRESHNESS
        };
        let (source, cache) = cache(vec![doc("keys:a", None), doc("keys:b", None)], slow);
        let set = cache.current(0).await.unwrap();
        assert_eq!(
            cache.refresh(&set, 1).await.unwrap_err(),
            KeysUnavailable::CoolingDown
        );
        assert_eq!(source.fetches.load(Ordering::SeqCst), 1);
    }
}
