//! Access keys as people see them: metadata for the list, and the one response that carries
//! a new key in full (shown once, never again).

use super::ids::{AccessKeyId, VaultId};
use super::secret::SecretValue;
use super::time::Micros;
use serde::{Deserialize, Serialize};

/// Longest access-key name.
pub const NAME_MAX: usize = 100;

/// Where a key stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Active,
    Expired,
    Revoked,
}

impl KeyState {
    /// The state at `now`: revoked wins over expired.
    pub fn at(revoked_at: Option<Micros>, expires_at: Option<Micros>, now: Micros) -> KeyState {
        if revoked_at.is_some() {
            KeyState::Revoked
        } else if expires_at.is_some_and(|e| e <= now) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyState::Active => "Active",
            KeyState::Expired => "Expired",
            KeyState::Revoked => "Revoked",
        }
    }
}

/// One access key in a vault's list (never the key itself: only its first characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyInfo {
    pub id: AccessKeyId,
    pub vault_id: VaultId,
    pub name: String,
    /// The key's first characters, to tell keys apart (`secryn_ak_Ab3x…`).
    pub hint: String,
    pub created_by: String,
    pub created_at: Micros,
    pub expires_at: Option<Micros>,
    pub last_used_at: Option<Micros>,
    pub revoked_at: Option<Micros>,
    pub state: KeyState,
}

/// A key just created: the full key, shown exactly once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedAccessKey {
    pub info: AccessKeyInfo,
    pub key: SecretValue,
}

impl CreatedAccessKey {
    /// The lines a person pastes into a shell or CI settings to use the key.
    pub fn snippet(&self, base_url: &str) -> String {
        format!(
            "SECRYN_BASE_URL={base_url}\nSECRYN_VAULT_ID={}\nSECRYN_ACCESS_KEY={}\n",
            self.info.vault_id,
            self.key.expose()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_wins_over_expired() {
        assert_eq!(KeyState::at(Some(1), Some(2), 10), KeyState::Revoked);
        assert_eq!(KeyState::at(None, Some(10), 10), KeyState::Expired);
        assert_eq!(KeyState::at(None, Some(11), 10), KeyState::Active);
        assert_eq!(KeyState::at(None, None, 10), KeyState::Active);
    }
}
