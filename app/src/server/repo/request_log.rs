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

/// Rows per insert statement. A batch is cut into pieces of these sizes (largest first), so
/// only four statement texts exist and each stays in the connection's prepared-statement
/// cache; a batch of 37 is 16 + 16 + 4 + 1.
const SHAPES: [usize; 4] = [64, 16, 4, 1];

/// `insert … values (…), (…)` for `rows` rows of 10 parameters.
fn statement(rows: usize) -> String {
    let mut sql = String::from(
        "insert into request_log (id, at, method, path, resource_type, status, duration_us, ip, access_key_id, \
         public_resource) values ",
    );
    for i in 0..rows {
        let b = i * 10;
        if i > 0 {
            sql.push_str(", ");
        }
        let params: Vec<String> = (1..=10).map(|n| format!("${}", b + n)).collect();
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
    }
    sql
}

fn statements() -> &'static [String; 4] {
    static SQL: std::sync::OnceLock<[String; 4]> = std::sync::OnceLock::new();
    SQL.get_or_init(|| SHAPES.map(statement))
}

/// Inserts `records` inside `tx`.
pub async fn insert(tx: &mut Tx, records: &[Record]) -> Result<(), sqlx::Error> {
    let mut rest = records;
    while !rest.is_empty() {
        let shape = SHAPES.iter().position(|n| *n <= rest.len()).unwrap_or(SHAPES.len() - 1);
        let (chunk, tail) = rest.split_at(SHAPES[shape]);
        rest = tail;
        let mut q = sqlx::query(&statements()[shape]);
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
