//! Standard Webhooks signing, by the project's own `standardwebhooks` crate:
//! `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the bytes of the `whsec_`
//! secret. Secrets are made here (the crate makes none).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use standardwebhooks::{Webhook, WebhookError};

pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The signer of a secret. A secret whose base64 does not decode signs with its own bytes, so
/// that a delivery is never blocked by a malformed stored secret.
fn signer(secret: &str) -> Result<Webhook, WebhookError> {
    Webhook::new(secret).or_else(|_| {
        let raw = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        Webhook::from_bytes(raw.as_bytes().to_vec())
    })
}

/// One `v1,…` signature. Bodies are JSON, so always UTF-8 (the crate signs text only).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    signer(secret)
        .and_then(|w| w.sign(id, timestamp, body))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not sign a webhook delivery");
            String::new()
        })
}

/// The `webhook-signature` header: one signature per secret, space-separated (during a
/// rotation's overlap, the new and the old one).
pub fn signature_header(secrets: &[String], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key bytes of a secret: the base64 after `whsec_`.
    fn key_bytes(secret: &str) -> Vec<u8> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        STANDARD.decode(encoded).unwrap_or_default()
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's test vectors.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_32_bytes() {
        let s = generate_secret();
        assert!(s.starts_with(SECRET_PREFIX));
        assert_eq!(key_bytes(&s).len(), 32);
        assert_ne!(s, generate_secret());
    }

    #[test]
    fn a_secret_that_is_not_base64_still_signs() {
        let sig = sign("whsec_not base64!", "msg_1", 1614265330, b"{}");
        assert!(sig.starts_with("v1,") && sig.len() > 10, "{sig}");
    }
}
