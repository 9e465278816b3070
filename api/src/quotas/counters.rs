//! The counts one server holds: every caller's points of the current window, bounded in
//! number so that callers rotating their addresses cannot grow the server's memory.
use super::Caller;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A caller's count in one window.
#[derive(Clone, Copy, Debug)]
pub(super) struct Count {
    pub window: u64,
    /// Points spent this window, as far as this server knows (the fleet's total when shared).
    pub used: u64,
    /// Points counted here and not yet sent to Redis.
    pub pending: u64,
    /// Redis told this server the caller's total this window.
    pub shared: bool,
    /// When this server last heard the total from Redis.
    pub synced_at: Instant,
    /// A background send to Redis is on its way.
    pub flushing: bool,
}

impl Count {
    fn new(window: u64) -> Self {
        Self {
            window,
            used: 0,
            pending: 0,
            shared: false,
            synced_at: Instant::now(),
            flushing: false,
        }
    }
}

pub(super) struct Counters {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    window: u64,
    callers: HashMap<Caller, Count>,
}

impl Counters {
    pub fn new(cap: usize) -> Self {
        Self { cap: cap.max(2), inner: Mutex::default() }
    }

    /// Runs `f` on the caller's count of `window`, made (at zero) when it has none yet.
    pub fn with<T>(&self, caller: &Caller, window: u64, f: impl FnOnce(&mut Count) -> T) -> T {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if window > inner.window {
            // a new window: every older count is over
            inner.window = window;
            inner.callers.retain(|_, count| count.window >= window);
        }
        if let Some(count) = inner.callers.get_mut(caller) {
            if count.window != window {
                *count = Count::new(window);
            }
            return f(count);
        }
        if inner.callers.len() >= self.cap {
            make_room(&mut inner.callers);
        }
        f(inner.callers.entry(caller.clone()).or_insert_with(|| Count::new(window)))
    }

    /// Runs `f` on the caller's count of `window` only if it is still held.
    pub fn update(&self, caller: &Caller, window: u64, f: impl FnOnce(&mut Count)) {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = inner.callers.get_mut(caller).filter(|c| c.window == window) {
            f(count);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().map(|inner| inner.callers.len()).unwrap_or_default()
    }
}

/// Forgets the half of the callers that spent least (at least half of them goes): they lose
/// the least by starting over, and the greedy callers a quota is for are kept. Runs once per
/// as many new callers as were forgotten, so its cost per request stays constant.
fn make_room(callers: &mut HashMap<Caller, Count>) {
    let mut spent: Vec<u64> = callers.values().map(|c| c.used).collect();
    let middle = spent.len() / 2;
    let (_, median, _) = spent.select_nth_unstable(middle);
    let median = *median;
    callers.retain(|_, count| count.used > median || count.flushing);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn rotating_addresses_cannot_grow_the_counts_past_the_cap() {
        let counters = Counters::new(100);
        let greedy = Caller::Key(1);
        counters.with(&greedy, 7, |c| c.used = 1_000);
        for i in 0..10_000u32 {
            let caller = Caller::Address(IpAddr::V4(Ipv4Addr::from(i)));
            counters.with(&caller, 7, |c| c.used += 1);
            assert!(counters.len() <= 100);
        }
        // the greedy caller's count survived every eviction
        assert_eq!(counters.with(&greedy, 7, |c| c.used), 1_000);
    }

    #[test]
    fn a_new_window_starts_at_zero() {
        let counters = Counters::new(10);
        let caller = Caller::Key(1);
        counters.with(&caller, 1, |c| c.used = 5);
        assert_eq!(counters.with(&caller, 2, |c| c.used), 0);
        // a late answer about the old window changes nothing
        counters.update(&caller, 1, |c| c.used = 99);
        assert_eq!(counters.with(&caller, 2, |c| c.used), 0);
    }
}
