use strata_tests::TestDb;

#[tokio::test]
async fn each_test_gets_a_database_of_its_own_and_drops_it() {
    let name;
    {
        let db = TestDb::new().await;
        name = db.name.clone();
        db.execute("CREATE TABLE t (id int)").await;
    }
    let other = TestDb::new().await;
    let mut c = other.connect().await;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert!(!exists, "{name} should have been dropped");
}
