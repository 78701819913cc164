//! The shared domain: types, validation and the permission function, compiled for both the
//! browser and the server. Nothing here touches the database or the network.

pub mod access_key;
pub mod backup;
pub mod certificate;
pub mod dotenv;
pub mod error;
pub mod ids;
pub mod instance;
pub mod key;
pub mod logs;
pub mod mail;
pub mod notification;
pub mod org;
pub mod permission;
pub mod secret;
pub mod session;
pub mod support;
pub mod time;
pub mod user;
pub mod validate;

pub use error::{AppError, ErrorCode};

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Writes a struct whose `None` fields JSON leaves out (`{"error","message"}` stays that
/// short) while a compact format, which reads fields by position, gets every one of them.
pub(crate) struct OptionalFields<S: SerializeStruct> {
    inner: S,
    compact: bool,
}

impl<S: SerializeStruct> OptionalFields<S> {
    pub(crate) fn start<Z>(s: Z, name: &'static str, len: usize) -> Result<Self, Z::Error>
    where
        Z: Serializer<SerializeStruct = S, Error = S::Error>,
    {
        let compact = !s.is_human_readable();
        Ok(Self { inner: s.serialize_struct(name, len)?, compact })
    }

    pub(crate) fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, v: &T) -> Result<(), S::Error> {
        self.inner.serialize_field(name, v)
    }

    pub(crate) fn optional<T: Serialize>(&mut self, name: &'static str, v: &Option<T>) -> Result<(), S::Error> {
        if v.is_none() && !self.compact { self.inner.skip_field(name) } else { self.inner.serialize_field(name, v) }
    }

    pub(crate) fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}
