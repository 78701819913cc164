//! What a backup holds, as a dry run reports it to the Backups page and the command line.

use serde::{Deserialize, Serialize};

/// A backup's content in numbers: when and where it was made, and rows per table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSummary {
    /// When the backup was made (microseconds since the epoch, UTC).
    pub created_at: i64,
    /// The engine it was made on (SQLite or PostgreSQL); a backup restores onto either.
    pub engine: String,
    /// Rows per table, in restore order.
    pub rows: Vec<(String, u64)>,
}

impl BackupSummary {
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }

    /// The rows of `table`.
    pub fn of(&self, table: &str) -> u64 {
        self.rows.iter().find(|(t, _)| t == table).map_or(0, |(_, n)| *n)
    }

    /// The counts people recognise, in words, for the confirmation.
    pub fn headline(&self) -> Vec<(&'static str, u64)> {
        [
            ("users", "users"),
            ("projects", "projects"),
            ("vaults", "vaults"),
            ("secrets", "secrets"),
            ("secret versions", "secret_versions"),
            ("keys", "keys"),
            ("certificates", "certificates"),
            ("access keys", "access_keys"),
            ("audit entries", "audit_log"),
        ]
        .into_iter()
        .map(|(label, table)| (label, self.of(table)))
        .collect()
    }
}
