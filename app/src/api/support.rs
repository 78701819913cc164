//! Server functions for Support: filing, reading and answering tickets.

use crate::domain::AppError;
use crate::domain::support::{Ticket, TicketSummary};
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::door, crate::server::services::support as svc};

/// The caller's tickets (every ticket for an Admin), narrowed by `status` (empty: any).
#[server(prefix = "/rpc", endpoint = "support_list", protocol = WireProtocol)]
pub async fn support_tickets(status: String) -> Result<Vec<TicketSummary>, AppError> {
    door::respond(async move { svc::list(&door::caller()?, &status).await }).await
}

/// One ticket with its messages.
#[server(prefix = "/rpc", endpoint = "support_ticket", protocol = WireProtocol)]
pub async fn support_ticket(id: String) -> Result<Ticket, AppError> {
    door::respond(async move { svc::get(&door::caller()?, &id).await }).await
}

/// Files a ticket; answers its id (the page opens it).
#[server(prefix = "/rpc", endpoint = "support_file", protocol = WireProtocol)]
pub async fn file_ticket(kind: String, title: String, description: String) -> Result<String, AppError> {
    door::respond(async move {
        let id = svc::file(&door::caller()?, &kind, &title, &description).await?;
        door::redirect_plain_form(&format!("/support/{id}"));
        Ok(id)
    })
    .await
}

/// Adds a reply to a ticket.
#[server(prefix = "/rpc", endpoint = "support_reply", protocol = WireProtocol)]
pub async fn reply_ticket(id: String, body: String) -> Result<Ticket, AppError> {
    door::respond(async move { svc::reply(&door::caller()?, &id, &body).await }).await
}

/// Sets a ticket's status (Admins).
#[server(prefix = "/rpc", endpoint = "support_status", protocol = WireProtocol)]
pub async fn set_ticket_status(id: String, status: String) -> Result<Ticket, AppError> {
    door::respond(async move { svc::set_status(&door::caller()?, &id, &status).await }).await
}
