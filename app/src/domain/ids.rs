//! Typed identifiers, so a user id can never be passed where a vault id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh id (server only: the browser never mints ids). Time-ordered (UUIDv7,
            /// 74 random bits after the millisecond): rows made together, such as a vault's
            /// imported secrets, sit side by side in every index keyed by their id, so a read
            /// of all of them touches a few pages rather than one per row.
            #[cfg(feature = "ssr")]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses the textual form; malformed text is simply "no such thing".
            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s).ok().map(Self)
            }
        }

        #[cfg(feature = "ssr")]
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

typed_id!(
    /// A person who signs in.
    UserId
);
typed_id!(
    /// A project: the top-level ownership boundary.
    ProjectId
);
typed_id!(
    /// A vault inside a project.
    VaultId
);
typed_id!(
    /// A secret inside a vault.
    SecretId
);
typed_id!(
    /// A machine credential for one vault.
    AccessKeyId
);
typed_id!(
    /// An asymmetric key pair inside a vault.
    KeyId
);
typed_id!(
    /// An X.509 certificate (with its chain) inside a vault.
    CertificateId
);
typed_id!(
    /// One notification in one person's list.
    NotificationId
);
