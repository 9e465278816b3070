//! The enumerated columns, typed. Each is stored as the text of its variant (the same spelling
//! as the GraphQL enum value), and the database constrains the column to those spellings: a
//! stored value outside them cannot be read back, and becomes an `INTERNAL` error (with an
//! error id in the log) wherever it is read, never a guess.
use sea_orm::entity::prelude::*;

/// Whether an edition is visible to the public.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EditionStatus {
    /// Being prepared by editors; only admins see it.
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    /// Published: visible to everyone.
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
}

/// What a key may do. Each role includes the ones below it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Role {
    /// Everything: publishing, reopening and deleting editions, importing the dataset, keys.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// Draft content: creating editions and indicators, entering scores, narratives and
    /// countries of drafts. Sees drafts. Cannot publish, reopen, delete or manage keys.
    #[sea_orm(string_value = "EDITOR")]
    Editor,
    /// A partner organisation's read key: published editions only, no changes.
    #[sea_orm(string_value = "PARTNER")]
    Partner,
}

impl Role {
    fn level(self) -> u8 {
        match self {
            Self::Admin => 3,
            Self::Editor => 2,
            Self::Partner => 1,
        }
    }

    /// Whether this role may do what `required` may.
    pub fn includes(self, required: Role) -> bool {
        self.level() >= required.level()
    }

    pub fn sees_drafts(self) -> bool {
        self.includes(Self::Editor)
    }
}

/// The Index's five continents.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Continent {
    /// Africa; reports print "Africa".
    #[sea_orm(string_value = "AFRICA")]
    Africa,
    /// North, Central and South America and the Caribbean; reports print "Americas".
    #[sea_orm(string_value = "AMERICAS")]
    Americas,
    /// Asia; reports print "Asia".
    #[sea_orm(string_value = "ASIA")]
    Asia,
    /// Europe; reports print "Europe".
    #[sea_orm(string_value = "EUROPE")]
    Europe,
    /// Australia, New Zealand and the Pacific islands; reports print "Oceania".
    #[sea_orm(string_value = "OCEANIA")]
    Oceania,
}

impl Continent {
    /// The name as the Index prints it ("Asia", "Americas").
    pub fn name(self) -> &'static str {
        match self {
            Self::Africa => "Africa",
            Self::Americas => "Americas",
            Self::Asia => "Asia",
            Self::Europe => "Europe",
            Self::Oceania => "Oceania",
        }
    }

    /// Reads a continent as the dataset spells it ("Asia", "Americas").
    pub fn from_name(name: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|c| c.to_value().eq_ignore_ascii_case(name.trim()))
    }
}

/// The pillars of the Index; criminality is the composite of markets and actors.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Pillar {
    /// The composite `criminality` alone: the mean of criminal markets and criminal actors.
    /// Higher is worse.
    #[sea_orm(string_value = "CRIMINALITY")]
    Criminality,
    /// The composite `criminal-markets` and the illicit markets it averages (10 in 2021, 15
    /// in 2023), such as `synthetic-drug-trade`. Higher is worse.
    #[sea_orm(string_value = "CRIMINAL_MARKETS")]
    CriminalMarkets,
    /// The composite `criminal-actors` and the kinds of actor it averages (4 in 2021, 5 in
    /// 2023), such as `mafia-style-groups`. Higher is worse.
    #[sea_orm(string_value = "CRIMINAL_ACTORS")]
    CriminalActors,
    /// The composite `resilience` and the 12 indicators it averages, such as
    /// `anti-money-laundering`. Higher is better.
    #[sea_orm(string_value = "RESILIENCE")]
    Resilience,
}

/// How an audited operation ended.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AuditOutcome {
    /// Done and committed.
    #[sea_orm(string_value = "OK")]
    Ok,
    /// Refused (bad input, missing rights, conflict): nothing was written.
    #[sea_orm(string_value = "REFUSED")]
    Refused,
    /// Failed inside the server: nothing was written.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Where a delivery stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DeliveryStatus {
    /// Not yet taken by the endpoint: being tried, or waiting for its next attempt.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The endpoint answered 2xx.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Every attempt failed; no more are made.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_spellings_are_the_graphql_values() {
        // the migrations' CHECK constraints and the public enum values use these spellings
        assert_eq!(Continent::Americas.to_value(), "AMERICAS");
        assert_eq!(Pillar::CriminalMarkets.to_value(), "CRIMINAL_MARKETS");
        assert_eq!(EditionStatus::Published.to_value(), "PUBLISHED");
        assert_eq!(Role::Editor.to_value(), "EDITOR");
        assert_eq!(AuditOutcome::Refused.to_value(), "REFUSED");
        assert_eq!(DeliveryStatus::Delivered.to_value(), "DELIVERED");
        assert!(Pillar::try_from_value(&"pillar".to_owned()).is_err());
    }

    #[test]
    fn continents_read_the_dataset_spelling() {
        assert_eq!(Continent::from_name("Americas"), Some(Continent::Americas));
        assert_eq!(Continent::from_name("Antarctica"), None);
    }

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.includes(Role::Editor) && Role::Editor.includes(Role::Partner));
        assert!(!Role::Partner.includes(Role::Editor) && !Role::Partner.sees_drafts());
    }
}
