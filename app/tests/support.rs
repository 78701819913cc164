//! Support tickets on SQLite and PostgreSQL: anyone files one, sees only their own; Admins see
//! all, reply and set the status; a reply notifies the other side; a stranger's ticket is
//! "not found"; bad input changes nothing; and every change is audited without its text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::ErrorCode;
use app::domain::support::{OPEN_PER_PERSON, TicketStatus};
use app::server::services::{notifications, support};
use app::server::{AppState, Caller};

async fn titles(who: &Caller) -> Vec<String> {
    notifications::inbox(who).await.unwrap().notifications.into_iter().map(|n| n.title).collect()
}

async fn audited(state: &AppState, action: &str) -> Vec<(String, String)> {
    sqlx::query_as("select coalesce(resource_name, ''), changes from audit_log where action = $1 order by seq")
        .bind(action)
        .fetch_all(state.db.reader())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_ticket_goes_round_between_its_author_and_the_admins() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let alex = testkit::person(&state, "alex@example.com", false).await;
        let sam = testkit::person(&state, "sam@example.com", false).await;

        let bad = support::file(&alex, "question", "Export", "It fails").await.unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("kind"));
        let empty = support::file(&alex, "bug", "Export", "  ").await.unwrap_err();
        assert_eq!(empty.field.as_deref(), Some("description"));
        assert!(support::list(&admin, "").await.unwrap().is_empty(), "refused tickets leave nothing");

        let id = support::file(&alex, "bug", "Export fails", "The CSV export stops at 1,000 rows.").await.unwrap();
        support::file(&sam, "feature", "Dark mode", "Please.").await.unwrap();
        assert_eq!(titles(&admin).await, ["New feature request: Dark mode", "New bug report: Export fails"]);

        // Each person sees their own; the Admin sees both; a stranger's ticket is not found.
        let mine = support::list(&alex, "").await.unwrap();
        assert_eq!(mine.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(), ["Export fails"]);
        assert_eq!(support::list(&admin, "").await.unwrap().len(), 2);
        assert_eq!(support::get(&sam, &id).await.unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(support::reply(&sam, &id, "me too").await.unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(support::get(&alex, "no-such-ticket").await.unwrap_err().code, ErrorCode::NotFound);

        // The Admin answers: the ticket is answered and its author is told.
        let answered = support::reply(&admin, &id, "Fixed in the next release.").await.unwrap();
        assert_eq!(answered.summary.status, TicketStatus::Answered);
        assert!(answered.messages[1].from_support && !answered.messages[0].from_support);
        assert_eq!(titles(&alex).await, ["Support replied: Export fails"]);
        assert_eq!(support::list(&alex, "answered").await.unwrap().len(), 1);
        assert!(support::list(&alex, "open").await.unwrap().is_empty());

        // Only an Admin sets the status; closing tells the author; their reply opens it again.
        let refused = support::set_status(&alex, &id, "closed").await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Forbidden);
        let closed = support::set_status(&admin, &id, "closed").await.unwrap();
        assert_eq!(closed.summary.status, TicketStatus::Closed);
        assert_eq!(titles(&alex).await[0], "Support closed: Export fails");
        let reopened = support::reply(&alex, &id, "It happens again with 2,000 rows.").await.unwrap();
        assert_eq!((reopened.summary.status, reopened.summary.replies), (TicketStatus::Open, 2));
        assert_eq!(titles(&admin).await[0], "alex@example.com replied: Export fails");

        let created = audited(&state, "support.create").await;
        assert_eq!(created.len(), 2);
        let replies = audited(&state, "support.reply").await;
        assert_eq!(replies.len(), 2);
        assert!(replies.iter().all(|(name, changes)| name == "Export fails" && !changes.contains("release")));
        assert_eq!(audited(&state, "support.status").await.len(), 1);
    }
}

#[tokio::test]
async fn open_tickets_per_person_are_bounded() {
    let t = testkit::sqlite().await;
    let state = testkit::state(&t.db).await;
    let alex = testkit::person(&state, "alex@example.com", false).await;
    for n in 0..OPEN_PER_PERSON {
        support::file(&alex, "bug", &format!("Ticket {n}"), "text").await.unwrap();
    }
    let over = support::file(&alex, "bug", "One more", "text").await.unwrap_err();
    assert_eq!(over.code, ErrorCode::Conflict);
    assert_eq!(support::list(&alex, "").await.unwrap().len() as i64, OPEN_PER_PERSON);
}
