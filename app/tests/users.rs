//! Users, invitations and reset links: the service rules, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::domain::user::UserStatus;
use app::server::audit;
use app::server::db::Db;
use app::server::repo::users::{self, UserState};
use app::server::services::users::{self as svc, INVALID_LINK, IssuedLink};
use app::server::services::{auth, setup};
use app::server::tokens::{self, TokenKind};
use app::server::{AppState, Caller, RequestMeta, clock};
use sqlx::Row;

const PASSWORD: &str = "correct horse battery staple";
const MEMBER_PASSWORD: &str = "the member's own long passphrase";

fn meta() -> RequestMeta {
    RequestMeta { ip: Some("192.0.2.9".into()), user_agent: Some("tests".into()) }
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.reader()).await.unwrap()
}

/// Creates the first Admin (admin@example.com) and returns their session.
async fn set_up(state: &AppState) -> Caller {
    let code = setup::issue_setup_code(&state.db).await.unwrap().unwrap();
    let input = setup::SetupInput {
        code: code.expose().to_owned(),
        instance_name: "Acme".into(),
        admin_name: "First Admin".into(),
        admin_email: "admin@example.com".into(),
        password: PASSWORD.into(),
        password_confirm: PASSWORD.into(),
    };
    let token = setup::complete(&testkit::visitor(state, &meta()), input).await.unwrap().token;
    Caller::new(state.clone(), auth::resolve(state, token.expose()).await.unwrap().unwrap(), meta())
}

fn token(link: &IssuedLink) -> String {
    link.token.expose().to_owned()
}

/// Invites a member and lets them accept; returns their id and session token.
async fn member_joins(state: &AppState, admin: &Caller) -> (String, String) {
    let link = svc::invite(admin, "Invited Member", "member@example.com").await.unwrap();
    let s = svc::accept_invitation(
        &testkit::visitor(state, &meta()),
        &token(&link),
        "Invited Member",
        MEMBER_PASSWORD.into(),
        MEMBER_PASSWORD.into(),
    )
    .await
    .unwrap();
    (link.user_id.to_string(), s.token.expose().to_owned())
}

async fn ctx(state: &AppState, token: &str) -> Caller {
    Caller::new(state.clone(), auth::resolve(state, token).await.unwrap().expect("a live session"), meta())
}

async fn state_of(db: &Db, email: &str) -> UserState {
    users::find_by_email(db.reader(), email).await.unwrap().unwrap().state
}

/// Everything a change could touch, to prove that a refused call changed nothing.
async fn snapshot(db: &Db) -> String {
    let mut out = String::new();
    for (table, order) in [("users", "id"), ("invitations", "id"), ("sessions", "token_hash"), ("audit_log", "seq")] {
        for row in sqlx::query(&format!("select * from {table} order by {order}")).fetch_all(db.reader()).await.unwrap()
        {
            for i in 0..row.len() {
                let cell = row
                    .try_get::<Option<String>, _>(i)
                    .map(|v| v.unwrap_or_default())
                    .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| v.map(|n| n.to_string()).unwrap_or_default()))
                    .unwrap_or_default();
                out.push_str(&cell);
                out.push('|');
            }
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn an_invited_user_accepts_and_is_signed_in() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let before = clock::now();
        let link = svc::invite(&admin, "  Invited Member ", " Member@Example.com ").await.unwrap();
        assert!(link.path().starts_with("/invite/secryn_inv_"), "{:?}", t.engine);
        assert_eq!(link.path(), format!("/invite/{}", token(&link)));
        assert!(tokens::well_formed(TokenKind::Invitation, &token(&link)));
        let week = clock::minutes(7 * 24 * 60);
        assert!(link.expires_at >= before + week && link.expires_at <= clock::now() + week);
        assert_eq!(state_of(&t.db, "member@example.com").await, UserState::Pending);
        assert!(format!("{link:?}").contains("[redacted]") && !format!("{link:?}").contains(&token(&link)));

        // The page shows who the link is for.
        let owner = svc::invitation(&state, &token(&link)).await.unwrap();
        assert_eq!((owner.email.as_str(), owner.name.as_str()), ("member@example.com", "Invited Member"));

        // A pending user cannot sign in yet.
        let e = auth::sign_in(&testkit::visitor(&state, &meta()), "member@example.com", MEMBER_PASSWORD.into())
            .await
            .unwrap_err();
        assert_eq!(e.message, auth::WRONG_CREDENTIALS);

        // Field errors, and the link survives them.
        let m = meta();
        let tok = token(&link);
        let e = svc::accept_invitation(&testkit::visitor(&state, &m), &tok, "Member", "short".into(), "short".into())
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password"));
        let e = svc::accept_invitation(
            &testkit::visitor(&state, &m),
            &tok,
            "Member",
            MEMBER_PASSWORD.into(),
            "typo".into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password_confirm"));
        let e = svc::accept_invitation(
            &testkit::visitor(&state, &m),
            &tok,
            " ",
            MEMBER_PASSWORD.into(),
            MEMBER_PASSWORD.into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let long = "x".repeat(101);
        let e = svc::accept_invitation(
            &testkit::visitor(&state, &m),
            &tok,
            &long,
            MEMBER_PASSWORD.into(),
            MEMBER_PASSWORD.into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));

        let s = svc::accept_invitation(
            &testkit::visitor(&state, &m),
            &tok,
            "Member B.",
            MEMBER_PASSWORD.into(),
            MEMBER_PASSWORD.into(),
        )
        .await
        .unwrap();
        let member = ctx(&state, s.token.expose()).await;
        assert_eq!(
            (member.user().name.as_str(), member.user().state, member.user().is_admin),
            ("Member B.", UserState::Active, false)
        );
        assert!(
            auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", MEMBER_PASSWORD.into()).await.is_ok()
        );

        // Used once, never again.
        let e = svc::invitation(&state, &tok).await.unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Gone, INVALID_LINK));
        let e = svc::accept_invitation(
            &testkit::visitor(&state, &m),
            &tok,
            "Outsider",
            "a different passphrase".into(),
            "a different passphrase".into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Gone);
        assert!(
            auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", MEMBER_PASSWORD.into()).await.is_ok(),
            "password unchanged"
        );

        let changes: String =
            sqlx::query_scalar("select changes from audit_log where action = 'user.accept_invitation'")
                .fetch_one(t.db.reader())
                .await
                .unwrap();
        assert!(changes.contains(r#"{"field":"password"}"#) && changes.contains("Member B."), "{changes}");
        let actor: String =
            sqlx::query_scalar("select actor_name from audit_log where action = 'user.accept_invitation'")
                .fetch_one(t.db.reader())
                .await
                .unwrap();
        assert_eq!(actor, "Member B.");
    }
}

#[tokio::test]
async fn unknown_expired_used_and_wrong_kind_links_are_refused_alike() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let link = svc::invite(&admin, "Cy", "cy@example.com").await.unwrap();

        let unknown = tokens::generate(TokenKind::Invitation);
        let malformed = format!("{}x", token(&link));
        let as_reset = token(&link).replacen("secryn_inv_", "secryn_rst_", 1);
        for bad in [unknown.expose(), "", "nonsense", malformed.as_str(), as_reset.as_str()] {
            let e = svc::invitation(&state, bad).await.unwrap_err();
            assert_eq!((e.code, e.message.as_str()), (ErrorCode::Gone, INVALID_LINK), "{bad}");
            assert_eq!(svc::reset(&state, bad).await.unwrap_err().message, INVALID_LINK);
        }
        // An invitation token is no reset token.
        assert_eq!(svc::reset(&state, &token(&link)).await.unwrap_err().code, ErrorCode::Gone);
        let e = svc::accept_reset(&testkit::visitor(&state, &meta()), &token(&link), PASSWORD.into(), PASSWORD.into())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Gone);

        // Expired: the same answer, and accepting changes nothing.
        let mut tx = t.db.begin().await.unwrap();
        sqlx::query("update invitations set expires_at = $1").bind(clock::now() - 1).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        let e = svc::invitation(&state, &token(&link)).await.unwrap_err();
        assert_eq!(e.message, INVALID_LINK);
        let e = svc::accept_invitation(
            &testkit::visitor(&state, &meta()),
            &token(&link),
            "Cy",
            MEMBER_PASSWORD.into(),
            MEMBER_PASSWORD.into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.message, INVALID_LINK);
        assert_eq!(state_of(&t.db, "cy@example.com").await, UserState::Pending);

        // The Admin issues a fresh one, which works.
        let fresh = svc::reinvite(&admin, &link.user_id.to_string()).await.unwrap();
        svc::accept_invitation(
            &testkit::visitor(&state, &meta()),
            &token(&fresh),
            "Cy",
            MEMBER_PASSWORD.into(),
            MEMBER_PASSWORD.into(),
        )
        .await
        .unwrap();
        assert_eq!(state_of(&t.db, "cy@example.com").await, UserState::Active);
    }
}

#[tokio::test]
async fn reinviting_voids_the_old_link_and_duplicates_are_refused() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let m = meta();
        let first = svc::invite(&admin, "Di", "di@example.com").await.unwrap();
        let id = first.user_id.to_string();
        let second = svc::reinvite(&admin, &id).await.unwrap();
        assert_ne!(token(&first), token(&second));
        assert_eq!(svc::invitation(&state, &token(&first)).await.unwrap_err().code, ErrorCode::Gone);
        assert_eq!(svc::invitation(&state, &token(&second)).await.unwrap().email, "di@example.com");

        // The same address again, in any case: a field error, nothing created.
        let e = svc::invite(&admin, "Di again", "DI@example.com").await.unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::ValidationFailed, Some("email")));
        assert!(e.message.contains("already invited"), "{}", e.message);
        let e = svc::invite(&admin, "Imposter", "admin@example.com").await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("email"));
        assert!(e.message.contains("already exists"));
        assert_eq!(count(&t.db, "select count(*) from users").await, 2);

        // Field checks and caps.
        let e = svc::invite(&admin, "", "x@example.com").await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = svc::invite(&admin, &"n".repeat(101), "x@example.com").await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = svc::invite(&admin, "X", "not-an-address").await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("email"));
        let e = svc::invite(&admin, "X", &format!("{}@example.com", "a".repeat(250))).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("email"));

        // Stale forms: once accepted, a re-invite changes nothing and says why.
        svc::accept_invitation(
            &testkit::visitor(&state, &m),
            &token(&second),
            "Di",
            MEMBER_PASSWORD.into(),
            MEMBER_PASSWORD.into(),
        )
        .await
        .unwrap();
        let audits = count(&t.db, "select count(*) from audit_log").await;
        let e = svc::reinvite(&admin, &id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert!(e.message.contains("already accepted"));
        let e = svc::reinvite(&admin, &uuid_like()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = svc::reinvite(&admin, "not an id").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(count(&t.db, "select count(*) from audit_log").await, audits);
        assert_eq!(count(&t.db, "select count(*) from audit_log where action = 'user.reinvite'").await, 1);
    }
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".into()
}

#[tokio::test]
async fn disabling_ends_sessions_and_blocks_sign_in_until_enabled() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let m = meta();
        let (member_id, member_token) = member_joins(&state, &admin).await;
        let other =
            auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", MEMBER_PASSWORD.into()).await.unwrap();
        assert!(auth::resolve(&state, &member_token).await.unwrap().is_some());

        svc::disable(&admin, &member_id).await.unwrap();
        assert!(auth::resolve(&state, &member_token).await.unwrap().is_none());
        assert!(auth::resolve(&state, other.token.expose()).await.unwrap().is_none());
        assert_eq!(count(&t.db, &format!("select count(*) from sessions where user_id = '{member_id}'")).await, 0);
        let e = auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", MEMBER_PASSWORD.into())
            .await
            .unwrap_err();
        assert_eq!(e.message, auth::WRONG_CREDENTIALS);
        assert_eq!(state_of(&t.db, "member@example.com").await, UserState::Disabled);

        // Stale: disabling again changes nothing.
        let audits = count(&t.db, "select count(*) from audit_log").await;
        let e = svc::disable(&admin, &member_id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert!(e.message.contains("already disabled"));
        let e = svc::disable(&admin, &uuid_like()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(count(&t.db, "select count(*) from audit_log").await, audits);

        // Nobody disables themselves.
        let e = svc::disable(&admin, &admin.user().id.to_string()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert!(e.message.contains("your own account"));
        assert_eq!(state_of(&t.db, "admin@example.com").await, UserState::Active);

        assert_eq!(svc::enable(&admin, &member_id).await.unwrap(), UserStatus::Active);
        assert!(
            auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", MEMBER_PASSWORD.into()).await.is_ok()
        );
        assert!(auth::resolve(&state, &member_token).await.unwrap().is_none(), "old sessions stay ended");
        let e = svc::enable(&admin, &member_id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);

        // A pending user can be disabled too: their link stops working, and enabling brings
        // them back to pending (they need a new link).
        let link = svc::invite(&admin, "Flo", "flo@example.com").await.unwrap();
        let flo = link.user_id.to_string();
        svc::disable(&admin, &flo).await.unwrap();
        assert_eq!(svc::invitation(&state, &token(&link)).await.unwrap_err().code, ErrorCode::Gone);
        assert_eq!(svc::reinvite(&admin, &flo).await.unwrap_err().code, ErrorCode::Conflict);
        assert_eq!(svc::enable(&admin, &flo).await.unwrap(), UserStatus::Pending);
        assert_eq!(svc::invitation(&state, &token(&link)).await.unwrap_err().code, ErrorCode::Gone, "still void");
        let fresh = svc::reinvite(&admin, &flo).await.unwrap();
        assert!(svc::invitation(&state, &token(&fresh)).await.is_ok());

        let states: Vec<String> = sqlx::query_scalar(
            "select changes from audit_log where action in ('user.disable', 'user.enable') order by seq",
        )
        .fetch_all(t.db.reader())
        .await
        .unwrap();
        assert_eq!(states.len(), 4);
        assert!(states[0].contains(r#"{"field":"state","old":"active","new":"disabled"}"#), "{}", states[0]);
        assert!(states[0].contains(r#"{"field":"sessions_ended","new":"2"}"#), "{}", states[0]);
    }
}

#[tokio::test]
async fn admin_role_is_granted_and_revoked_and_the_last_admin_is_protected() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let (member_id, member_token) = member_joins(&state, &admin).await;
        let admin_id = admin.user().id.to_string();

        // The only Admin cannot step down.
        let e = svc::revoke_admin(&admin, &admin_id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert!(e.message.contains("last active Admin"), "{}", e.message);

        svc::grant_admin(&admin, &member_id).await.unwrap();
        let member = ctx(&state, &member_token).await;
        assert!(member.user().is_admin);
        assert!(svc::list(&member, "", "").await.is_ok(), "the member may now manage users");
        assert_eq!(svc::grant_admin(&admin, &member_id).await.unwrap_err().code, ErrorCode::Conflict);

        svc::revoke_admin(&admin, &member_id).await.unwrap();
        assert!(!ctx(&state, &member_token).await.user().is_admin);
        assert_eq!(svc::revoke_admin(&admin, &member_id).await.unwrap_err().code, ErrorCode::Conflict);
        let e = svc::list(&ctx(&state, &member_token).await, "", "").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);

        // Two Admins: one may hand over and step down.
        svc::grant_admin(&admin, &member_id).await.unwrap();
        let member = ctx(&state, &member_token).await;
        svc::revoke_admin(&member, &member_id).await.unwrap();
        assert_eq!(users::count_active_admins(t.db.reader()).await.unwrap(), 1);

        // A page loaded while the member was still an Admin (the race of two Admins demoting each
        // other) cannot remove the last Admin either way.
        let e = svc::revoke_admin(&member, &admin_id).await.unwrap_err();
        assert!(e.message.contains("last active Admin"), "{}", e.message);
        let e = svc::disable(&member, &admin_id).await.unwrap_err();
        assert!(e.message.contains("last active Admin"), "{}", e.message);
        let me = users::find(t.db.reader(), admin.user().id).await.unwrap().unwrap();
        assert!(me.is_admin && me.state == UserState::Active);

        // A disabled user is not made an Admin; a disabled Admin does not count as one.
        svc::disable(&admin, &member_id).await.unwrap();
        assert_eq!(svc::grant_admin(&admin, &member_id).await.unwrap_err().code, ErrorCode::Conflict);

        let actions: Vec<String> =
            sqlx::query_scalar("select action from audit_log where action like 'user.%admin' order by seq")
                .fetch_all(t.db.reader())
                .await
                .unwrap();
        assert_eq!(actions, ["user.grant_admin", "user.revoke_admin", "user.grant_admin", "user.revoke_admin"]);
    }
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let m = meta();
        let (member_id, member_token) = member_joins(&state, &admin).await;
        let second =
            auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", MEMBER_PASSWORD.into()).await.unwrap();

        let before = clock::now();
        let first = svc::reset_link(&admin, &member_id).await.unwrap();
        let link = svc::reset_link(&admin, &member_id).await.unwrap();
        assert!(link.path().starts_with("/reset/secryn_rst_"));
        let day = clock::minutes(24 * 60);
        assert!(link.expires_at >= before + day && link.expires_at <= clock::now() + day);
        assert_eq!(svc::reset(&state, &token(&first)).await.unwrap_err().code, ErrorCode::Gone, "replaced");
        assert_eq!(svc::reset(&state, &token(&link)).await.unwrap().email, "member@example.com");
        // Issuing a link does not end sessions by itself.
        assert!(auth::resolve(&state, &member_token).await.unwrap().is_some());

        let new = "a freshly reset passphrase";
        let e = svc::accept_reset(&testkit::visitor(&state, &m), &token(&link), new.into(), "typo".into())
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password_confirm"));
        let e = svc::accept_reset(&testkit::visitor(&state, &m), &token(&link), "short".into(), "short".into())
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password"));

        // Two tabs submit at once: exactly one wins.
        let tok = token(&link);
        let visitor = testkit::visitor(&state, &m);
        let (a, b) = tokio::join!(
            svc::accept_reset(&visitor, &tok, new.into(), new.into()),
            svc::accept_reset(&visitor, &tok, new.into(), new.into()),
        );
        assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
        assert_eq!(a.err().or(b.err()).unwrap().code, ErrorCode::Gone);

        assert!(auth::resolve(&state, &member_token).await.unwrap().is_none());
        assert!(auth::resolve(&state, second.token.expose()).await.unwrap().is_none());
        assert!(
            auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", MEMBER_PASSWORD.into()).await.is_err()
        );
        assert!(auth::sign_in(&testkit::visitor(&state, &m), "member@example.com", new.into()).await.is_ok());
        let e = svc::accept_reset(
            &testkit::visitor(&state, &m),
            &token(&link),
            "yet another passphrase".into(),
            "yet another passphrase".into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Gone);
        assert_eq!(count(&t.db, "select count(*) from audit_log where action = 'user.password_reset'").await, 1);

        // Reset links are for active users only; disabling voids an open one.
        let pending = svc::invite(&admin, "Gus", "gus@example.com").await.unwrap();
        let e = svc::reset_link(&admin, &pending.user_id.to_string()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        let open = svc::reset_link(&admin, &member_id).await.unwrap();
        svc::disable(&admin, &member_id).await.unwrap();
        assert_eq!(svc::reset(&state, &token(&open)).await.unwrap_err().code, ErrorCode::Gone);
        assert_eq!(svc::reset_link(&admin, &member_id).await.unwrap_err().code, ErrorCode::Conflict);
    }
}

#[tokio::test]
async fn a_non_admin_is_refused_every_user_function_and_nothing_changes() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let (_, member_token) = member_joins(&state, &admin).await;
        let member = ctx(&state, &member_token).await;
        let pending = svc::invite(&admin, "Hal", "hal@example.com").await.unwrap();
        let (admin_id, hal) = (admin.user().id.to_string(), pending.user_id.to_string());
        let before = snapshot(&t.db).await;
        let denied_before = count(&t.db, "select count(*) from user_log where event = 'denied'").await;

        let results = [
            svc::list(&member, "", "").await.map(|_| ()),
            svc::invite(&member, "Outsider", "outsider@example.com").await.map(|_| ()),
            svc::reinvite(&member, &hal).await.map(|_| ()),
            svc::reset_link(&member, &admin_id).await.map(|_| ()),
            svc::disable(&member, &admin_id).await,
            svc::enable(&member, &admin_id).await.map(|_| ()),
            svc::grant_admin(&member, &member.user().id.to_string()).await,
            svc::revoke_admin(&member, &admin_id).await,
        ];
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r.unwrap_err().code, ErrorCode::Forbidden, "call {i} on {:?}", t.engine);
        }
        assert_eq!(snapshot(&t.db).await, before, "a refused call changed nothing");
        assert_eq!(count(&t.db, "select count(*) from user_log where event = 'denied'").await, denied_before + 8);
        assert!(svc::invitation(&state, &token(&pending)).await.is_ok(), "Hal's link still works");
    }
}

#[tokio::test]
async fn the_list_filters_by_text_and_state() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let (member_id, _) = member_joins(&state, &admin).await;
        svc::invite(&admin, "User 100%_Sure", "invitee@corp.example").await.unwrap();
        svc::disable(&admin, &member_id).await.unwrap();

        let names = |rows: Vec<app::domain::user::UserSummary>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(svc::list(&admin, "", "all").await.unwrap()),
            ["First Admin", "Invited Member", "User 100%_Sure"]
        );
        assert_eq!(names(svc::list(&admin, "MEMBER", "").await.unwrap()), ["Invited Member"]);
        assert_eq!(names(svc::list(&admin, "corp.EX", "").await.unwrap()), ["User 100%_Sure"]);
        assert_eq!(names(svc::list(&admin, "%", "").await.unwrap()), ["User 100%_Sure"], "wildcards are literal");
        assert_eq!(names(svc::list(&admin, "0%_s", "").await.unwrap()), ["User 100%_Sure"]);
        assert!(svc::list(&admin, "_", "").await.unwrap().len() == 1);
        assert_eq!(names(svc::list(&admin, "", "pending").await.unwrap()), ["User 100%_Sure"]);
        assert_eq!(names(svc::list(&admin, "", "disabled").await.unwrap()), ["Invited Member"]);
        assert_eq!(names(svc::list(&admin, "", "active").await.unwrap()), ["First Admin"]);
        assert!(svc::list(&admin, "nobody", "active").await.unwrap().is_empty());
        let e = svc::list(&admin, "", "sleeping").await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("state"));
        let e = svc::list(&admin, &"q".repeat(255), "").await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("q"));
        let rows = svc::list(&admin, "first", "").await.unwrap();
        assert!(rows[0].is_admin && rows[0].created_at > 0);
    }
}

#[tokio::test]
async fn every_change_is_audited_in_an_unbroken_chain_without_secrets() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let m = meta();
        let invite = svc::invite(&admin, "Invitee", "invitee@example.com").await.unwrap();
        let id = invite.user_id.to_string();
        let reinvite = svc::reinvite(&admin, &id).await.unwrap();
        let session = svc::accept_invitation(
            &testkit::visitor(&state, &m),
            &token(&reinvite),
            "Invitee",
            MEMBER_PASSWORD.into(),
            MEMBER_PASSWORD.into(),
        )
        .await
        .unwrap();
        svc::grant_admin(&admin, &id).await.unwrap();
        svc::revoke_admin(&admin, &id).await.unwrap();
        let reset = svc::reset_link(&admin, &id).await.unwrap();
        let new = "the reset passphrase of jo";
        svc::accept_reset(&testkit::visitor(&state, &m), &token(&reset), new.into(), new.into()).await.unwrap();
        svc::disable(&admin, &id).await.unwrap();
        svc::enable(&admin, &id).await.unwrap();

        let actions: Vec<String> =
            sqlx::query_scalar("select action from audit_log where resource_id = $1 order by seq")
                .bind(&id)
                .fetch_all(t.db.reader())
                .await
                .unwrap();
        assert_eq!(
            actions,
            [
                "user.invite",
                "user.reinvite",
                "user.accept_invitation",
                "user.grant_admin",
                "user.revoke_admin",
                "user.reset_link",
                "user.password_reset",
                "user.disable",
                "user.enable",
            ]
        );
        let ips: Vec<Option<String>> = sqlx::query_scalar("select source_ip from audit_log where resource_id = $1")
            .bind(&id)
            .fetch_all(t.db.reader())
            .await
            .unwrap();
        assert!(ips.iter().all(|ip| ip.as_deref() == Some("192.0.2.9")));
        let v = audit::verify(&t.db, &state.audit_key).await.unwrap();
        assert_eq!(v.first_broken, None, "{:?}", t.engine);

        // Nothing secret anywhere in the database: no link token, password or session token.
        let tables: Vec<String> = match t.engine {
            app::server::db::Engine::Sqlite => sqlx::query_scalar(
                "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_sqlx%'",
            )
            .fetch_all(t.db.reader())
            .await
            .unwrap(),
            app::server::db::Engine::Postgres => sqlx::query_scalar(
                "select table_name::text from information_schema.tables where table_schema = 'public' \
                 and table_name not like '_sqlx%'",
            )
            .fetch_all(t.db.reader())
            .await
            .unwrap(),
        };
        assert!(tables.iter().any(|t| t == "invitations"));
        let mut dump = String::new();
        for table in &tables {
            for row in sqlx::query(&format!("select * from {table}")).fetch_all(t.db.reader()).await.unwrap() {
                for i in 0..row.len() {
                    if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                        dump.push_str(&s);
                        dump.push('\n');
                    }
                }
            }
        }
        assert!(
            dump.contains("invitee@example.com") && dump.contains(&tokens::token_hash(&token(&reset))),
            "real dump"
        );
        for secret in [token(&invite), token(&reinvite), token(&reset), session.token.expose().to_owned()] {
            assert!(!dump.contains(&secret), "a token reached the database");
            // Not even the random part without its prefix.
            assert!(!dump.contains(&secret[11..40]), "a token body reached the database");
        }
        for password in [MEMBER_PASSWORD, new, PASSWORD] {
            assert!(!dump.contains(password), "a password reached the database");
        }
    }
}
