//! Countries, identified by ISO 3166-1 alpha-3, with every spelling of their name as an alias.
crate::sql_migration!(
    up: r#"
            CREATE TABLE countries (
                id    serial PRIMARY KEY,
                iso3  char(3) NOT NULL UNIQUE CHECK (iso3 ~ '^[A-Z]{3}$'),
                name  text NOT NULL CHECK (name <> '' AND name = btrim(name)),
                slug  text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
            );
            -- alias_key is the name folded to lower-case letters and digits, so that
            -- "Korea, Rep," and "Korea, Rep." are one key.
            CREATE TABLE country_aliases (
                alias_key  text PRIMARY KEY CHECK (alias_key ~ '^[a-z0-9]+$'),
                alias      text NOT NULL CHECK (alias <> ''),
                country_id integer NOT NULL REFERENCES countries(id) ON DELETE CASCADE
            );
            CREATE INDEX country_aliases_country ON country_aliases (country_id);
            "#,
    down: "DROP TABLE country_aliases; DROP TABLE countries;",
);
