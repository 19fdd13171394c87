//! How the domain's enums are read from their text columns: each decodes here once, so
//! no code outside the store compares a status or a kind as a string. Rows name these
//! with `#[sqlx(try_from = "String")]`; writes bind `as_str()`.

use crate::domain::channel_config::ChannelKind;
use crate::domain::check::{FlipReason, Status};
use crate::domain::check_config::Methods;
use crate::domain::ids::{ChannelId, CheckId, ProjectId, UserId};
use crate::domain::ping::PingKind;
use crate::domain::schedule::ScheduleKind;

/// A column held a value the code does not know: a row written by a newer version, or
/// edited by hand.
#[derive(Debug, thiserror::Error)]
#[error("unexpected {column} {value:?} in the database")]
pub struct UnknownValue {
    column: &'static str,
    value: String,
}

macro_rules! text_column {
    ($type:ty, $column:literal, $parse:expr) => {
        impl TryFrom<String> for $type {
            type Error = UnknownValue;

            fn try_from(value: String) -> Result<Self, UnknownValue> {
                let parse: fn(&str) -> Option<$type> = $parse;
                parse(&value).ok_or(UnknownValue {
                    column: $column,
                    value,
                })
            }
        }
    };
}

text_column!(ChannelKind, "channel kind", |s| ChannelKind::parse(s).ok());
text_column!(Status, "check status", Status::parse);
text_column!(FlipReason, "flip reason", FlipReason::parse);
text_column!(PingKind, "ping kind", PingKind::parse);
text_column!(ScheduleKind, "schedule kind", ScheduleKind::parse);
text_column!(Methods, "allowed methods", Methods::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_decode_and_unknown_ones_are_named_in_the_error() {
        assert_eq!(Status::try_from("down".to_string()).unwrap(), Status::Down);
        assert_eq!(
            ChannelKind::try_from("serverchan".to_string()).unwrap(),
            ChannelKind::ServerChan
        );
        let e = Status::try_from("sideways".to_string()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected check status \"sideways\" in the database"
        );
    }
}

/// Ids are integers in the database: each id type encodes and decodes as an `i64`.
macro_rules! id_column {
    ($($type:ty),*) => {$(
        impl<DB: sqlx::Database> sqlx::Type<DB> for $type
        where
            i64: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $type
        where
            i64: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as sqlx::Encode<'q, DB>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $type
        where
            i64: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(Self(<i64 as sqlx::Decode<'r, DB>>::decode(value)?))
            }
        }

        impl sqlx::postgres::PgHasArrayType for $type {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <i64 as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }
    )*};
}

id_column!(CheckId, ProjectId, ChannelId, UserId);
