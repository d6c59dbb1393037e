//! Failed sign-ins, counted per username and per client address over a sliding window.
//!
//! Checked before the password is verified, so that once a username or an address is over its
//! limit, guessing stops costing us Argon2 work and stops telling the guesser anything: even
//! the right password gets 429. Every attempt counts as a failure from the moment it is
//! admitted until it succeeds, so concurrent guesses cannot slip past the count. A success
//! clears the username's count (its owner got in) but not the address's earlier failures (one
//! address may be guessing at many accounts).
//!
//! In memory and per process: a restart forgets, and several processes each allow the limit.
//! Good enough against online guessing, where every try costs the attacker a round trip; the
//! memory is bounded by evicting the stalest entries.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures are allowed, over what window.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures per username within `window` (default 5).
    pub per_username: usize,
    /// Failures per client address within `window` (default 20).
    pub per_address: usize,
    /// The sliding window (default 15 minutes).
    pub window: Duration,
    /// Usernames and addresses remembered at most, each (default 10,000). Past that, the
    /// entries whose last failure is oldest are forgotten first.
    pub max_entries: usize,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_username: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
            max_entries: 10_000,
        }
    }
}

/// The limiter. All methods take `now` so tests can move time.
pub struct LoginLimiter {
    limits: LoginLimits,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    usernames: Failures<String>,
    addresses: Failures<IpAddr>,
}

/// Failure times per key, oldest first, at most `limit` of them per key.
struct Failures<K> {
    by_key: HashMap<K, VecDeque<Instant>>,
}

impl<K> Default for Failures<K> {
    fn default() -> Self {
        Self {
            by_key: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Failures<K> {
    /// When `key` may try again, if it is over `limit` now.
    fn blocked_until(
        &mut self,
        key: &K,
        limit: usize,
        window: Duration,
        now: Instant,
    ) -> Option<Instant> {
        let times = self.by_key.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.is_empty() {
            self.by_key.remove(key);
            return None;
        }
        (times.len() >= limit).then(|| times[0] + window)
    }

    fn record(&mut self, key: K, limit: usize, window: Duration, max_entries: usize, now: Instant) {
        if !self.by_key.contains_key(&key) && self.by_key.len() >= max_entries {
            self.evict(window, max_entries, now);
        }
        let times = self.by_key.entry(key).or_default();
        times.push_back(now);
        // Only the newest `limit` failures matter to the decision; older ones are dead weight.
        while times.len() > limit.max(1) {
            times.pop_front();
        }
    }

    /// Makes room for one more key: drops keys with no failure in the window, then, if that
    /// is not enough, the quarter whose last failure is oldest (so eviction is rare and its
    /// O(n log n) cost is amortised).
    fn evict(&mut self, window: Duration, max_entries: usize, now: Instant) {
        self.by_key.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < window)
        });
        if self.by_key.len() < max_entries {
            return;
        }
        let mut last: Vec<(Instant, K)> = self
            .by_key
            .iter()
            .filter_map(|(k, times)| times.back().map(|t| (*t, k.clone())))
            .collect();
        last.sort_by_key(|(t, _)| *t);
        let drop = (max_entries / 4).max(1).min(last.len());
        for (_, key) in last.into_iter().take(drop) {
            self.by_key.remove(&key);
        }
    }

    fn clear(&mut self, key: &K) {
        self.by_key.remove(key);
    }

    /// Removes one failure recorded at `at`.
    fn forget(&mut self, key: &K, at: Instant) {
        if let Some(times) = self.by_key.get_mut(key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    fn len(&self) -> usize {
        self.by_key.len()
    }
}

/// A sign-in attempt under way, counted as a failure until [`LoginLimiter::succeeded`] says
/// otherwise.
#[derive(Debug)]
#[must_use = "pass it to `succeeded` when the password was right"]
pub struct Attempt {
    at: Instant,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// Admits an attempt, or says how long to wait when this username or this address has
    /// failed too often recently. An admitted attempt counts as a failure from now on, in the
    /// same critical section as the check: otherwise a burst of concurrent guesses would all
    /// pass the check before any of them was counted.
    pub fn begin(
        &self,
        username: &str,
        address: IpAddr,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let limits = &self.limits;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let username = username.to_owned();
        let by_name =
            state
                .usernames
                .blocked_until(&username, limits.per_username, limits.window, now);
        let by_address =
            state
                .addresses
                .blocked_until(&address, limits.per_address, limits.window, now);
        if let Some(until) = by_name.into_iter().chain(by_address).max() {
            return Err(until.saturating_duration_since(now));
        }
        state.usernames.record(
            username,
            limits.per_username,
            limits.window,
            limits.max_entries,
            now,
        );
        state.addresses.record(
            address,
            limits.per_address,
            limits.window,
            limits.max_entries,
            now,
        );
        Ok(Attempt { at: now })
    }

    /// The attempt's password was right: the username's failures are forgotten, and the
    /// attempt no longer counts against the address.
    pub fn succeeded(&self, username: &str, address: IpAddr, attempt: Attempt) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.usernames.clear(&username.to_owned());
        state.addresses.forget(&address, attempt.at);
    }

    /// Usernames and addresses currently remembered (for tests and metrics).
    pub fn tracked(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.usernames.len(), state.addresses.len())
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn limiter(per_username: usize, per_address: usize, max_entries: usize) -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            per_username,
            per_address,
            window: Duration::from_secs(60),
            max_entries,
        })
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
    }

    /// An attempt that never succeeds is a failure.
    fn fail(limiter: &LoginLimiter, username: &str, address: IpAddr, now: Instant) {
        let _failed = limiter.begin(username, address, now).unwrap();
    }

    #[test]
    fn blocks_a_username_after_its_limit_until_the_window_passes() {
        let limiter = limiter(3, 100, 100);
        let t0 = Instant::now();
        for i in 0..3 {
            fail(
                &limiter,
                "zhang",
                ip(i),
                t0 + Duration::from_secs(u64::from(i)),
            );
        }
        let now = t0 + Duration::from_secs(10);
        // Blocked from any address; the oldest failure (t0) leaves the window at t0 + 60 s.
        assert_eq!(
            limiter.begin("zhang", ip(9), now).unwrap_err(),
            Duration::from_secs(50)
        );
        assert!(limiter.begin("li", ip(9), now).is_ok());
        assert!(
            limiter
                .begin("zhang", ip(9), t0 + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn a_burst_cannot_get_more_tries_than_the_limit() {
        let limiter = limiter(3, 100, 100);
        let now = Instant::now();
        // Attempts begun and not yet finished count already.
        let admitted = (0..10)
            .filter(|i| limiter.begin("zhang", ip(*i), now).is_ok())
            .count();
        assert_eq!(admitted, 3);
    }

    #[test]
    fn blocks_an_address_across_usernames() {
        let limiter = limiter(100, 2, 100);
        let now = Instant::now();
        fail(&limiter, "a", ip(1), now);
        fail(&limiter, "b", ip(1), now);
        assert!(limiter.begin("c", ip(1), now).is_err());
        assert!(limiter.begin("c", ip(2), now).is_ok());
    }

    #[test]
    fn success_clears_the_username_and_does_not_count_against_the_address() {
        let limiter = limiter(2, 3, 100);
        let now = Instant::now();
        fail(&limiter, "a", ip(1), now);
        let attempt = limiter.begin("a", ip(1), now).unwrap();
        limiter.succeeded("a", ip(1), attempt);
        // The username starts afresh; the address keeps its one real failure.
        fail(&limiter, "a", ip(2), now);
        fail(&limiter, "b", ip(1), now);
        assert!(limiter.begin("c", ip(1), now).is_ok());
        assert!(limiter.begin("d", ip(1), now).is_err());
    }

    #[test]
    fn memory_is_bounded() {
        let limiter = limiter(5, 5, 100);
        let t0 = Instant::now();
        for i in 0..1_000u32 {
            let now = t0 + Duration::from_millis(u64::from(i));
            fail(
                &limiter,
                &format!("user-{i}"),
                IpAddr::V4(Ipv4Addr::from(i)),
                now,
            );
        }
        let (names, addresses) = limiter.tracked();
        assert!(names <= 100 && addresses <= 100, "{names} {addresses}");
        // The newest entries survive eviction; the oldest went first.
        let now = t0 + Duration::from_secs(1);
        for _ in 0..4 {
            fail(&limiter, "user-999", IpAddr::V4(Ipv4Addr::from(999)), now);
        }
        assert!(limiter.begin("user-999", ip(200), now).is_err());
    }

    #[test]
    fn expired_entries_are_evicted_first() {
        let limiter = limiter(5, 5, 10);
        let t0 = Instant::now();
        for i in 0..10u8 {
            fail(&limiter, &format!("old-{i}"), ip(i), t0);
        }
        let later = t0 + Duration::from_secs(120);
        fail(&limiter, "new", ip(100), later);
        assert_eq!(limiter.tracked(), (1, 1));
    }
}
