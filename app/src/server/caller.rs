//! Who is asking, from where, and against which state: the one value every service takes,
//! so a front door builds it once and cannot pass the wrong session with the wrong request.

use super::AppState;
use super::repo::users::UserRecord;

/// Facts about the HTTP request that services record (never trusted for permissions).
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The signed-in session a request carries: the user as last read (never their password
/// hash, which is read only where a password is checked) and the session's key.
#[derive(Clone, Debug)]
pub struct SessionCtx {
    pub user: UserRecord,
    pub token_hash: String,
}

/// Nobody signed in yet: signing in, setting up, or following an invitation or reset link.
#[derive(Clone, Copy, Debug, Default)]
pub struct Anonymous;

/// One request's caller: `who` is a [`SessionCtx`] for a person (the default), [`Anonymous`]
/// before sign-in, or a machine's presented access key.
#[derive(Clone, Debug)]
pub struct Caller<Who = SessionCtx> {
    pub state: AppState,
    pub who: Who,
    pub meta: RequestMeta,
}

impl<Who> Caller<Who> {
    pub fn new(state: AppState, who: Who, meta: RequestMeta) -> Self {
        Caller { state, who, meta }
    }
}

impl Caller {
    /// The signed-in person.
    pub fn user(&self) -> &UserRecord {
        &self.who.user
    }
}

impl Caller<Anonymous> {
    /// The same request once it has a session (after sign-in or accepting a link).
    pub fn signed_in(&self, session: SessionCtx) -> Caller {
        Caller::new(self.state.clone(), session, self.meta.clone())
    }
}
