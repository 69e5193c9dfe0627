//! API keys and feed tokens: random, shown once, stored only as a SHA-256 hash.

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Planner,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Client => "client",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "planner" => Some(Role::Planner),
            "client" => Some(Role::Client),
            _ => None,
        }
    }
}

/// 32 random bytes (256 bits), URL-safe base64.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API key: `sp_` + 256 random bits. The prefix makes leaked keys easy to grep for.
pub fn generate_api_key() -> String {
    format!("sp_{}", generate_token())
}

/// The non-secret part shown in listings to tell keys apart.
pub fn key_prefix(key: &str) -> String {
    key.chars().take(10).collect()
}

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}
