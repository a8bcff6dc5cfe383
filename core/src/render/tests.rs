//! Splitting a plan into migrations: which steps share a file, what each file starts
//! with, and that every down file undoes exactly its up file.
use super::*;
use crate::plan::Step;

fn s(description: &str, up: &[&str], down: &[&str]) -> Step {
    Step::new(
        description,
        up.iter().map(|x| x.to_string()).collect(),
        down.iter().map(|x| x.to_string()).collect(),
    )
}

fn plan() -> Plan {
    let mut concurrent = s(
        "create index users_email_idx on users (concurrently)",
        &["CREATE INDEX CONCURRENTLY users_email_idx ON users (email)"],
        &["DROP INDEX CONCURRENTLY users_email_idx"],
    );
    concurrent.transactional = false;
    concurrent.lock = Lock::ShareUpdateExclusive;
    concurrent.hazards = vec![Hazard::BuildsIndex];
    let mut validate = s(
        "add check c, part 2: validate",
        &["ALTER TABLE users VALIDATE CONSTRAINT c"],
        &[],
    );
    validate.own_transaction = true;
    let mut add = s(
        "add column users.bio (text)",
        &["ALTER TABLE users ADD COLUMN bio text"],
        &["ALTER TABLE users DROP COLUMN bio"],
    );
    add.lock = Lock::AccessExclusive;
    add.hazards = vec![Hazard::AccessExclusiveLock];
    Plan {
        steps: vec![
            add,
            s(
                "add check c, part 1: NOT VALID",
                &["ALTER TABLE users ADD CONSTRAINT c CHECK (bio <> '') NOT VALID"],
                &["ALTER TABLE users DROP CONSTRAINT c"],
            ),
            validate,
            concurrent,
            s(
                "set comment on table users",
                &["COMMENT ON TABLE users IS 'people'"],
                &["COMMENT ON TABLE users IS NULL"],
            ),
        ],
        rename_suggestions: vec![],
        hints: Vec::new(),
        blockers: vec![],
    }
}

fn all(migrations: &[RenderedMigration]) -> String {
    migrations
        .iter()
        .map(|m| {
            format!(
                "==================== {} (no_transaction: {}) up\n{}\n==================== {} down\n{}",
                m.name, m.no_transaction, m.up, m.name, m.down
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_split_plan_gives_each_non_transactional_step_and_each_validation_a_file() {
    let options = RenderOptions {
        lock_timeout: Some(Duration::from_secs(5)),
    };
    let migrations = render_migrations(&plan(), "add_bio", &options);
    let names: Vec<&str> = migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["add_bio", "add_bio_2", "add_bio_3", "add_bio_4"]);
    for m in &migrations {
        let marked = m.up.starts_with("-- no-transaction\n");
        assert_eq!(marked, m.no_transaction, "{}", m.name);
        assert_eq!(m.down.starts_with("-- no-transaction\n"), m.no_transaction);
        assert_eq!(m.up.contains("SET LOCAL lock_timeout"), !m.no_transaction);
        if m.no_transaction {
            // One statement each way: the only lines ending a statement.
            assert_eq!(m.up.matches(";\n").count(), 1, "{}", m.up);
            assert_eq!(m.down.matches(";\n").count(), 1, "{}", m.down);
        }
    }
    insta::assert_snapshot!(all(&migrations));
}

#[test]
fn a_transactional_plan_is_one_migration_equal_to_render_up_and_down() {
    let mut p = plan();
    p.steps.retain(|s| s.transactional && !s.own_transaction);
    let migrations = render_migrations(&p, "m", &RenderOptions::default());
    assert_eq!(migrations.len(), 1);
    assert_eq!(migrations[0].up, render_up(&p, "m"));
    assert_eq!(migrations[0].down, render_down(&p, "m"));
    assert!(!migrations[0].no_transaction);
}

#[test]
fn an_empty_plan_is_one_comment_only_migration() {
    let migrations = render_migrations(&Plan::default(), "m", &RenderOptions::default());
    assert_eq!(migrations.len(), 1);
    assert!(migrations[0].up.contains("Changes: none."));
}
