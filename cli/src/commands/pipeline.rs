//! The part `generate` and `diff` share: entities → desired schema, database → current
//! schema, and the plan between them. The pipeline itself is the library's
//! (`strata_core::pipeline`); this adds what is the command line's: scanning the sources
//! with file:line diagnostics, the background catalog read, SQL-declared objects (read
//! back on a scratch database) and `--from migrations` replays.
use super::current_schema::{Connections, CurrentSchemaRead};
use super::run::plural;
use super::Ctx;
use crate::output::Diagnostics;
use crate::timing;
use strata_core::plan::{Plan, Step};
use strata_core::schema::Schema;
use strata_core::{diff, lower, scan};

pub struct Planned {
    pub plan: Plan,
    pub desired: Schema,
    pub current: Schema,
    /// The Rust names behind the desired tables and columns, for hints.
    pub rust_names: RustNames,
    /// Whether the plan is the online one.
    pub online: bool,
    /// The connections the plan was read with, open for as long as this is: closing
    /// one makes its backend exit, and on a machine that also runs the server, two
    /// backends exiting while the plan is printed took the CPU from it (a few ms of
    /// stalls at the end of every `generate`). `generate` and `diff` keep this until
    /// the process ends, when the connections close with it.
    connections: Connections,
    /// With `--from migrations`: the scratch database the folder was replayed into,
    /// cleaned up when this is dropped (a kept replay is left as it is).
    replay: Option<super::replay::Replay>,
    /// The desired schema as lowered, before canonicalization against the database,
    /// when asked for (`generate` proves its plan with it: see `prove`).
    pub lowered: Option<Schema>,
}

impl Planned {
    /// The connection the plan was read with, to the target database.
    pub fn connection(&mut self) -> &mut sqlx::PgConnection {
        &mut self.connections.first
    }
}

pub use strata_core::pipeline::RustNames;

/// Scans the entity sources and builds the desired schema; every problem at once, each
/// with the file:line of the entity it is about. `before_lower` runs between the two:
/// lowering spells names, so it waits there for the server's keywords.
pub fn desired_schema(
    ctx: &Ctx<'_>,
    before_lower: impl FnOnce(),
) -> anyhow::Result<(Schema, RustNames)> {
    let s = &ctx.settings;
    timing::mark("setup");
    let scanned = scan::scan(&s.entities_root, &s.entities).map_err(|e| Diagnostics {
        summary: format!(
            "the entity sources have {}; nothing was done",
            plural(e.count, "problem")
        ),
        rendered: e.rendered,
    })?;
    ctx.out.verbose(&format!(
        "scanned {} entities and {} enums from {}",
        scanned.entities.len(),
        scanned.enums.len(),
        s.entities.join(", ")
    ));
    // The entities are borrowed, not copied: a copy of every one cost about as much as
    // lowering them. (Enums are a handful.)
    let entities: Vec<_> = scanned.entities.iter().map(|l| &l.item).collect();
    let enums: Vec<_> = scanned.enums.iter().map(|l| l.item.clone()).collect();
    timing::mark("scan");
    let rust_names = RustNames::of(&entities);
    before_lower();
    let desired = lower::lower(&entities, &enums).map_err(|problems| Diagnostics {
        summary: format!(
            "the entities declare {}; nothing was done",
            plural(problems.len(), "problem")
        ),
        rendered: scanned.render_problems(&problems),
    })?;
    timing::mark("lower");
    Ok((desired, rust_names))
}

/// The schemas `inspect` and `baseline` read: the configured ones, else `public` and
/// every schema the entities name when they can be read, else `public`. (Entities with
/// problems are `generate`'s business: reading the database does not need them.)
pub fn schemas_to_read(ctx: &Ctx<'_>) -> Vec<String> {
    if let Some(configured) = &ctx.settings.schemas {
        return configured.clone();
    }
    // Only the schemas' names are wanted: no need to wait for any keywords.
    match desired_schema(ctx, || {}) {
        Ok((desired, _)) => managed_schemas(None, &desired),
        Err(e) => {
            ctx.out.verbose(&format!(
                "reading only public: the entities could not be read ({e})"
            ));
            vec![lower::DEFAULT_SCHEMA.to_string()]
        }
    }
}

pub use strata_core::pipeline::managed_schemas;

/// The plan; `online` (the flag) or strata.toml's `online` asks for online-safe DDL.
/// Against the database, or (`--from migrations`, strata.toml `from`) against the
/// schema the migrations folder builds on a scratch database.
pub async fn plan(ctx: &Ctx<'_>, online: bool, keep_lowered: bool) -> anyhow::Result<Planned> {
    if !ctx.settings.from_migrations {
        return plan_on(ctx, online, keep_lowered).await;
    }
    let files = super::load_migrations(ctx)?;
    let replay = super::replay::Replay::folder(ctx, &files).await?;
    let mut planned = plan_on(&replay.context(ctx), online, keep_lowered).await?;
    planned.replay = Some(replay);
    Ok(planned)
}

async fn plan_on(ctx: &Ctx<'_>, online: bool, keep_lowered: bool) -> anyhow::Result<Planned> {
    let s = &ctx.settings;
    // The catalog is read while the entities are parsed (see `current_schema`); an
    // entity problem still comes first, and stops the read.
    let mut reading = CurrentSchemaRead::start(ctx);
    let (mut desired, rust_names) =
        tokio::task::block_in_place(|| desired_schema(ctx, || reading.wait_for_keywords()))?;
    desired.extensions = s.extensions.clone();
    // strata.toml was checked when read: a bad entry cannot get here.
    let exclude = strata_core::exclude::Exclude::new(&s.exclude)?;
    for what in exclude.leave_out_of(&mut desired) {
        ctx.out.warn(&format!(
            "an entity declares {what}, which strata.toml's `exclude` names: strata leaves it alone"
        ));
    }
    let managed = managed_schemas(s.schemas.as_deref(), &desired);
    ctx.out
        .verbose(&format!("managed schemas: {}", managed.join(", ")));
    let (mut conns, mut current) = reading.finish(&managed).await?;
    // What is left of the catalog read once the entities are in.
    timing::mark("introspect");
    if !s.objects.is_empty() || !desired.bound_views.is_empty() {
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conns.first)
            .await?;
        super::declared::declare(ctx, &mut desired, &version).await?;
    }
    let lowered = keep_lowered.then(|| desired.clone());
    strata_core::pipeline::spell(
        &mut conns.first,
        conns.second.as_mut(),
        &mut desired,
        &mut current,
    )
    .await?;
    timing::mark("canonicalize");
    let online = online || s.online;
    let plan = strata_core::pipeline::plan(
        &desired,
        &current,
        &diff::DiffOptions {
            online,
            prune: s.prune,
        },
    );
    timing::mark("diff");
    Ok(Planned {
        plan,
        desired,
        current,
        rust_names,
        online,
        connections: conns,
        replay: None,
        lowered,
    })
}

/// `description [hazard, hazard]`.
pub fn describe(step: &Step) -> String {
    if step.hazards.is_empty() {
        step.description.clone()
    } else {
        let hazards: Vec<&str> = step.hazards.iter().map(|h| h.as_str()).collect();
        format!("{} [{}]", step.description, hazards.join(", "))
    }
}
