//! Shared by the test binaries (`tests/api`, `tests/booking_model.rs`): a fresh database per test,
//! a SQLite file in a temporary directory or a new PostgreSQL database `sp_test_<uuid>`, dropped
//! again when its `TestDb` is, even when the test panics.
// Each test binary uses a part of this.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Arguments, Connection, Database, Encode, Postgres, Sqlite, Type};
use std::time::Duration;
use tokio::sync::OnceCell;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the tests find PostgreSQL; each test makes its own database there.
fn pg_base_url() -> String {
    std::env::var("SUITEPLAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The database the test databases are created from and dropped from.
fn pg_admin_url() -> String {
    format!("{}/test", pg_base_url())
}

/// A bind parameter of raw SQL, encoded the way each backend's driver encodes the Rust type.
#[derive(Clone, Debug)]
pub enum Param {
    Text(String),
    Int(i64),
    Uuid(Uuid),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.into())
    }
}
impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<Uuid> for Param {
    fn from(v: Uuid) -> Self {
        Param::Uuid(v)
    }
}
impl From<NaiveDate> for Param {
    fn from(v: NaiveDate) -> Self {
        Param::Date(v)
    }
}
impl From<DateTime<Utc>> for Param {
    fn from(v: DateTime<Utc>) -> Self {
        Param::Time(v)
    }
}

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

pub struct TestDb {
    backend: Backend,
    url: String,
    /// PostgreSQL: the database to drop.
    pg_name: Option<String>,
    /// SQLite: the directory holding the file (removed on drop).
    _dir: Option<tempfile::TempDir>,
    /// The test's own connections, for raw SQL (opened on first use: a SQLite file exists only
    /// once the store has migrated it).
    pool: OnceCell<Pool>,
}

impl TestDb {
    /// An empty database; the store migrates it when it connects.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                TestDb {
                    backend,
                    url: format!("sqlite://{}", dir.path().join("test.db").display()),
                    pg_name: None,
                    _dir: Some(dir),
                    pool: OnceCell::new(),
                }
            }
            Backend::Postgres => {
                let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.expect(
                    "PostgreSQL reachable at SUITEPLAN_TEST_PG_URL \
                     (default postgres://postgres@127.0.0.1:5432)",
                );
                let name = format!("sp_test_{}", Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                let _ = admin.close().await;
                TestDb {
                    backend,
                    url: format!("{}/{name}", pg_base_url()),
                    pg_name: Some(name),
                    _dir: None,
                    pool: OnceCell::new(),
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn pool(&self) -> &Pool {
        self.pool
            .get_or_init(|| async {
                match self.backend {
                    Backend::Sqlite => Pool::Sqlite(
                        sqlx::SqlitePool::connect(&self.url)
                            .await
                            .expect("test SQLite database (migrated by the store)"),
                    ),
                    Backend::Postgres => Pool::Postgres(
                        sqlx::PgPool::connect(&self.url)
                            .await
                            .expect("test PostgreSQL database"),
                    ),
                }
            })
            .await
    }

    /// Runs one statement; the database's refusal is returned, not a panic.
    #[allow(dead_code)] // not every test binary asks the database directly
    pub async fn try_execute(&self, sql: &str, params: &[Param]) -> Result<u64, String> {
        match self.pool().await {
            Pool::Sqlite(p) => sqlx::query_with(sql, arguments::<Sqlite>(params))
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Pool::Postgres(p) => sqlx::query_with(sql, arguments::<Postgres>(params))
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        }
        .map_err(|e| e.to_string())
    }

    /// Runs one statement; returns the number of rows it touched.
    pub async fn execute(&self, sql: &str, params: &[Param]) -> u64 {
        let done = match self.pool().await {
            Pool::Sqlite(p) => sqlx::query_with(sql, arguments::<Sqlite>(params))
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Pool::Postgres(p) => sqlx::query_with(sql, arguments::<Postgres>(params))
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs one query; each row decodes as `T` (a tuple, e.g. `(String,)`).
    pub async fn fetch_all<T>(&self, sql: &str, params: &[Param]) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let rows = match self.pool().await {
            Pool::Sqlite(p) => {
                sqlx::query_as_with::<Sqlite, T, _>(sql, arguments::<Sqlite>(params))
                    .fetch_all(p)
                    .await
            }
            Pool::Postgres(p) => {
                sqlx::query_as_with::<Postgres, T, _>(sql, arguments::<Postgres>(params))
                    .fetch_all(p)
                    .await
            }
        };
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

fn arguments<'q, DB: Database>(params: &'q [Param]) -> DB::Arguments<'q>
where
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    Uuid: Encode<'q, DB> + Type<DB>,
    NaiveDate: Encode<'q, DB> + Type<DB>,
    DateTime<Utc>: Encode<'q, DB> + Type<DB>,
{
    let mut args = DB::Arguments::default();
    for p in params {
        match p {
            Param::Text(v) => args.add(v.as_str()),
            Param::Int(v) => args.add(*v),
            Param::Uuid(v) => args.add(*v),
            Param::Date(v) => args.add(*v),
            Param::Time(v) => args.add(*v),
        }
        .expect("a bindable parameter");
    }
    args
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database. `Drop` cannot await, and the test's runtime may be a
    /// current-thread one that is busy running this very drop (or unwinding from a panic), so a
    /// thread of its own with a runtime of its own does it, and this waits for that thread.
    /// `WITH (FORCE)` ends the sessions an in-process app or a spawned binary still holds.
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let outcome = std::thread::spawn({
            let name = name.clone();
            move || drop_pg_database(&name)
        })
        .join()
        .unwrap_or_else(|_| Err("the dropping thread panicked".into()));
        if let Err(e) = outcome {
            // Never a second panic while unwinding (that aborts the whole test binary); a
            // database left behind is removed by `scripts/setup.sh --test`.
            if std::thread::panicking() {
                eprintln!("test database {name} was not dropped: {e}");
            } else {
                panic!("test database {name} was not dropped: {e}");
            }
        }
    }
}

fn drop_pg_database(name: &str) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut last = String::new();
        for attempt in 0..3u64 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            let dropped = tokio::time::timeout(Duration::from_secs(30), async {
                let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await
            })
            .await;
            match dropped {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = "timed out after 30 s".into(),
            }
        }
        Err(last)
    })
}
