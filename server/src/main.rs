//! The `secryn` binary: configuration, start-up, the web server and command-line tasks.

#![recursion_limit = "256"]

mod api_docs;
mod backup_cli;
mod config;
mod downloads;
mod http;
mod mcp;
mod rest;
mod startup;

use app::domain::logs::ChainReport;
use app::server::password::PasswordHasher;
use app::server::{AppState, Settings, clock};
use clap::Parser;
use config::{AuditCommand, Cli, Command, Config, MasterKeyCommand};
use startup::StartError;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// mimalloc instead of glibc's allocator: a machine read allocates a few hundred small
/// buffers across tokio's workers, and glibc's per-arena locks and free-list merging were a
/// sixth of the server's time under load (see `docs/decisions.md`, "The limit reference").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(cli.settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("secryn: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config.log, config.log_json);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::SetupCode => setup_code(config).await,
        Command::DemoData { secrets, keys, certificates, force } => {
            let counts = app::server::services::demo::Counts { secrets, keys, certificates };
            demo_data(config, counts, force).await
        }
        Command::Audit { action: AuditCommand::Verify } => audit_verify(config).await,
        Command::Backup { action } => backup_cli::run(config, action).await,
        Command::MasterKey { action: MasterKeyCommand::Rotate } => rotate_master_key(config).await,
        Command::McpStdio { base_url } => mcp_stdio(&base_url).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("secryn: {e}");
            ExitCode::from(1)
        }
    }
}

/// Log lines go to stderr, as text for people or, with `SECRYN_LOG_FORMAT=json`, one JSON
/// object per line (with the fields of the request's span) for log collectors.
///
/// `rmcp` logs whole messages (tool arguments with access keys, results with values) at debug
/// level, so it is held at `warn` whatever the filter asks.
fn init_tracing(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let filter = match "rmcp=warn".parse() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    };
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    if json {
        fmt.json().with_current_span(true).with_span_list(false).init();
    } else {
        fmt.init();
    }
}

/// Opens the database, checks the master key and builds the state every front door shares.
async fn build_state(config: &mut Config) -> Result<AppState, StartError> {
    let db = startup::open_database(config).await?;
    let (master, audit_key) = startup::master_key(config, &db).await?;
    let settings = Settings {
        session_idle: clock::minutes(config.session_idle_minutes),
        session_absolute: clock::minutes(config.session_absolute_hours * 60),
        secure_cookies: config.https(),
        ip_failure_limit: config.signin_ip_limit,
        trusted_proxies: config.trusted_proxies.clone(),
        request_log_retention_days: config.request_log_retention_days,
        public_url: config.browse_url(),
        account_failure_limit: app::server::services::auth::ACCOUNT_FAILURES,
    };
    let knobs = Arc::new(app::server::state::LiveKnobs::new(settings.knobs()));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("secryn")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(leptos::config::Env::PROD)
        .build();
    Ok(AppState::new(app::server::state::Shared {
        db: db.clone(),
        master: Arc::new(master),
        audit_key: Arc::new(audit_key),
        hasher: Arc::new(PasswordHasher::new(cores, 64)),
        keygen: Arc::new(app::server::services::keys::generation_pool(cores)),
        settings: Arc::new(settings),
        knobs,
        leptos_options: Arc::new(leptos_options),
        data_keys: Default::default(),
        request_log: app::server::request_log::RequestLog::start(db.clone()),
        flood: Arc::new(app::server::flood::Flood::new(config.anonymous_per_minute)),
    }))
}

async fn serve(mut config: Config) -> Result<(), StartError> {
    let state = build_state(&mut config).await?;
    app::server::services::instance_settings::refresh(&state)
        .await
        .map_err(|e| StartError(format!("the instance settings could not be read: {e}")))?;
    let db = state.db.clone();
    let flood = state.flood.clone();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError(format!("SECRYN_LISTEN: cannot listen on {}: {e}", config.listen)))?;
    if !config.site_root.join("pkg").is_dir() {
        tracing::warn!(site_root = %config.site_root.display(), "web assets not found; pages will not hydrate (run make run)");
    }
    startup::announce_setup(&db, &config.browse_url()).await?;
    tokio::spawn(sweep_sessions(state.clone()));
    tokio::spawn(prune_request_log(state.clone()));
    tokio::spawn(scheduled_backups(state.clone()));
    tokio::spawn(expiry_watch(state.clone(), Duration::from_secs(config.expiry_watch_seconds.unsigned_abs())));
    tokio::spawn(flush_refusals(state.clone()));
    tokio::spawn(follow_settings(state.clone()));
    tokio::spawn(deliver_mail(state.clone(), Duration::from_secs(config.mail_seconds.unsigned_abs())));
    // Signal handlers go in before "running" is printed: a SIGTERM that arrives right after
    // must stop the server gracefully, not kill it with the default action.
    let stop = shutdown_signal()?;
    println!("Secryn is running at {} ({} database)", config.browse_url(), db.engine().name());
    tracing::info!(listen = %config.listen, config = ?config, "started");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let endpoint = mcp::Endpoint {
        origin: origin_of(&config.browse_url()),
        idle: Duration::from_secs(config.mcp_idle_seconds.unsigned_abs()),
        shutdown: shutdown.clone(),
    };
    let app = http::router(state, config.https(), endpoint);
    // Open MCP streams end with the server, else a graceful stop would wait on them.
    let stop = async move {
        stop.await;
        shutdown.cancel();
    };
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| StartError(format!("server error: {e}")))?;
    if let Err(e) = flood.flush(&db).await {
        tracing::warn!(error = %e, "the last refused-call counts could not be written");
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `scheme://host[:port]` of a URL: what browsers send as `Origin`.
fn origin_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_len = rest.find('/').unwrap_or(rest.len());
    url[..url.len() - rest.len() + host_len].to_owned()
}

/// `secryn mcp-stdio`: MCP on stdin/stdout, each tool call forwarded to the REST API at
/// `base_url`. Log lines go to stderr; stdout carries the protocol only.
async fn mcp_stdio(base_url: &str) -> Result<(), StartError> {
    use rmcp::ServiceExt as _;
    let env = |name: &str| std::env::var(name).ok();
    let remote = mcp::remote::Remote::new(base_url, env("SECRYN_VAULT_ID"), env("SECRYN_ACCESS_KEY"))
        .map_err(|e| StartError(format!("--base-url: {e}")))?;
    let running = mcp::tools::SecrynMcp::remote(remote)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| StartError(format!("MCP over stdio could not start: {e}")))?;
    running.waiting().await.map_err(|e| StartError(format!("MCP over stdio stopped: {e}")))?;
    Ok(())
}

/// Removes expired sessions every ten minutes (lookups already refuse them; this keeps the
/// table small).
async fn sweep_sessions(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = clock::now();
        if let Err(e) =
            app::server::repo::sessions::delete_expired(&state.db, now, now - state.knobs.get().session_idle()).await
        {
            tracing::warn!(error = %e, "session sweep failed");
        }
    }
}

/// Prunes the request log past its retention every hour (on one node at a time; see
/// `services::logs::prune_request_log`).
async fn prune_request_log(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if let Err(e) = app::server::services::logs::prune_request_log(&state, clock::now()).await {
            tracing::warn!(error = %e.message, "request-log pruning failed");
        }
    }
}

/// Looks for a due scheduled backup every 30 seconds (each slot runs on one node; see
/// `services::scheduled_backups`).
async fn scheduled_backups(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        if let Err(e) = app::server::services::scheduled_backups::run_due(&state, clock::now()).await {
            tracing::warn!(error = %e, "the backup schedule could not be read or updated");
        }
    }
}

/// Looks for secrets, keys and certificates nearing expiry, at start and then every `every`
/// (each threshold fires once however often this runs, and on whichever node; see
/// `services::expiry`).
async fn expiry_watch(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = app::server::services::expiry::run(&state, clock::now()).await {
            tracing::warn!(error = %e.message, "the expiry watch could not run; it tries again");
        }
    }
}

/// Reads what Admins set under Settings → Instance every 5 seconds, so a change made on
/// another node takes effect here too.
async fn follow_settings(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        if let Err(e) = app::server::services::instance_settings::refresh(&state).await {
            tracing::warn!(error = %e, "the instance settings could not be read; the last ones stay in effect");
        }
    }
}

/// Sends queued e-mail every `every` (each message on one node; retries back off; see
/// `services::mail`).
async fn deliver_mail(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = app::server::services::mail::deliver_due(&state, clock::now()).await {
            tracing::warn!(error = %e.message, "queued e-mail could not be read or updated; it tries again");
        }
    }
}

/// Writes the counts of calls refused past their address's rate every few seconds (see
/// `app::server::flood`).
async fn flush_refusals(state: AppState) {
    let mut tick = tokio::time::interval(app::server::flood::FLUSH_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = state.flood.flush(&state.db).await {
            tracing::warn!(error = %e, "refused-call counts could not be written; kept for the next try");
        }
    }
}

/// Registers for SIGINT and SIGTERM now and resolves when either arrives.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, StartError> {
    use tokio::signal::unix::{SignalKind, signal};
    let register = |kind| signal(kind).map_err(|e| StartError(format!("cannot listen for signals: {e}")));
    let mut int = register(SignalKind::interrupt())?;
    let mut term = register(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutting down");
    })
}

/// `secryn master-key rotate`: what was moved, then what is left under each key.
async fn rotate_master_key(mut config: Config) -> Result<(), StartError> {
    let state = build_state(&mut config).await?;
    let current = state.master.current_id().to_owned();
    println!("Moving every wrapped key to master key {current}…");
    let done = app::server::services::master_keys::rotate(&state, |n| println!("  {n} moved")).await;
    state.db.close().await;
    let done = done.map_err(|e| StartError(format!("master-key rotate: {e}")))?;
    println!("Moved {} keys. Now: {}.", done.moved, done.after.describe());
    if !done.stuck.is_empty() {
        for (what, why) in &done.stuck {
            eprintln!("secryn: {what} was not moved: {why}");
        }
        return Err(StartError("master-key rotate: some keys were not moved (see above)".into()));
    }
    println!("Nothing is left under an earlier key: nodes may now run with the current key alone.");
    Ok(())
}

/// `secryn audit verify`: the chain walked with this instance's master key.
async fn audit_verify(mut config: Config) -> Result<(), StartError> {
    let db = startup::open_database(&config).await?;
    let (_, audit_key) = startup::master_key(&mut config, &db).await?;
    let report = app::server::audit::verify(&db, &audit_key).await;
    db.close().await;
    let report: ChainReport = report.map_err(|e| StartError(format!("SECRYN_DATABASE_URL: {e}")))?.into();
    if report.broken.is_some() {
        return Err(StartError(format!("the audit chain is {}", report.summary())));
    }
    println!("{}", report.summary());
    Ok(())
}

async fn setup_code(mut config: Config) -> Result<(), StartError> {
    let db = startup::open_database(&config).await?;
    startup::master_key(&mut config, &db).await?;
    if app::server::services::setup::is_set_up(&db)
        .await
        .map_err(|e| StartError(format!("SECRYN_DATABASE_URL: {e}")))?
    {
        db.close().await;
        return Err(StartError("setup-code: this instance is already set up; sign in as an Admin instead".into()));
    }
    startup::announce_setup(&db, &config.browse_url()).await?;
    db.close().await;
    Ok(())
}

async fn demo_data(
    mut config: Config,
    counts: app::server::services::demo::Counts,
    force: bool,
) -> Result<(), StartError> {
    let state = build_state(&mut config).await?;
    let result = app::server::services::demo::create(&state, counts, force).await;
    state.db.close().await;
    let data = result.map_err(|e| StartError(format!("demo-data: {}", e.message)))?;
    let mut json = serde_json::to_value(&data).map_err(|e| StartError(format!("demo-data: {e}")))?;
    json["base_url"] = serde_json::Value::String(format!("{}/api", config.browse_url().trim_end_matches('/')));
    println!("{json}");
    Ok(())
}
