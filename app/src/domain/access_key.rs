//! Access keys as people see them: metadata for the list, and the one response that carries
//! a new key in full (shown once, never again).

use super::ids::{AccessKeyId, VaultId};
use super::secret::SecretValue;
use super::time::Micros;
use serde::{Deserialize, Serialize};
use std::fmt;

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

/// A ready-to-paste text that configures one kind of machine with a new key. Most carry the key
/// itself, so `Debug` shows only the label and the text is wiped on drop.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Snippet {
    /// What it is for, as a person picks it ("Shell", "GitHub Actions", ".env file").
    #[zeroize(skip)]
    pub label: &'static str,
    /// A stable name for element ids and tests (`shell`, `github-actions`, `env`).
    #[zeroize(skip)]
    pub slug: &'static str,
    pub text: String,
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snippet").field("label", &self.label).finish_non_exhaustive()
    }
}

/// The secret the examples read: a name people recognise and replace.
const EXAMPLE_SECRET: &str = "DB_PASSWORD";

/// The repository secret the GitHub Actions step reads the key from.
const ACTIONS_SECRET: &str = "${{ secrets.SECRYN_ACCESS_KEY }}";

/// A curl call reading one secret (SPEC §3: `GET {base}/v1/vaults/{id}/secrets/{name}`, Bearer
/// key, JSON) from the three `SECRYN_*` variables, as two lines; `indent` prefixes both.
fn curl_read_secret(indent: &str) -> [String; 2] {
    [
        format!("{indent}curl -fsS -H \"Authorization: Bearer $SECRYN_ACCESS_KEY\" -H \"Accept: application/json\" \\"),
        format!("{indent}  \"$SECRYN_BASE_URL/v1/vaults/$SECRYN_VAULT_ID/secrets/{EXAMPLE_SECRET}\""),
    ]
}

/// Lines into one text that ends with a newline, as files and terminals expect.
fn text(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

impl CreatedAccessKey {
    /// The texts a person pastes to put the key to use: a shell session, a GitHub Actions step
    /// (which reads the key from a repository secret, never holding it in the workflow) and a
    /// `.env` file. `base_url` is the API base clients are configured with (ends in `/api`).
    pub fn snippets(&self, base_url: &str) -> Vec<Snippet> {
        vec![
            Snippet { label: "Shell", slug: "shell", text: self.shell(base_url) },
            Snippet { label: "GitHub Actions", slug: "github-actions", text: self.github_actions(base_url) },
            Snippet { label: ".env file", slug: "env", text: self.dotenv(base_url) },
        ]
    }

    fn shell(&self, base_url: &str) -> String {
        let mut lines = self.variables(base_url).map(|v| format!("export {v}")).to_vec();
        lines.push("# Read one secret (JSON; the value is in \"value\"):".to_owned());
        lines.extend(curl_read_secret(""));
        text(&lines)
    }

    fn github_actions(&self, base_url: &str) -> String {
        let [curl, url] = curl_read_secret("      ");
        text(&[
            "# First save the key as the repository secret SECRYN_ACCESS_KEY".to_owned(),
            "# (Settings → Secrets and variables → Actions → New repository secret).".to_owned(),
            format!("- name: Read {EXAMPLE_SECRET} from Secryn"),
            "  env:".to_owned(),
            format!("    SECRYN_BASE_URL: \"{base_url}\""),
            format!("    SECRYN_VAULT_ID: \"{}\"", self.info.vault_id),
            format!("    SECRYN_ACCESS_KEY: {ACTIONS_SECRET}"),
            "  run: |".to_owned(),
            "    value=$(".to_owned() + curl.trim_start(),
            format!("{url} | jq -r .value)"),
            "    echo \"::add-mask::$value\"".to_owned(),
            format!("    echo \"{EXAMPLE_SECRET}=$value\" >> \"$GITHUB_ENV\""),
        ])
    }

    fn dotenv(&self, base_url: &str) -> String {
        text(&self.variables(base_url))
    }

    /// `NAME=value` for the base URL, the vault id and the key.
    fn variables(&self, base_url: &str) -> [String; 3] {
        [
            format!("SECRYN_BASE_URL={base_url}"),
            format!("SECRYN_VAULT_ID={}", self.info.vault_id),
            format!("SECRYN_ACCESS_KEY={}", self.key.expose()),
        ]
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

    const KEY: &str = "secryn_ak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA123456";
    const VAULT: &str = "0b7c3f56-8d1e-4b52-9a4e-3f1a2b3c4d5e";
    const BASE: &str = "https://secryn.example.com/api";

    fn created() -> CreatedAccessKey {
        let vault_id = VaultId::parse(VAULT).unwrap();
        CreatedAccessKey {
            info: AccessKeyInfo {
                id: AccessKeyId::parse("9f0e1d2c-3b4a-4596-8877-665544332211").unwrap(),
                vault_id,
                name: "CI deploy".to_owned(),
                hint: "secryn_ak_AAAA".to_owned(),
                created_by: "First Admin".to_owned(),
                created_at: 1,
                expires_at: None,
                last_used_at: None,
                revoked_at: None,
                state: KeyState::Active,
            },
            key: SecretValue::parse("key", KEY.to_owned()).unwrap(),
        }
    }

    fn snippet(slug: &str) -> String {
        created().snippets(BASE).iter().find(|s| s.slug == slug).unwrap().text.clone()
    }

    #[test]
    fn snippets_are_shell_github_actions_and_dotenv() {
        let labels: Vec<_> = created().snippets(BASE).iter().map(|s| (s.label, s.slug)).collect();
        assert_eq!(labels, [("Shell", "shell"), ("GitHub Actions", "github-actions"), (".env file", "env")]);
    }

    #[test]
    fn shell_exports_the_three_variables_and_reads_a_secret_with_the_bearer_key() {
        let text = snippet("shell");
        assert!(text.starts_with(&format!(
            "export SECRYN_BASE_URL={BASE}\nexport SECRYN_VAULT_ID={VAULT}\nexport SECRYN_ACCESS_KEY={KEY}\n"
        )));
        assert!(text.contains("curl -fsS -H \"Authorization: Bearer $SECRYN_ACCESS_KEY\""));
        assert!(text.contains("\"$SECRYN_BASE_URL/v1/vaults/$SECRYN_VAULT_ID/secrets/DB_PASSWORD\""));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn github_actions_reads_the_key_from_a_repository_secret_never_holding_it() {
        let text = snippet("github-actions");
        assert!(!text.contains(KEY));
        assert!(!text.contains("secryn_ak_"));
        assert!(text.contains("    SECRYN_ACCESS_KEY: ${{ secrets.SECRYN_ACCESS_KEY }}\n"));
        assert!(text.contains(&format!("    SECRYN_VAULT_ID: \"{VAULT}\"\n")));
        assert!(text.contains(&format!("    SECRYN_BASE_URL: \"{BASE}\"\n")));
        assert!(text.contains("/v1/vaults/$SECRYN_VAULT_ID/secrets/DB_PASSWORD"));
        assert!(text.contains("::add-mask::"));
    }

    #[test]
    fn github_actions_step_is_indented_as_one_yaml_list_item() {
        let text = snippet("github-actions");
        let step: Vec<_> = text.lines().skip_while(|l| l.starts_with('#')).collect();
        assert!(step[0].starts_with("- name: "));
        assert!(step[1..].iter().all(|l| l.starts_with("  ")), "{text}");
        let run = step.iter().position(|l| *l == "  run: |").unwrap();
        assert!(step[run + 1..].iter().all(|l| l.starts_with("    ")), "{text}");
    }

    #[test]
    fn dotenv_is_the_three_variables() {
        assert_eq!(
            snippet("env"),
            format!("SECRYN_BASE_URL={BASE}\nSECRYN_VAULT_ID={VAULT}\nSECRYN_ACCESS_KEY={KEY}\n")
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = created();
        assert!(!format!("{k:?}").contains(KEY));
        for s in k.snippets(BASE) {
            assert!(!format!("{s:?}").contains(KEY), "{}", s.label);
        }
    }
}
