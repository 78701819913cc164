//! The `request_log` table: one row per REST call, inserted in batches, never changed.

use crate::domain::time::Micros;
use crate::server::db::Tx;

/// One REST call as recorded: the path template, never the raw path or query string.
#[derive(Clone, Debug)]
pub struct Record {
    pub at: Micros,
    pub method: String,
    pub path: &'static str,
    pub resource_type: &'static str,
    pub status: u16,
    pub duration_us: i64,
    pub ip: Option<String>,
    pub access_key_id: Option<String>,
    pub public_resource: Option<String>,
}

/// Rows per insert statement (10 parameters each, well under every engine's limit).
const CHUNK: usize = 100;

/// Inserts `records` inside `tx` with multi-row statements.
pub async fn insert(tx: &mut Tx, records: &[Record]) -> Result<(), sqlx::Error> {
    for chunk in records.chunks(CHUNK) {
        let mut sql = String::from(
            "insert into request_log (id, at, method, path, resource_type, status, duration_us, ip, access_key_id, \
             public_resource) values ",
        );
        for i in 0..chunk.len() {
            let b = i * 10;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10
            ));
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(r.at)
                .bind(r.method.clone())
                .bind(r.path)
                .bind(r.resource_type)
                .bind(i64::from(r.status))
                .bind(r.duration_us)
                .bind(r.ip.clone())
                .bind(r.access_key_id.clone())
                .bind(r.public_resource.clone());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
