//! The admin surface: mutations that take an edition from nothing to published, API keys, and
//! the audit log. Every field is guarded by role; the work happens in `crate::workflow`.
mod guard;
mod types;

use super::connection::{cursor_arg, keyset_size, Connection, Edge};
use super::country::Country;
use super::edition::Edition;
use super::indicator::Indicator;
use super::{request, RequestContext};
use crate::auth::{Actor, Role};
use crate::error::{ApiError, Result};
use crate::{input, repo, workflow};
use async_graphql::connection::OpaqueCursor;
use async_graphql::{Context, Object, Upload};
pub(super) use guard::RoleGuard;
use serde::{Deserialize, Serialize};
use std::io::Read;
pub use types::*;

/// The caller of a guarded field, as the audit log names it.
fn caller<'a>(ctx: &Context<'a>) -> Result<(&'a RequestContext, Actor)> {
    let rc = request(ctx)?;
    let actor = rc.principal.actor().ok_or(ApiError::Unauthenticated)?;
    // every caller of this is a mutation: its answer must show what it wrote
    rc.writing();
    Ok((rc, actor))
}

/// Refuses an input whose text cannot be stored or is too long (`crate::input`) before any
/// work starts; the refusal is audited like every other.
pub(super) async fn checked(
    ctx: &Context<'_>,
    rc: &RequestContext,
    actor: &Actor,
    edition: Option<i32>,
    check: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let Err(err) = check() else { return Ok(()) };
    workflow::record_refusal(&rc.db, actor, ctx.field().name(), edition, &err).await;
    Err(err)
}

/// Narratives in one `upsertNarratives` batch: an edition has about 25 per country.
pub const MAX_NARRATIVE_BATCH: usize = 10_000;

/// The bytes of an uploaded file.
fn read_upload(ctx: &Context<'_>, file: &Upload) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.value(ctx).and_then(|upload| upload.into_read().read_to_end(&mut bytes)).map_err(|e| {
        ApiError::bad_input("file", "upload", format!("the upload cannot be read: {e}"))
    })?;
    Ok(bytes)
}

/// An uploaded narrative text the reader can take: within its size, without NUL.
fn narrative_text(text: &str) -> Result<()> {
    let max = crate::import::narratives::MAX_TEXT_BYTES;
    if text.len() > max {
        let message =
            format!("the file is {} bytes long; an import reads at most {max}", text.len());
        return Err(ApiError::bad_input("file", text.len(), message));
    }
    input::text("file", text, max)
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Creates a DRAFT edition, visible to editors and admins only, with its indicator set
    /// and its member countries copied from earlier editions. EDITOR or ADMIN.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn create_edition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the year, title, and where the indicator set and members come from")]
        input: CreateEditionInput,
    ) -> Result<Edition> {
        let (rc, actor) = caller(ctx)?;
        checked(ctx, rc, &actor, Some(input.year), || input.check("input")).await?;
        Ok(Edition(workflow::editions::create(&rc.db, &actor, &input).await?))
    }

    /// Adds a raw indicator to the tree, optionally to a draft edition's set. EDITOR or ADMIN.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn create_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the indicator's name, parent composite and optional draft edition")]
        input: CreateIndicatorInput,
    ) -> Result<Indicator> {
        let (rc, actor) = caller(ctx)?;
        checked(ctx, rc, &actor, input.edition, || input.check("input")).await?;
        Ok(Indicator(workflow::editions::create_indicator(&rc.db, &actor, &input).await?))
    }

    /// Writes a batch of entered scores into a draft edition, all or nothing: any bad entry
    /// refuses the batch with `BAD_USER_INPUT` listing every bad entry in
    /// `extensions.problems` (index, country, indicator, value, reason). The draft's figures
    /// follow each batch. EDITOR or ADMIN.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn upsert_scores(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the draft edition's year")] edition: i32,
        #[graphql(desc = "up to 10,000 scores of raw indicators; each (country, indicator) once")]
        scores: Vec<ScoreInput>,
    ) -> Result<UpsertScoresPayload> {
        let (rc, actor) = caller(ctx)?;
        checked(ctx, rc, &actor, Some(edition), || {
            // the workflow refuses a batch too large; only its text is checked here
            let mut each = scores.iter().take(workflow::scores::MAX_BATCH + 1).enumerate();
            each.try_for_each(|(i, score)| score.check(&format!("scores[{i}]")))
        })
        .await?;
        Ok(UpsertScoresPayload(workflow::scores::upsert(&rc.db, &actor, edition, &scores).await?))
    }

    /// Replaces the narratives of each country named in the batch by the batch's narratives
    /// for it, in order; all or nothing, every bad entry listed. EDITOR or ADMIN.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn upsert_narratives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the draft edition's year")] edition: i32,
        #[graphql(desc = "the narratives, grouped by country in the order given")] narratives: Vec<
            NarrativeInput,
        >,
    ) -> Result<UpsertNarrativesPayload> {
        let (rc, actor) = caller(ctx)?;
        checked(ctx, rc, &actor, Some(edition), || {
            if narratives.len() > MAX_NARRATIVE_BATCH {
                let message = format!(
                    "narratives holds {} entries; a batch holds at most {MAX_NARRATIVE_BATCH}",
                    narratives.len()
                );
                return Err(ApiError::bad_input("narratives", narratives.len(), message));
            }
            let mut each = narratives.iter().enumerate();
            each.try_for_each(|(i, narrative)| narrative.check(&format!("narratives[{i}]")))
        })
        .await?;
        Ok(UpsertNarrativesPayload(
            workflow::narratives::upsert(&rc.db, &actor, edition, &narratives).await?,
        ))
    }

    /// Creates a member state, renames a country (ADMIN only; the old name stays a known
    /// spelling), adds spellings, or sets its continent and region in a draft edition.
    /// EDITOR or ADMIN.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn upsert_country(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the country by ISO3 code, and what to set")] input: CountryInput,
    ) -> Result<Country> {
        let (rc, actor) = caller(ctx)?;
        checked(ctx, rc, &actor, input.edition, || input.check("input")).await?;
        Ok(Country::from(workflow::countries::upsert(&rc.db, &actor, &input).await?))
    }

    /// Publishes a complete draft: every member country needs a score for every raw
    /// indicator, or `BAD_USER_INPUT` lists what is missing, by country. Recomputes every
    /// figure and makes the edition public (and the default of every query when it is the
    /// latest), in one step. ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn publish_edition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the draft's year")] year: i32,
    ) -> Result<Edition> {
        let (rc, actor) = caller(ctx)?;
        Ok(Edition(workflow::editions::publish(&rc.db, &actor, year).await?))
    }

    /// Takes a published edition back to a draft so that it can be corrected; the public
    /// stops seeing it until it is published again. ADMIN; audited.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn reopen_edition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the edition's year")] year: i32,
    ) -> Result<Edition> {
        let (rc, actor) = caller(ctx)?;
        Ok(Edition(workflow::editions::reopen(&rc.db, &actor, year).await?))
    }

    /// Deletes a draft edition with everything entered into it; published editions cannot
    /// be deleted (`CONFLICT`). ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn delete_edition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the draft's year")] year: i32,
    ) -> Result<bool> {
        let (rc, actor) = caller(ctx)?;
        workflow::editions::delete(&rc.db, &actor, year).await
    }

    /// Imports the official dataset workbook (`global_oc_index.xlsx`) sent as a GraphQL
    /// multipart upload, with the same engine as `ocindex import`: all or nothing, every
    /// problem reported. It writes published editions. ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn import_dataset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the workbook, as a multipart upload")] file: Upload,
        #[graphql(desc = "check and report only, writing nothing")] dry_run: Option<bool>,
    ) -> Result<ImportReport> {
        let (rc, actor) = caller(ctx)?;
        let bytes = read_upload(ctx, &file)?;
        let report =
            workflow::import::dataset(&rc.db, &actor, &bytes, dry_run.unwrap_or(false)).await?;
        Ok(ImportReport(report, None))
    }

    /// Imports narrative texts sent as a multipart upload, in the formats `ocindex
    /// import-narratives` reads (country page text, PDF summary text): detects the format and
    /// the countries (unless `country` is given), links each paragraph to its indicators, and
    /// checks the figures the pages print against the edition's. Replaces those countries'
    /// narratives; with any problem, or in a dry run, nothing is written. EDITOR or ADMIN.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn import_narratives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the text file, as a multipart upload (UTF-8)")] file: Upload,
        #[graphql(desc = "the edition the texts belong to")] edition: i32,
        #[graphql(desc = "ISO3 of the country of a single-country text; default: detected")]
        country: Option<String>,
        #[graphql(desc = "check and report only, writing nothing")] dry_run: Option<bool>,
    ) -> Result<ImportReport> {
        let (rc, actor) = caller(ctx)?;
        let bytes = read_upload(ctx, &file)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ApiError::bad_input("file", "upload", "the upload is not UTF-8 text"))?;
        checked(ctx, rc, &actor, Some(edition), || {
            input::optional("country", country.as_deref(), input::MAX_CODE_CHARS)?;
            narrative_text(&text)
        })
        .await?;
        let dry_run = dry_run.unwrap_or(false);
        let report = workflow::import::narratives(
            &rc.db,
            &actor,
            &text,
            edition,
            country.as_deref(),
            dry_run,
        )
        .await?;
        Ok(ImportReport((&report).into(), Some((&report).into())))
    }

    /// Creates an API key; the answer holds its secret, shown this once. ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "a unique name, which the audit log shows")] name: String,
        #[graphql(desc = "what the key may do")] role: Role,
        #[graphql(desc = "the key's quota in cost points per hour (0: unlimited); without \
                          it, the server's default for keys (OCINDEX_RATE_LIMIT_KEY)")]
        rate_limit: Option<i32>,
    ) -> Result<CreatedApiKey> {
        let (rc, actor) = caller(ctx)?;
        checked(ctx, rc, &actor, None, || input::text("name", &name, input::MAX_NAME_CHARS))
            .await?;
        let key = workflow::keys::create(&rc.db, &actor, &name, role, rate_limit).await?;
        Ok(CreatedApiKey(key))
    }

    /// Revokes an API key by name: its secret stops working at once. ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "the key's name")] name: String,
    ) -> Result<ApiKey> {
        let (rc, actor) = caller(ctx)?;
        checked(ctx, rc, &actor, None, || input::text("name", &name, input::MAX_NAME_CHARS))
            .await?;
        Ok(ApiKey(workflow::keys::revoke(&rc.db, &actor, &name).await?))
    }
}

/// A position in the audit log, newest first: the id of the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditPosition {
    audit: i64,
}

pub type AuditCursor = OpaqueCursor<AuditPosition>;

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Every mutation attempt, newest first: who, when, what, on which edition, and how it
    /// ended (refusals included). ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "page size, at most 500")] first: Option<i32>,
        #[graphql(desc = "the endCursor of the previous page")] after: Option<String>,
    ) -> Result<Connection<AuditCursor, AuditEntry>> {
        let rc = request(ctx)?;
        let size = keyset_size(first)?;
        let before = cursor_arg::<AuditPosition>("after", after.as_deref())?;
        let mut entries =
            repo::audit::page(&rc.db, before.map(|c| c.audit), size as u64 + 1).await?;
        let total = repo::audit::count(&rc.db).await?;
        let has_next = entries.len() > size;
        entries.truncate(size);
        let mut connection = Connection::new(before.is_some(), has_next, total as i64);
        connection.edges.extend(
            entries
                .into_iter()
                .map(|e| Edge::new(OpaqueCursor(AuditPosition { audit: e.id }), AuditEntry(e))),
        );
        Ok(connection)
    }

    /// Every API key, revoked ones included, oldest first (never their secrets). ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        Ok(repo::keys::all(&request(ctx)?.db).await?.into_iter().map(ApiKey).collect())
    }
}
