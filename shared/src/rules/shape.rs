//! The shape of every entry and of every object that names a person, as the rules see it.
//!
//! Each type is listed here field by field, in a destructuring pattern without `..`: a field
//! added to an entry or to a signed object fails to compile until it is listed, and the tests
//! then hold every field named `by` or `…_by` to be an author field, so a new way of naming a
//! person cannot slip past the forgery walk ([`super::forged_authors`]).
//!
//! Field categories:
//! - `plain`: the author's content, fixed once written unless [`super::ENTRY_RULES`] says else;
//! - `optional`: like plain, but an `Option` whose `None` is how an entry starts;
//! - `initial`: like plain, with the value entries start with (a suggestion is `proposed`);
//! - `signed`: an `Option` of an object that names its own author ([`Signed`]): a decision, a
//!   withdrawal;
//! - `photos`: lists of [`PhotoRef`], each naming who added it;
//! - `attachments`: the optional list of [`AttachmentRef`], each naming who added it;
//! - `withdrawal`: the field holding the author's withdrawal mark, where the entry has one.
//!
//! The entry's own `by` is implicit: every entry has one.

use crate::records::RecordKind::{self, Duban, Meeting, Research};
use crate::records::{
    AgendaItem, AttachmentRef, Decision, Disposition, Entry, Evaluation, ExtensionDecision,
    ExtensionRequest, Finding, Instruction, PhotoRef, Progress, Review, SiteCheck, Suggestion,
    SuggestionStatus, Urge, Visit, Withdrawal,
};

/// An object that names the person who wrote it in `by`.
pub(crate) trait Signed: PartialEq {
    /// User id of who wrote it.
    fn by(&self) -> &str;
    /// Every field (for the tests).
    #[cfg(test)]
    const FIELDS: &'static [&'static str];
}

/// What the rules need to know of an entry type.
pub(crate) trait EntryShape: Entry + PartialEq {
    /// Every field.
    const FIELDS: &'static [&'static str];
    /// The author fields (`by` and `x.by` of signed parts), for the tests.
    #[cfg(test)]
    const AUTHORS: &'static [&'static str];
    /// The fields whose values differ between `self` and `other`.
    fn changed(&self, other: &Self) -> Vec<&'static str>;
    /// Whether `field` holds the value entries start with (`None`, or the `initial` value).
    /// Plain fields have none and always count as fresh.
    fn is_fresh(&self, field: &str) -> bool;
    /// The withdrawal mark, if the entry was withdrawn.
    fn withdrawal(&self) -> Option<&Withdrawal>;
    /// Appends to `out` every author field of `after` that was written (the entry is new, or
    /// the field or the signed object holding it changed) and names someone other than `user`.
    fn forged(before: Option<&Self>, after: &Self, user: &str, out: &mut Vec<&'static str>);
}

/// Whether a signed object was written between `before` and `after` in another's name.
pub(crate) fn signed_forged<S: Signed>(before: Option<&S>, after: Option<&S>, user: &str) -> bool {
    after.is_some_and(|now| before != Some(now) && now.by() != user)
}

/// Whether a file not in `before` names someone other than `user` as who added it.
fn attachments_forged(
    before: Option<&[AttachmentRef]>,
    after: &[AttachmentRef],
    user: &str,
) -> bool {
    after.iter().any(|file| {
        file.by != user && !before.is_some_and(|old| old.iter().any(|f| f.sha256 == file.sha256))
    })
}

/// Whether a photo not in `before` names someone other than `user` as who added it.
fn photos_forged(before: Option<&[PhotoRef]>, after: &[PhotoRef], user: &str) -> bool {
    after.iter().any(|photo| {
        photo.by != user && !before.is_some_and(|old| old.iter().any(|p| p.sha256 == photo.sha256))
    })
}

macro_rules! signed {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Signed for $ty {
            fn by(&self) -> &str {
                let $ty { by, $($field: _,)* } = self;
                by
            }
            #[cfg(test)]
            const FIELDS: &'static [&'static str] = &["by", $(stringify!($field),)*];
        }
    };
}

signed!(ExtensionDecision {
    verdict,
    at,
    comment
});
signed!(Evaluation {
    at,
    score,
    rating,
    comment
});
signed!(Withdrawal { at, reason });

impl Signed for PhotoRef {
    fn by(&self) -> &str {
        &self.by
    }
    #[cfg(test)]
    const FIELDS: &'static [&'static str] = &[
        "sha256", "mime", "bytes", "width", "height", "taken_at", "geo", "caption", "by",
    ];
}

macro_rules! entry_shape {
    ($ty:ident {
        plain: [$($plain:ident),* $(,)?],
        optional: [$($opt:ident),* $(,)?],
        initial: [$($init:ident = $value:expr),* $(,)?],
        signed: [$($signed:ident),* $(,)?],
        photos: [$($photos:ident),* $(,)?],
        attachments: [$($files:ident)?],
        withdrawal: [$($withdrawn:ident)?] $(,)?
    }) => {
        impl EntryShape for $ty {
            const FIELDS: &'static [&'static str] = &[
                "by", $(stringify!($plain),)* $(stringify!($opt),)* $(stringify!($init),)*
                $(stringify!($signed),)* $(stringify!($photos),)* $(stringify!($files),)?
            ];
            #[cfg(test)]
            const AUTHORS: &'static [&'static str] = &["by", $(concat!(stringify!($signed), ".by"),)*];

            fn changed(&self, other: &Self) -> Vec<&'static str> {
                let $ty { by: _, $($plain: _,)* $($opt: _,)* $($init: _,)* $($signed: _,)* $($photos: _,)* $($files: _,)? } = self;
                let mut fields = Vec::new();
                if self.by != other.by {
                    fields.push("by");
                }
                $(if self.$plain != other.$plain { fields.push(stringify!($plain)); })*
                $(if self.$opt != other.$opt { fields.push(stringify!($opt)); })*
                $(if self.$init != other.$init { fields.push(stringify!($init)); })*
                $(if self.$signed != other.$signed { fields.push(stringify!($signed)); })*
                $(if self.$photos != other.$photos { fields.push(stringify!($photos)); })*
                $(if self.$files != other.$files { fields.push(stringify!($files)); })?
                fields
            }

            #[allow(unused_variables)]
            fn is_fresh(&self, field: &str) -> bool {
                $(if field == stringify!($opt) { return self.$opt.is_none(); })*
                $(if field == stringify!($init) { return self.$init == $value; })*
                $(if field == stringify!($signed) { return self.$signed.is_none(); })*
                true
            }

            #[allow(unreachable_code)]
            fn withdrawal(&self) -> Option<&Withdrawal> {
                $(return self.$withdrawn.as_ref();)?
                None
            }

            fn forged(before: Option<&Self>, after: &Self, user: &str, out: &mut Vec<&'static str>) {
                if before.is_none_or(|old| old.by != after.by) && after.by != user {
                    out.push("by");
                }
                $(if signed_forged(before.and_then(|old| old.$signed.as_ref()), after.$signed.as_ref(), user) {
                    out.push(concat!(stringify!($signed), ".by"));
                })*
                $(if photos_forged(before.map(|old| &old.$photos[..]), &after.$photos, user) {
                    out.push(concat!(stringify!($photos), ".by"));
                })*
                $(if attachments_forged(
                    before.map(|old| crate::records::attachments_of(&old.$files)),
                    crate::records::attachments_of(&after.$files),
                    user,
                ) {
                    out.push(concat!(stringify!($files), ".by"));
                })?
            }
        }
    };
}

entry_shape!(Progress {
    plain: [id, at, percent, text, problems, geo],
    optional: [],
    initial: [],
    signed: [withdrawn],
    photos: [photos],
    attachments: [attachments],
    withdrawal: [withdrawn],
});
entry_shape!(Urge {
    plain: [id, at, level, message],
    optional: [],
    initial: [],
    signed: [withdrawn],
    photos: [],
    attachments: [],
    withdrawal: [withdrawn],
});
entry_shape!(ExtensionRequest {
    plain: [id, at, new_deadline, reason],
    optional: [],
    initial: [],
    signed: [decision, withdrawn],
    photos: [],
    attachments: [],
    withdrawal: [withdrawn],
});
entry_shape!(Review {
    plain: [id, at, verdict, opinion],
    optional: [],
    initial: [],
    signed: [withdrawn],
    photos: [],
    attachments: [],
    withdrawal: [withdrawn],
});
entry_shape!(Instruction {
    plain: [id, at, text],
    optional: [],
    initial: [],
    signed: [withdrawn],
    photos: [],
    attachments: [attachments],
    withdrawal: [withdrawn],
});
entry_shape!(SiteCheck {
    plain: [id, at, place, findings, geo],
    optional: [],
    initial: [],
    signed: [withdrawn],
    photos: [before_photos, after_photos],
    attachments: [attachments],
    withdrawal: [withdrawn],
});
entry_shape!(Visit {
    plain: [id, at, place, address, geo, method, people_met, notes],
    optional: [],
    initial: [],
    signed: [withdrawn],
    photos: [photos],
    attachments: [attachments],
    withdrawal: [withdrawn],
});
entry_shape!(Finding {
    plain: [id, at, visit_id, text, category, severity, geo, suggestion],
    optional: [duban_ref],
    initial: [],
    signed: [withdrawn],
    photos: [photos],
    attachments: [attachments],
    withdrawal: [withdrawn],
});
entry_shape!(Suggestion {
    plain: [id, at, text],
    optional: [duban_ref],
    initial: [status = SuggestionStatus::Proposed],
    signed: [withdrawn],
    photos: [],
    attachments: [],
    withdrawal: [withdrawn],
});

entry_shape!(AgendaItem {
    plain: [
        id,
        at,
        record,
        title,
        lead_unit,
        status,
        light,
        deadline,
        latest_progress
    ],
    optional: [],
    initial: [],
    signed: [],
    photos: [],
    attachments: [],
    withdrawal: [],
});
entry_shape!(Disposition {
    plain: [id, at, agenda_id, kind, new_deadline, note],
    optional: [],
    initial: [],
    signed: [],
    photos: [],
    attachments: [],
    withdrawal: [],
});
entry_shape!(Decision {
    plain: [id, at, text, owner_unit, due],
    optional: [duban_ref],
    initial: [],
    signed: [],
    photos: [],
    attachments: [],
    withdrawal: [],
});

/// Every field of the entries of `list` of `kind` (empty for a list that holds no entries), so
/// that tests can enumerate every (list, field) the rules decide.
pub fn entry_fields(kind: RecordKind, list: &str) -> &'static [&'static str] {
    match (kind, list) {
        (Duban, "progress") => Progress::FIELDS,
        (Duban, "urges") => Urge::FIELDS,
        (Duban, "extension_requests") => ExtensionRequest::FIELDS,
        (Duban, "reviews") => Review::FIELDS,
        (Duban, "site_checks") => SiteCheck::FIELDS,
        (_, "instructions") => Instruction::FIELDS,
        (Research, "visits") => Visit::FIELDS,
        (Research, "findings") => Finding::FIELDS,
        (Research, "suggestions") => Suggestion::FIELDS,
        (Meeting, "agenda") => AgendaItem::FIELDS,
        (Meeting, "dispositions") => Disposition::FIELDS,
        (Meeting, "decisions") => Decision::FIELDS,
        _ => &[],
    }
}
