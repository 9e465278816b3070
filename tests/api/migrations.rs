//! Every migration has a real `down`: the schema can be taken apart and rebuilt.
use migration::{Migrator, MigratorTrait};
use ocindex_tests::SERVER_URL;
use sea_orm::{ConnectionTrait, Database, Statement};

#[tokio::test]
async fn migrations_go_down_to_nothing_and_up_again() {
    let name = format!("ocindex_test_{}", uuid::Uuid::new_v4().simple());
    let server = Database::connect(format!("{SERVER_URL}/postgres")).await.unwrap();
    server.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let db = Database::connect(format!("{SERVER_URL}/{name}")).await.unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            let row = db
                .query_one(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    // tables and views (figure_changes is a view computed from the figures)
    let tables = "SELECT count(*) FROM information_schema.tables
                  WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'";
    Migrator::up(&db, None).await.unwrap();
    let built = count(tables).await;
    assert!(built >= 13, "tables after up: {built}");
    assert_eq!(count("SELECT count(*) FROM countries").await, 193);
    Migrator::reset(&db).await.unwrap();
    assert_eq!(count(tables).await, 0);
    assert_eq!(count("SELECT count(*) FROM pg_proc WHERE proname LIKE 'ocindex%'").await, 0);
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(count(tables).await, built);
    db.close().await.unwrap();
    server.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
}
