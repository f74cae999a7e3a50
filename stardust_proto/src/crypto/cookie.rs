//! Stateless cookies: what a listener hands an address that has not proven it receives
//! there, and checks when the address echoes it, without having stored anything.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use blake2::Blake2sMac;
use blake2::digest::consts::U16;
use blake2::digest::{FixedOutput, KeyInit, Mac};

use super::entropy::Entropy;

/// Bytes of a cookie.
pub const COOKIE_LEN: usize = 16;
/// How long one cookie secret is in use. A cookie is accepted in its bucket and the next, so
/// it lives between one and two buckets.
pub const COOKIE_BUCKET: Duration = Duration::from_secs(30);

/// Makes and checks cookies: `BLAKE2s-128(key = a random secret, "stardust-cookie" ‖ time
/// bucket ‖ address)`, where the bucket counts [`COOKIE_BUCKET`]s since the jar was made and
/// the address is the 16-byte IPv6 form of the IP (IPv4 mapped) and the port, big-endian.
///
/// Invariant: holds nothing per address; any number of cookies costs nothing but the MACs.
#[derive(Clone)]
pub struct CookieJar {
    secret: [u8; 32],
    epoch: Instant,
}

impl core::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CookieJar { .. }")
    }
}

impl CookieJar {
    /// A jar with a fresh secret from `entropy`, its buckets counted from `now`.
    pub fn new(entropy: &mut dyn Entropy, now: Instant) -> Self {
        Self { secret: entropy.bytes32(), epoch: now }
    }

    fn bucket(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs() / COOKIE_BUCKET.as_secs()
    }

    fn mac(&self, bucket: u64, addr: SocketAddr) -> Blake2sMac<U16> {
        // A 32-byte key: exactly BLAKE2s's key size.
        let mut mac = <Blake2sMac<U16> as KeyInit>::new(&self.secret.into());
        let ip = match addr.ip() {
            IpAddr::V4(ip) => ip.to_ipv6_mapped(),
            IpAddr::V6(ip) => ip,
        };
        mac.update(b"stardust-cookie");
        mac.update(&bucket.to_be_bytes());
        mac.update(&ip.octets());
        mac.update(&addr.port().to_be_bytes());
        mac
    }

    /// The cookie for `addr` at `now`.
    pub fn make(&self, addr: SocketAddr, now: Instant) -> [u8; COOKIE_LEN] {
        self.mac(self.bucket(now), addr).finalize_fixed().into()
    }

    /// Whether `cookie` is one this jar made for `addr` in the current bucket or the one
    /// before (compared in constant time).
    pub fn check(&self, addr: SocketAddr, cookie: &[u8], now: Instant) -> bool {
        let bucket = self.bucket(now);
        let previous = bucket.checked_sub(1);
        [Some(bucket), previous]
            .into_iter()
            .flatten()
            .any(|b| self.mac(b, addr).verify_slice(cookie).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SeededEntropy;

    #[test]
    fn a_cookie_holds_for_its_address_for_one_to_two_buckets() {
        let start = Instant::now();
        let jar = CookieJar::new(&mut SeededEntropy::from_u64(3), start);
        let alice: SocketAddr = "203.0.113.7:5000".parse().unwrap();
        let cookie = jar.make(alice, start + Duration::from_secs(29));
        assert!(jar.check(alice, &cookie, start + Duration::from_secs(29)));
        assert!(jar.check(alice, &cookie, start + Duration::from_secs(59)));
        assert!(!jar.check(alice, &cookie, start + Duration::from_secs(60)), "expired");
        let other_port: SocketAddr = "203.0.113.7:5001".parse().unwrap();
        assert!(!jar.check(other_port, &cookie, start), "bound to the port too");
        let another_jar = CookieJar::new(&mut SeededEntropy::from_u64(4), start);
        assert!(!another_jar.check(alice, &cookie, start), "bound to the secret");
        assert!(!jar.check(alice, &cookie[..8], start), "a cut cookie is refused");
    }
}
