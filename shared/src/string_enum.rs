//! Enums stored as stable lowercase `snake_case` strings.
//!
//! Statuses, roles and the small vocabularies of the records (urgency, urge level, visit
//! method...) are written into documents by the web app as plain strings. One macro gives each
//! of them the same contract: `as_str` / `FromStr` / `Display`, `ALL` for enumeration, Automerge
//! mapping through autosurgeon and serde, all from one list of `Variant = "string"` pairs, so the
//! string of a variant is written down exactly once.

/// A string that names none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: expected one of {expected:?}, found {found:?}")]
pub struct UnknownValue {
    /// What the value was meant to be, e.g. "duban status".
    pub what: &'static str,
    /// The strings that would have been accepted.
    pub expected: &'static [&'static str],
    /// The string that was found.
    pub found: String,
}

/// Defines an enum whose values are stored as the given strings.
///
/// ```text
/// string_enum! {
///     /// Doc of the enum.
///     pub enum Urgency("urgency") {
///         /// 一般
///         Normal = "normal",
///     }
/// }
/// ```
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $string:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable string stored in documents and sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $string,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::string_enum::UnknownValue;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($string => Ok(Self::$variant),)+
                    other => Err($crate::string_enum::UnknownValue {
                        what: $what,
                        expected: &[$($string),+],
                        found: other.to_owned(),
                    }),
                }
            }
        }

        impl ::autosurgeon::Reconcile for $name {
            type Key<'a> = ::autosurgeon::reconcile::NoKey;

            fn reconcile<R: ::autosurgeon::Reconciler>(
                &self,
                mut reconciler: R,
            ) -> ::std::result::Result<(), R::Error> {
                reconciler.str(self.as_str())
            }
        }

        impl ::autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> ::std::result::Result<Self, ::autosurgeon::HydrateError> {
                s.parse().map_err(|e: $crate::string_enum::UnknownValue| {
                    ::autosurgeon::HydrateError::unexpected(
                        format!("a {}, one of {:?}", e.what, e.expected),
                        format!("{:?}", e.found),
                    )
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
