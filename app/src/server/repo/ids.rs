//! Typed ids as database values: bound with `.bind(id)` and read with `cell::<VaultId>(i)` /
//! `try_get::<VaultId, _>(i)` (and their `Option` forms), on both sqlx's `Any` driver and the
//! inline rusqlite path. An id is stored as its hyphenated text on both engines; text that
//! does not parse is a decode error ("malformed VaultId"), never a silently missing row.

use crate::domain::ids::{AccessKeyId, CertificateId, KeyId, NotificationId, ProjectId, SecretId, UserId, VaultId};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type};

macro_rules! id_columns {
    ($($name:ident),+ $(,)?) => {$(
        impl Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <String as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <String as Type<Any>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, Any> for $name {
            fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, Any>>::encode(self.to_string(), buf)
            }
        }

        impl<'r> Decode<'r, Any> for $name {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                // Through `String`: sqlx's `&str` decoder panics on a value it does not borrow.
                let text = <String as Decode<'r, Any>>::decode(value)?;
                $name::parse(&text).ok_or_else(|| concat!("malformed ", stringify!($name)).into())
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                $name::parse(value.as_str()?)
                    .ok_or_else(|| FromSqlError::Other(concat!("malformed ", stringify!($name)).into()))
            }
        }
    )+};
}

id_columns!(UserId, ProjectId, VaultId, SecretId, AccessKeyId, KeyId, CertificateId, NotificationId);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::{Cell, Columns};
    use sqlx::any::{AnyPoolOptions, install_default_drivers};
    use sqlx::{AnyPool, Row};

    async fn pool() -> AnyPool {
        install_default_drivers();
        // One connection: every connection to `sqlite::memory:` is a database of its own.
        let pool = AnyPoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        sqlx::query("create table t (id text not null, other text)").execute(&pool).await.unwrap();
        pool
    }

    #[tokio::test]
    async fn an_id_binds_as_its_text_and_reads_back() {
        let pool = pool().await;
        let (vault, user) = (VaultId::new(), UserId::new());
        sqlx::query("insert into t (id, other) values ($1, $2)")
            .bind(vault)
            .bind(Some(user))
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("insert into t (id, other) values ($1, $2)")
            .bind(VaultId::new())
            .bind(None::<UserId>)
            .execute(&pool)
            .await
            .unwrap();

        let stored: String =
            sqlx::query_scalar("select id from t where id = $1").bind(vault).fetch_one(&pool).await.unwrap();
        assert_eq!(stored, vault.to_string());

        let row = sqlx::query("select id, other from t where id = $1").bind(vault).fetch_one(&pool).await.unwrap();
        assert_eq!(row.try_get::<VaultId, _>(0).unwrap(), vault);
        assert_eq!(row.try_get::<Option<UserId>, _>(1).unwrap(), Some(user));
        assert_eq!(row.cell::<VaultId>(0).unwrap(), vault);

        let row = sqlx::query("select id, other from t where id <> $1").bind(vault).fetch_one(&pool).await.unwrap();
        assert_eq!(row.try_get::<Option<UserId>, _>(1).unwrap(), None);
    }

    #[tokio::test]
    async fn a_malformed_stored_id_is_a_decode_error() {
        let pool = pool().await;
        sqlx::query("insert into t (id) values ('not-an-id')").execute(&pool).await.unwrap();
        let row = sqlx::query("select id from t").fetch_one(&pool).await.unwrap();
        match row.try_get::<SecretId, _>(0) {
            Err(sqlx::Error::ColumnDecode { source, .. }) => assert_eq!(source.to_string(), "malformed SecretId"),
            other => panic!("expected a decode error, got {other:?}"),
        }
        assert!(row.cell::<SecretId>(0).is_err());
    }

    /// The inline SQLite read path (`Columns for rusqlite::Row`).
    #[test]
    fn the_rusqlite_path_reads_ids() {
        fn read<T: Cell>(conn: &rusqlite::Connection, sql: &str) -> Result<T, sqlx::Error> {
            conn.query_row(sql, [], |r| Ok(r.cell::<T>(0))).unwrap()
        }
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let id = AccessKeyId::new();
        let sql = format!("select '{id}'");
        assert_eq!(read::<AccessKeyId>(&conn, &sql).unwrap(), id);
        assert_eq!(read::<Option<AccessKeyId>>(&conn, &sql).unwrap(), Some(id));
        assert_eq!(read::<Option<ProjectId>>(&conn, "select null").unwrap(), None);
        assert!(read::<ProjectId>(&conn, "select 'not-an-id'").is_err());
        assert!(read::<ProjectId>(&conn, "select 42").is_err());
        let err = conn
            .query_row("select 'nope'", [], |r| r.get::<_, UserId>(0))
            .expect_err("malformed text must not read as an id");
        assert!(err.to_string().contains("malformed UserId"), "{err}");
    }
}
