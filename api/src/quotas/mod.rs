//! Fair-use quotas, the way GitHub's GraphQL API meters its callers: every caller (an API key,
//! or the address of an anonymous caller) has a budget of cost points per fixed hour, and a
//! request is charged its cost (see [`crate::graphql::limits`]; a cached answer costs 1)
//! *before* it runs. A request that does not fit in what is left of the budget is refused and
//! charged nothing, so a greedy client is stopped without spending the server's time, and
//! its refused attempts do not push its reset further away.
//!
//! Counts live in this process ([`counters`]) or, when `OCINDEX_REDIS_URL` is set, in Redis
//! ([`shared`]), so that every server of a fleet charges the same budget. With Redis, a
//! cached answer is counted locally and the local count is sent to Redis at most every
//! [`FLUSH_EVERY`], in the background: the cached path never waits for a round trip. An
//! uncached request, which costs a database query anyway, reserves its cost in Redis with one
//! round trip. When Redis cannot be reached the limiter fails open to local counting (each
//! server counts on its own) and logs a warning; the counts reach Redis when it is back.
mod counters;
mod shared;

use crate::auth::Principal;
use crate::config::QuotaSettings;
use counters::{Count, Counters};
use shared::SharedCounts;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The length of a quota window: budgets are per clock hour.
pub const WINDOW_SECONDS: u64 = 3600;
/// How often a server sends what it counted locally (cached answers) to Redis, per caller.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Callers whose counts one server holds at most; past it, the callers that spent least
/// this window are forgotten first (an attacker rotating addresses cannot grow memory).
pub const MAX_CALLERS: usize = 100_000;

/// Who is charged: an API key, or the network an anonymous caller comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    Key(i32),
    /// IPv4 addresses as they are; IPv6 by their /64, which one subscriber usually holds whole.
    Address(IpAddr),
    /// An anonymous caller whose address is unknown (no socket address was recorded).
    Unknown,
}

impl Caller {
    pub fn anonymous(peer: Option<SocketAddr>) -> Self {
        match peer.map(|p| p.ip().to_canonical()) {
            Some(IpAddr::V6(v6)) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                Self::Address(IpAddr::V6(Ipv6Addr::from(network)))
            }
            Some(v4) => Self::Address(v4),
            None => Self::Unknown,
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(id) => write!(f, "key:{id}"),
            Self::Address(ip) => write!(f, "ip:{ip}"),
            Self::Unknown => f.write_str("ip:unknown"),
        }
    }
}

/// Where a caller stands in its window after a charge (or a refusal, which charges nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// Points per window.
    pub limit: u64,
    /// Points spent this window.
    pub used: u64,
    /// What this request costs.
    pub cost: u64,
    /// When the window ends and the budget is whole again, in seconds since the epoch.
    pub reset_at: u64,
}

impl Standing {
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Whole seconds until the reset, at least 1.
    pub fn retry_after(&self) -> u64 {
        self.reset_at.saturating_sub(epoch_seconds()).max(1)
    }
}

/// The outcome of a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Standing),
    /// Over budget: the request must not run.
    Refused(Standing),
}

/// The meter of one request's caller: who pays, and how much it may spend per window.
#[derive(Clone, Debug)]
pub struct Meter {
    pub caller: Caller,
    pub limit: u64,
}

/// The quotas of a server.
pub struct Quotas {
    anonymous_limit: u64,
    key_limit: u64,
    counters: Arc<Counters>,
    shared: Option<Arc<SharedCounts>>,
}

impl Quotas {
    pub fn new(settings: &QuotaSettings) -> anyhow::Result<Self> {
        let shared = match settings.redis_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => Some(Arc::new(SharedCounts::new(url.trim(), &settings.redis_prefix)?)),
            None => None,
        };
        Ok(Self {
            anonymous_limit: settings.anonymous,
            key_limit: settings.key,
            counters: Arc::new(Counters::new(MAX_CALLERS)),
            shared,
        })
    }

    /// The meter of a caller; `None` for a caller without a limit (a limit of 0, or the
    /// bootstrap admin, who runs the server).
    pub fn meter(&self, principal: &Principal, peer: Option<SocketAddr>) -> Option<Meter> {
        let (caller, limit) = match principal {
            Principal::Anonymous => (Caller::anonymous(peer), self.anonymous_limit),
            Principal::Admin => return None,
            Principal::Key { id, rate_limit, .. } => {
                (Caller::Key(*id), rate_limit.unwrap_or(self.key_limit))
            }
        };
        (limit > 0).then_some(Meter { caller, limit })
    }

    /// Charges `cost` to the meter's caller if it fits in what is left of the window;
    /// `cached` answers are counted locally first (see the module's notes).
    pub async fn charge(&self, meter: &Meter, cost: u64, cached: bool) -> Verdict {
        let now = epoch_seconds();
        let window = now / WINDOW_SECONDS;
        let reset_at = (window + 1) * WINDOW_SECONDS;
        let standing = |used| Standing { limit: meter.limit, used, cost, reset_at };
        let Some(shared) = &self.shared else {
            return self.counters.with(&meter.caller, window, |count| {
                local_charge(count, meter.limit, cost, false).map_or_else(
                    |used| Verdict::Refused(standing(used)),
                    |used| Verdict::Allowed(standing(used)),
                )
            });
        };
        let usable = shared.usable();
        // the cached path: a caller this server has heard Redis about this window is counted
        // here, and the count goes to Redis in the background. A caller already over budget
        // in this server's view is refused here too: within a window the fleet's total only
        // grows, so a greedy client's refusals cost no round trip.
        let fast = self.counters.with(&meter.caller, window, |count| {
            let over = count.shared && count.used.saturating_add(cost) > meter.limit;
            if !(cached && count.shared) && usable && !over {
                return None;
            }
            let verdict = local_charge(count, meter.limit, cost, true);
            let flush = (usable
                && !count.flushing
                && count.pending > 0
                && count.synced_at.elapsed() >= FLUSH_EVERY)
                .then(|| {
                    count.flushing = true;
                    std::mem::take(&mut count.pending)
                });
            Some((verdict, flush))
        });
        if let Some((verdict, flush)) = fast {
            if let Some(points) = flush {
                self.flush_later(shared.clone(), meter.caller.clone(), window, points);
            }
            return verdict.map_or_else(
                |used| Verdict::Refused(standing(used)),
                |used| Verdict::Allowed(standing(used)),
            );
        }
        // one round trip: reserve the cost in Redis, with what was counted here meanwhile
        let pending = self.counters.with(&meter.caller, window, |c| std::mem::take(&mut c.pending));
        let key = shared.key(&meter.caller, window);
        match shared.add(&key, points(pending + cost)).await {
            Ok(total) => {
                let over = total > meter.limit;
                if over {
                    // refused requests are charged nothing; a lost refund only errs for the
                    // server's side until the window ends
                    let _ = shared.add(&key, -points(cost)).await;
                }
                let used = if over { total - cost } else { total };
                let used = self.counters.with(&meter.caller, window, |count| {
                    count.shared = true;
                    count.synced_at = Instant::now();
                    count.used = used + count.pending;
                    count.used
                });
                if over {
                    Verdict::Refused(standing(used))
                } else {
                    Verdict::Allowed(standing(used))
                }
            }
            Err(()) => self.counters.with(&meter.caller, window, |count| {
                // fail open to counting here; what was taken goes to Redis later
                count.pending += pending;
                local_charge(count, meter.limit, cost, true).map_or_else(
                    |used| Verdict::Refused(standing(used)),
                    |used| Verdict::Allowed(standing(used)),
                )
            }),
        }
    }

    /// Sends `points` counted here to Redis without holding up the request; the answer
    /// brings this server the fleet's total.
    fn flush_later(&self, shared: Arc<SharedCounts>, caller: Caller, window: u64, points: u64) {
        let counters = self.counters.clone();
        tokio::spawn(async move {
            let key = shared.key(&caller, window);
            let result = shared.add(&key, self::points(points)).await;
            counters.update(&caller, window, |count| {
                count.flushing = false;
                match result {
                    Ok(total) => {
                        count.synced_at = Instant::now();
                        count.used = count.used.max(total + count.pending);
                    }
                    Err(()) => count.pending += points,
                }
            });
        });
    }
}

/// Charges `cost` if it fits: `Ok(used after)`, or `Err(used)` when over budget. `pending`
/// says whether the charge must still be sent to Redis.
fn local_charge(count: &mut Count, limit: u64, cost: u64, pending: bool) -> Result<u64, u64> {
    if count.used.saturating_add(cost) > limit {
        return Err(count.used);
    }
    count.used += cost;
    if pending {
        count.pending += cost;
    }
    Ok(count.used)
}

/// Points as Redis counts them.
fn points(points: u64) -> i64 {
    i64::try_from(points).unwrap_or(i64::MAX)
}

pub fn epoch_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_callers_are_their_address_or_their_ipv6_network() {
        let v4: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        assert_eq!(Caller::anonymous(Some(v4)).to_string(), "ip:192.0.2.7");
        let a: SocketAddr = "[2001:db8:1:2:aaaa::1]:443".parse().unwrap();
        let b: SocketAddr = "[2001:db8:1:2:bbbb::9]:443".parse().unwrap();
        assert_eq!(Caller::anonymous(Some(a)), Caller::anonymous(Some(b)));
        assert_eq!(Caller::anonymous(Some(a)).to_string(), "ip:2001:db8:1:2::");
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:1".parse().unwrap();
        assert_eq!(Caller::anonymous(Some(mapped)), Caller::anonymous(Some(v4)));
        assert_eq!(Caller::anonymous(None), Caller::Unknown);
    }

    #[tokio::test]
    async fn a_charge_that_does_not_fit_is_refused_and_costs_nothing() {
        let settings = QuotaSettings { anonymous: 10, ..QuotaSettings::default() };
        let quotas = Quotas::new(&settings).unwrap();
        let meter = quotas.meter(&Principal::Anonymous, None).unwrap();
        let Verdict::Allowed(first) = quotas.charge(&meter, 7, false).await else { panic!() };
        assert_eq!((first.used, first.remaining(), first.cost), (7, 3, 7));
        let Verdict::Refused(refused) = quotas.charge(&meter, 4, false).await else { panic!() };
        assert_eq!((refused.used, refused.remaining()), (7, 3));
        let Verdict::Allowed(last) = quotas.charge(&meter, 3, true).await else { panic!() };
        assert_eq!(last.remaining(), 0);
        assert!(last.reset_at % WINDOW_SECONDS == 0 && last.retry_after() <= WINDOW_SECONDS);
    }

    #[test]
    fn the_bootstrap_admin_and_a_zero_limit_are_unmetered() {
        let settings = QuotaSettings { anonymous: 0, ..QuotaSettings::default() };
        let quotas = Quotas::new(&settings).unwrap();
        assert!(quotas.meter(&Principal::Anonymous, None).is_none());
        assert!(quotas.meter(&Principal::Admin, None).is_none());
        let key = |rate_limit| Principal::Key {
            id: 3,
            name: "k".into(),
            role: crate::auth::Role::Partner,
            rate_limit,
        };
        assert_eq!(quotas.meter(&key(None), None).unwrap().limit, settings.key);
        assert_eq!(quotas.meter(&key(Some(42)), None).unwrap().limit, 42);
        assert!(quotas.meter(&key(Some(0)), None).is_none());
    }
}
