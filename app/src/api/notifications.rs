//! Server functions for the bell: the signed-in person's own notifications.

use crate::domain::AppError;
use crate::domain::notification::Inbox;
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::door, crate::server::services::notifications as svc};

/// The newest notifications and the unread count.
#[server(prefix = "/rpc", endpoint = "notifications", protocol = WireProtocol)]
pub async fn notifications() -> Result<Inbox, AppError> {
    door::respond(async { svc::inbox(&door::caller()?).await }).await
}

/// Marks one notification read; answers the unread count left.
#[server(prefix = "/rpc", endpoint = "notification_read", protocol = WireProtocol)]
pub async fn mark_notification_read(id: String) -> Result<i64, AppError> {
    door::respond(async {
        let caller = door::caller()?;
        let id = crate::domain::ids::NotificationId::parse(&id)
            .ok_or_else(|| AppError::not_found("No such notification."))?;
        svc::mark_read(&caller, id).await
    })
    .await
}

/// Marks every notification read; answers the unread count left (0).
#[server(prefix = "/rpc", endpoint = "notifications_read_all", protocol = WireProtocol)]
pub async fn mark_all_notifications_read() -> Result<i64, AppError> {
    door::respond(async { svc::mark_all_read(&door::caller()?).await }).await
}
