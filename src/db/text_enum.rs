//! Enums stored as text. One macro writes, from one list of variants and their stored words,
//! the enum, its `as_str`/`parse`/`ALL`, and diesel's conversions for every backend (SQLite,
//! PostgreSQL and the MultiConnection's), so a status or kind column reads as its type and an
//! unknown word in the database is an error rather than a silent default.

/// `text_enum! { /// doc  pub enum Name { Variant = "word", ... } }`. Derives of the caller's
/// own (serde, utoipa) go on top as usual; a unit test below holds their serde names to the
/// stored words.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The word stored in the database (and shown in the API).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| format!("unknown {} {text:?} in the database", stringify!($name)).into())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::db::models::apps::{AppKind, Cloud};
    use crate::db::models::credential_logs::Level;
    use crate::db::models::credentials::{Health, SyncStatus};
    use crate::db::models::mappings::{MeetingKind, Source};
    use crate::db::models::webhook_events::EventStatus;

    fn serde_names_are_the_stored_words<T: serde::Serialize + std::fmt::Display>(all: &[T]) {
        for value in all {
            assert_eq!(serde_json::to_value(value).unwrap(), serde_json::Value::String(value.to_string()));
        }
    }

    #[test]
    fn every_text_enum_serializes_as_its_stored_word() {
        serde_names_are_the_stored_words(AppKind::ALL);
        serde_names_are_the_stored_words(Level::ALL);
        serde_names_are_the_stored_words(Health::ALL);
        serde_names_are_the_stored_words(SyncStatus::ALL);
        serde_names_are_the_stored_words(Source::ALL);
        serde_names_are_the_stored_words(EventStatus::ALL);
        serde_names_are_the_stored_words(MeetingKind::ALL);
        serde_names_are_the_stored_words(Cloud::ALL);
    }

    /// The words each `CHECK (column IN (...))` of `table` allows, in every migration folder.
    fn checked_words(table: &str, column: &str) -> Vec<Vec<String>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut found = Vec::new();
        for backend in ["sqlite", "postgres"] {
            let mut words = None;
            let mut dirs: Vec<_> = std::fs::read_dir(root.join(backend)).unwrap().map(|e| e.unwrap().path()).collect();
            dirs.sort();
            for dir in dirs {
                let sql = std::fs::read_to_string(dir.join("up.sql")).unwrap();
                // The column comes with the table, or later with an `ALTER TABLE ... ADD COLUMN`.
                let added = format!("ALTER TABLE {table} ADD COLUMN {column} ");
                let body = if let Some(start) = sql.find(&format!("CREATE TABLE {table} (")) {
                    &sql[start..sql[start..].find(");").map_or(sql.len(), |end| start + end)]
                } else if let Some(start) = sql.find(&added) {
                    &sql[start..sql[start..].find(';').map_or(sql.len(), |end| start + end)]
                } else {
                    continue;
                };
                let check = format!("CHECK ({column} IN (");
                if let Some(at) = body.find(&check) {
                    let list = &body[at + check.len()..];
                    let list = &list[..list.find(')').unwrap()];
                    words = Some(list.split(',').map(|w| w.trim().trim_matches('\'').to_owned()).collect());
                }
            }
            found.push(words.unwrap_or_else(|| panic!("{backend}: no CHECK on {table}.{column}")));
        }
        found
    }

    fn words<T: std::fmt::Display>(all: &[T]) -> Vec<String> {
        all.iter().map(ToString::to_string).collect()
    }

    /// The migrations' CHECK constraints list the same words as the enums: a variant added to
    /// one and not the other fails here, not at the first insert in production.
    #[test]
    fn check_constraints_allow_exactly_the_enum_words() {
        let cases = [
            ("oauth_apps", "kind", words(AppKind::ALL)),
            ("credentials", "status", words(Health::ALL)),
            ("credentials", "meeting_sync_status", words(SyncStatus::ALL)),
            ("meeting_mappings", "source", words(Source::ALL)),
            ("meeting_mappings", "kind", words(MeetingKind::ALL)),
            ("oauth_apps", "cloud", words(Cloud::ALL)),
            ("webhook_events", "status", words(EventStatus::ALL)),
            ("credential_logs", "level", words(Level::ALL)),
            // A run is never `not_started`: it is recorded when it starts.
            ("sync_runs", "status", words(&SyncStatus::ALL[1..])),
        ];
        for (table, column, expected) in cases {
            for found in checked_words(table, column) {
                assert_eq!(found, expected, "{table}.{column}");
            }
        }
    }

    #[test]
    fn words_round_trip_and_strangers_are_refused() {
        for kind in AppKind::ALL {
            assert_eq!(AppKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(AppKind::parse("User_Level"), None);
    }
}
