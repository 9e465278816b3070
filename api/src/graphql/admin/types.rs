//! Inputs and payloads of the admin mutations, converted to and from the workflow's own types.
use super::super::edition::Edition;
use super::super::ids::GlobalId;
use crate::auth::Role;
use crate::error::Result;
use crate::import;
use crate::input::{self, MAX_CODE_CHARS, MAX_LIST_ENTRIES, MAX_NAME_CHARS};
use crate::workflow;
use async_graphql::{Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::values::AuditOutcome;
use entity::{api_key, audit_entry};

// The inputs the workflow takes are the GraphQL inputs themselves (declared there once, with
// the descriptions the schema shows); here are their checks at the edge.
pub use workflow::countries::CountryChange as CountryInput;
pub use workflow::editions::{
    NewEdition as CreateEditionInput, NewIndicator as CreateIndicatorInput,
};
pub use workflow::narratives::NarrativeEntry as NarrativeInput;
pub use workflow::scores::ScoreEntry as ScoreInput;

impl CreateEditionInput {
    pub fn check(&self, field: &str) -> Result<()> {
        input::text(&format!("{field}.title"), &self.title, MAX_NAME_CHARS)?;
        let indicators = self.indicators.as_deref().unwrap_or_default();
        input::list(&format!("{field}.indicators"), indicators, MAX_LIST_ENTRIES, MAX_CODE_CHARS)
    }
}

impl CreateIndicatorInput {
    pub fn check(&self, field: &str) -> Result<()> {
        input::text(&format!("{field}.name"), &self.name, MAX_NAME_CHARS)?;
        input::text(&format!("{field}.parent"), &self.parent, MAX_CODE_CHARS)?;
        let description = self.description.as_deref();
        input::optional(&format!("{field}.description"), description, input::MAX_DESCRIPTION_CHARS)
    }
}

impl ScoreInput {
    pub fn check(&self, field: &str) -> Result<()> {
        input::text(&format!("{field}.country"), &self.country, MAX_CODE_CHARS)?;
        input::text(&format!("{field}.indicator"), &self.indicator, MAX_CODE_CHARS)
    }
}

impl NarrativeInput {
    pub fn check(&self, field: &str) -> Result<()> {
        input::text(&format!("{field}.country"), &self.country, MAX_CODE_CHARS)?;
        input::optional(&format!("{field}.heading"), self.heading.as_deref(), MAX_NAME_CHARS)?;
        input::text(&format!("{field}.body"), &self.body, input::MAX_BODY_CHARS)?;
        let indicators = &self.indicators;
        input::list(&format!("{field}.indicators"), indicators, MAX_LIST_ENTRIES, MAX_CODE_CHARS)
    }
}

impl CountryInput {
    pub fn check(&self, field: &str) -> Result<()> {
        input::text(&format!("{field}.iso3"), &self.iso3, MAX_CODE_CHARS)?;
        input::optional(&format!("{field}.name"), self.name.as_deref(), MAX_NAME_CHARS)?;
        let aliases = &self.aliases;
        input::list(&format!("{field}.aliases"), aliases, MAX_LIST_ENTRIES, MAX_NAME_CHARS)?;
        input::optional(&format!("{field}.region"), self.region.as_deref(), MAX_NAME_CHARS)
    }
}

pub struct UpsertScoresPayload(pub workflow::scores::ScoresWritten);

/// What a batch of scores did.
#[Object]
impl UpsertScoresPayload {
    /// The edition written to.
    async fn edition(&self) -> Edition {
        Edition(self.0.edition.clone())
    }

    /// Scores in the batch, all written.
    async fn written(&self) -> i32 {
        self.0.written as i32
    }

    /// Scores the edition did not have before.
    async fn created(&self) -> i32 {
        self.0.created as i32
    }

    /// Scores whose value changed.
    async fn updated(&self) -> i32 {
        self.0.updated as i32
    }

    /// Scores sent again with the value they had.
    async fn unchanged(&self) -> i32 {
        self.0.unchanged as i32
    }

    /// Scores the edition still lacks (member countries × raw indicators) before it can be
    /// published.
    async fn missing(&self) -> i32 {
        self.0.missing as i32
    }
}

pub struct UpsertNarrativesPayload(pub workflow::narratives::NarrativesWritten);

/// What a batch of narratives did.
#[Object]
impl UpsertNarrativesPayload {
    /// The edition written to.
    async fn edition(&self) -> Edition {
        Edition(self.0.edition.clone())
    }

    /// Countries whose narratives the batch replaced.
    async fn countries(&self) -> i32 {
        self.0.countries as i32
    }

    /// Narratives written.
    async fn narratives(&self) -> i32 {
        self.0.narratives as i32
    }
}

pub struct ApiKey(pub api_key::Model);

/// An API key. Its secret is shown once, when the key is created.
#[Object]
impl ApiKey {
    /// Global id (Relay).
    async fn id(&self) -> ID {
        GlobalId::ApiKey { name: self.0.name.clone() }.to_id()
    }

    /// The key's name: it identifies the key, and its holder in the audit log.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the key may do.
    async fn role(&self) -> Role {
        self.0.role
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.with_timezone(&Utc)
    }

    /// Who created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// When it was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at.map(|t| t.with_timezone(&Utc))
    }

    /// Its own quota in cost points per hour (0: unlimited); null: the server's default for
    /// keys.
    async fn rate_limit(&self) -> Option<i64> {
        self.0.rate_limit
    }
}

pub struct CreatedApiKey(pub workflow::keys::CreatedKey);

/// A new key with its secret.
#[Object]
impl CreatedApiKey {
    /// The key.
    async fn key(&self) -> ApiKey {
        ApiKey(self.0.key.clone())
    }

    /// The secret, for `Authorization: Bearer <secret>`. Shown this once: only its digest
    /// is stored, so a lost secret means a new key.
    async fn secret(&self) -> &str {
        &self.0.secret
    }
}

/// One count of an audited operation ("scores": 1600).
#[derive(SimpleObject, Clone, Debug)]
pub struct AuditCount {
    /// What was counted.
    pub name: String,
    /// How many.
    pub value: i64,
}

pub struct AuditEntry(pub audit_entry::Model);

/// One recorded mutation attempt.
#[Object]
impl AuditEntry {
    /// Global id (Relay).
    async fn id(&self) -> ID {
        GlobalId::AuditEntry { id: self.0.id }.to_id()
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at.with_timezone(&Utc)
    }

    /// Who: the key's name, or "bootstrap admin".
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// The caller's role at the time.
    async fn role(&self) -> Role {
        self.0.role
    }

    /// The mutation ("upsertScores", "publishEdition", …).
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// The edition it concerned, by year; null when none.
    async fn edition(&self) -> Option<i32> {
        self.0.edition
    }

    /// What it did or would have done ("scores", "created", "missing", "problems", …).
    async fn counts(&self) -> Vec<AuditCount> {
        let Some(counts) = self.0.counts.as_object() else { return Vec::new() };
        counts
            .iter()
            .filter_map(|(name, value)| {
                Some(AuditCount { name: name.clone(), value: value.as_i64()? })
            })
            .collect()
    }

    /// How it ended.
    async fn outcome(&self) -> AuditOutcome {
        self.0.outcome
    }

    /// The error code of a refusal or failure (`BAD_USER_INPUT`, `FORBIDDEN`, …).
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The error message of a refusal or failure.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
}

/// One problem found in an imported file, located as precisely as the file allows.
#[derive(SimpleObject, Clone, Debug)]
pub struct ImportProblem {
    /// The sheet, such as "2023_dataset".
    pub sheet: Option<String>,
    /// The row as a spreadsheet numbers it (from 1).
    pub row: Option<i32>,
    /// The column's header.
    pub column: Option<String>,
    /// The value found there.
    pub value: Option<String>,
    /// What is wrong.
    pub reason: String,
}

pub struct ImportReport(
    pub import::ImportReport,
    pub Option<crate::graphql::NarrativeImportDetails>,
);

/// What an import found and did. With any problem, nothing was written.
#[Object]
impl ImportReport {
    /// For `importNarratives`: each country found, its narratives with the indicators they
    /// are linked to, and the check of the printed figures. Null for the dataset import.
    async fn narratives(&self) -> Option<&crate::graphql::NarrativeImportDetails> {
        self.1.as_ref()
    }

    /// True when only checked: nothing was written, and the counts say what a real run would
    /// write.
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// True when the file had no problem (and, unless a dry run, was imported).
    async fn succeeded(&self) -> bool {
        self.0.succeeded()
    }

    /// Editions found in the file, by year.
    async fn editions(&self) -> &[i32] {
        &self.0.editions
    }

    /// Country rows read, over all editions.
    async fn countries(&self) -> i32 {
        self.0.countries as i32
    }

    /// Entered scores written because they are new or changed; in a dry run, those a real
    /// run would write. 0 when the database holds the file's scores already.
    async fn scores_written(&self) -> i32 {
        self.0.scores_written as i32
    }

    /// Composite figures the file publishes.
    async fn composites_checked(&self) -> i32 {
        self.0.composites_checked as i32
    }

    /// Of those, how many the Index's methodology reproduced exactly.
    async fn composites_reproduced(&self) -> i32 {
        self.0.composites_reproduced as i32
    }

    /// Derived figures stored after the import: 0 in a dry run, and when the import changed
    /// nothing (the figures are then as they were).
    async fn figures_stored(&self) -> i32 {
        self.0.figures_stored as i32
    }

    /// Every problem found; empty when the file is sound.
    async fn problems(&self) -> Vec<ImportProblem> {
        self.0
            .problems
            .iter()
            .map(|p| ImportProblem {
                sheet: p.sheet.clone(),
                row: p.row.map(|r| r as i32),
                column: p.column.clone(),
                value: p.value.clone(),
                reason: p.reason.clone(),
            })
            .collect()
    }
}
