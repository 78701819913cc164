//! `secryn backup create | verify | restore`: the command-line side of backups. The rules
//! (what a backup holds, the checks, all-or-nothing, the audit) live in
//! `app::server::services::backup`; this reads files, keys and confirmations.

use crate::config::{BackupCommand, Config};
use crate::startup::StartError;
use app::server::backup_file::BackupKey;
use app::server::services::backup::{self, By, Summary};
use app::server::services::scheduled_backups;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;

/// Runs one backup command.
pub async fn run(config: Config, action: BackupCommand) -> Result<(), StartError> {
    match action {
        BackupCommand::Create { out } => create(config, &out).await,
        BackupCommand::Verify { file, identity } => {
            let key = key(&file, identity.as_deref())?;
            let summary = backup::verify(&key, &mut open(&file).await?).await.map_err(failed)?;
            println!("{}", describe(&summary));
            Ok(())
        }
        BackupCommand::Restore { file, yes, identity } => restore(config, &file, yes, identity.as_deref()).await,
    }
}

fn failed(e: impl std::fmt::Display) -> StartError {
    StartError(format!("backup: {e}"))
}

/// The backup goes to `out` (see `backup::write_file`); its key to stderr, once.
async fn create(mut config: Config, out: &Path) -> Result<(), StartError> {
    let state = crate::build_state(&mut config).await?;
    let key = BackupKey::random();
    let made = backup::write_file(&state, &By::server(), &key, out).await;
    state.db.close().await;
    let summary = made.map_err(|e| failed(format!("{}: {e}", out.display())))?;
    println!("Backup written to {}: {}", out.display(), describe(&summary));
    eprintln!("Backup key (shown once; Secryn does not keep it, and without it the backup cannot be restored):");
    eprintln!("{}", key.to_text().as_str());
    Ok(())
}

/// Checks the whole file first (a dry run), asks, then restores from a second read.
async fn restore(mut config: Config, file: &Path, yes: bool, identity: Option<&Path>) -> Result<(), StartError> {
    let key = key(file, identity)?;
    let summary = backup::verify(&key, &mut open(file).await?).await.map_err(failed)?;
    println!("{}", describe(&summary));
    if !yes && !confirmed()? {
        return Err(failed("not restored (not confirmed)"));
    }
    let state = crate::build_state(&mut config).await?;
    let restored = backup::restore(&state, &By::server(), &key, &mut open(file).await?).await;
    state.db.close().await;
    let restored = restored.map_err(failed)?;
    println!("Restored {} rows. Every session has ended: people sign in again.", restored.total());
    Ok(())
}

async fn open(file: &Path) -> Result<tokio::io::BufReader<tokio::fs::File>, StartError> {
    let f = tokio::fs::File::open(file).await.map_err(|e| failed(format!("cannot open {}: {e}", file.display())))?;
    Ok(tokio::io::BufReader::with_capacity(256 * 1024, f))
}

/// The key: opened from `FILE.key.age` with the age identity when one is given, else from
/// `SECRYN_BACKUP_KEY`, else asked for on the terminal without echo.
fn key(file: &Path, identity: Option<&Path>) -> Result<BackupKey, StartError> {
    if let Some(identity) = identity {
        let mut sealed_path = file.as_os_str().to_owned();
        sealed_path.push(scheduled_backups::KEY_SUFFIX);
        let read = |p: &Path| std::fs::read(p).map_err(|e| failed(format!("cannot read {}: {e}", p.display())));
        let id_text = String::from_utf8(read(identity)?).map_err(|_| failed("the identity file is not text"))?;
        let id_text = app::server::crypto::SecretText::new(id_text);
        return scheduled_backups::open_key(id_text.expose(), &read(Path::new(&sealed_path))?).map_err(failed);
    }
    let text = match std::env::var("SECRYN_BACKUP_KEY") {
        Ok(k) if !k.trim().is_empty() => app::server::crypto::SecretText::new(k),
        _ if std::io::stdin().is_terminal() => app::server::crypto::SecretText::new(
            rpassword::prompt_password("Backup key: ").map_err(|e| failed(format!("cannot read the key: {e}")))?,
        ),
        _ => return Err(failed("set SECRYN_BACKUP_KEY to the backup's key (or run on a terminal to be asked)")),
    };
    BackupKey::parse(text.expose().trim()).map_err(failed)
}

/// "restore" typed on stdin.
fn confirmed() -> Result<bool, StartError> {
    print!("This replaces the whole instance and ends every session. Type \"restore\" to go on: ");
    std::io::stdout().flush().map_err(failed)?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(failed)?;
    Ok(answer.trim() == "restore")
}

/// One line on what a backup holds.
fn describe(s: &Summary) -> String {
    let counts: Vec<String> = s.headline().iter().map(|(label, n)| format!("{n} {label}")).collect();
    format!(
        "backup of {} from {}, {} rows: {}",
        app::domain::time::short(s.created_at),
        s.engine,
        s.total(),
        counts.join(", ")
    )
}
