//! Countries: a new member state, a rename that keeps the old name as a spelling the importers
//! still recognise, and a country's continent and region in a draft edition.
use super::{find_edition, locked, run, Actor, Done};
use crate::auth::Role;
use crate::domain::{Continent, CountryCode};
use crate::error::{ApiError, Result};
use crate::repo;
use entity::country;
use reference::{alias_key, slugify};
use sea_orm::{DatabaseConnection, DatabaseTransaction};

/// A country to create or change; absent fields stay as they are. A new country needs its
/// name and the draft edition, continent and region where it joins.
// also the GraphQL input: the mutation takes this type, so that its fields are declared once
// (the doc comments are the schema's descriptions)
#[derive(async_graphql::InputObject, Debug, Clone, Default)]
#[graphql(name = "CountryInput")]
pub struct CountryChange {
    /// ISO 3166-1 alpha-3 code: identifies the country.
    pub iso3: String,
    /// The name; a different name renames the country (ADMIN only), and the old name stays
    /// a spelling that imports recognise. The slug never changes.
    pub name: Option<String>,
    /// More spellings of the name that imports should recognise.
    #[graphql(default)]
    pub aliases: Vec<String>,
    /// A draft edition in which to place the country (with `continent` and `region`).
    pub edition: Option<i32>,
    /// The country's continent in `edition`.
    pub continent: Option<Continent>,
    /// The country's region in `edition` (regions change between editions).
    pub region: Option<String>,
}

pub async fn upsert(
    db: &DatabaseConnection,
    actor: &Actor,
    change: &CountryChange,
) -> Result<country::Model> {
    run(db, actor, "upsertCountry", change.edition, async |txn| apply(txn, actor, change).await)
        .await
}

async fn apply(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: &CountryChange,
) -> Result<Done<country::Model>> {
    let code = CountryCode::parse("input.iso3", &change.iso3)?;
    let name = change.name.as_deref().map(str::trim);
    if name.is_some_and(|n| alias_key(n).is_empty()) {
        return Err(ApiError::bad_input(
            "input.name",
            change.name.as_deref().unwrap_or_default(),
            "the name is empty",
        ));
    }
    let region = change.region.as_deref().map(str::trim);
    if region.is_some_and(str::is_empty) {
        return Err(ApiError::bad_input(
            "input.region",
            change.region.as_deref().unwrap_or_default(),
            "the region is empty",
        ));
    }
    if change.edition.is_none() && (change.continent.is_some() || region.is_some()) {
        return Err(ApiError::bad_input(
            "input.edition",
            "null",
            "continent and region belong to an edition: name the edition they apply to",
        ));
    }
    let mut counts = Vec::new();
    let existing = repo::catalog::country_by_iso3(txn, code.as_str()).await?;
    let country = match existing {
        Some(country) => {
            if let Some(name) = name.filter(|n| *n != country.name) {
                if actor.role != Role::Admin {
                    return Err(ApiError::Forbidden(
                        "renaming a country changes every published page that names it: ADMIN only"
                            .into(),
                    ));
                }
                claim_spelling(txn, country.id, name, "input.name").await?;
                repo::countries::rename(txn, country.id, name).await?;
                // the old name stays a spelling the importers recognise
                repo::countries::add_alias(txn, country.id, &country.name).await?;
                repo::countries::add_alias(txn, country.id, name).await?;
                counts.push(("renamed", 1));
            }
            country
        }
        None => {
            let (Some(name), Some(_), Some(_), Some(_)) =
                (name, change.edition, change.continent, region)
            else {
                return Err(ApiError::bad_input(
                    "input",
                    code.as_str(),
                    format!(
                        "{} is a new country: give its name, and the edition, continent and region where it joins",
                        code.as_str()
                    ),
                ));
            };
            let slug = slugify(name);
            if let Some(other) = repo::countries::by_slug(txn, &slug).await? {
                return Err(ApiError::Conflict(format!(
                    "{} already has the slug {slug:?}",
                    other.iso3
                )));
            }
            claim_spelling(txn, -1, name, "input.name").await?;
            let created = repo::countries::insert(txn, code.as_str(), name, &slug).await?;
            repo::countries::add_alias(txn, created.id, name).await?;
            counts.push(("created", 1));
            created
        }
    };
    for (index, alias) in change.aliases.iter().enumerate() {
        let alias = alias.trim();
        if alias_key(alias).is_empty() {
            return Err(ApiError::bad_input(
                &format!("input.aliases.{index}"),
                alias,
                "the spelling is empty",
            ));
        }
        claim_spelling(txn, country.id, alias, &format!("input.aliases.{index}")).await?;
        repo::countries::add_alias(txn, country.id, alias).await?;
    }
    if !change.aliases.is_empty() {
        counts.push(("aliases", change.aliases.len() as i64));
    }

    if let Some(year) = change.edition {
        let edition = find_edition(txn, year).await?;
        if edition.is_published() {
            return Err(ApiError::bad_input("input.edition", year, locked(&edition)));
        }
        let current =
            repo::catalog::memberships(txn, &[(country.id, edition.id)]).await?.into_iter().next();
        let continent = change.continent.or(current.as_ref().map(|m| m.continent));
        let region = region.or(current.as_ref().map(|m| m.region.as_str()));
        let (Some(continent), Some(region)) = (continent, region) else {
            return Err(ApiError::bad_input(
                "input",
                code.as_str(),
                format!(
                    "{} joins the {year} edition: give both its continent and its region",
                    code.as_str()
                ),
            ));
        };
        let region = region.to_owned();
        repo::editions::upsert_member(txn, edition.id, country.id, continent, &region).await?;
        // continents and regions are the groups of the ranks
        let figures = repo::figures::recompute_edition(txn, edition.id).await?.figures;
        counts.push(("members", 1));
        counts.push(("figures", figures as i64));
    }
    let country = repo::catalog::country_by_iso3(txn, code.as_str()).await?.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("{} vanished while being written", code.as_str()))
    })?;
    Ok(Done::new(country, counts))
}

/// Refuses a spelling that already names another country: the importers could no longer
/// tell the two apart.
async fn claim_spelling(
    txn: &DatabaseTransaction,
    country_id: i32,
    spelling: &str,
    field: &str,
) -> Result<()> {
    match repo::countries::alias_owner(txn, spelling).await? {
        Some(owner) if owner != country_id => {
            let other = repo::catalog::countries_by_ids(txn, &[owner]).await?;
            let other = other.first().map_or("another country", |c| c.iso3.as_str());
            Err(ApiError::bad_input(
                field,
                spelling,
                format!("{spelling:?} is already a spelling of {other}"),
            ))
        }
        _ => Ok(()),
    }
}
