//! Database ids as types of their own, so that a check's id can never be passed where a
//! project's is expected. The store encodes and decodes them as the integers they are.

macro_rules! id_type {
    ($name:ident, $what:literal) => {
        #[doc = concat!("The database id of a ", $what, ".")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(CheckId, "check");
id_type!(ProjectId, "project");
id_type!(ChannelId, "channel");
id_type!(UserId, "user");
