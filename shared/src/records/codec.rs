//! Numbers as the web app writes them.
//!
//! Automerge's JavaScript API stores an integral `number` assigned to a property as a signed
//! integer and every other one as a float, so a width of `1024` arrives as `Int` and a latitude
//! of `31` arrives as `Int` too. But inside an object literal (a new entry pushed onto a list,
//! `Automerge.from`), automerge JS 3.5 stores `0` as the float `0.0`. autosurgeon's own impls want
//! `Uint` for unsigned Rust types and `F64` for floats; these codecs accept what either side
//! writes, integral floats included, and always write what JavaScript would.

use std::borrow::Cow;

use automerge::{ObjId, ScalarValue, Value};
use autosurgeon::reconcile::NoKey;
use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconcile, Reconciler};

/// Reads the scalar at `prop`, refusing a missing value or an object with a reason.
fn scalar<'a, D: ReadDoc>(
    doc: &'a D,
    obj: &ObjId,
    prop: &Prop<'_>,
    expected: &str,
) -> Result<Cow<'a, ScalarValue>, HydrateError> {
    match doc.get(obj, prop)? {
        Some((Value::Scalar(value), _)) => Ok(value),
        Some((Value::Object(kind), _)) => Err(HydrateError::unexpected(
            expected,
            format!("an object of type {kind:?}"),
        )),
        None => Err(HydrateError::unexpected(expected, "nothing".to_owned())),
    }
}

/// The integer an integral float stands for (`0.0` from automerge JS), if it is one exactly.
pub(crate) fn integral(value: f64) -> Option<i64> {
    // 2^53: beyond it floats skip integers, so the value may not be what was meant.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (value.is_finite() && value.fract() == 0.0 && value.abs() <= EXACT).then_some(value as i64)
}

/// Unsigned integers stored as Automerge `Int`, hydrated from `Int` or `Uint` when in range.
pub(crate) mod int {
    use super::*;

    pub(crate) fn reconcile<T, R>(value: &T, mut reconciler: R) -> Result<(), R::Error>
    where
        T: Copy + Into<i64>,
        R: Reconciler,
    {
        reconciler.i64((*value).into())
    }

    pub(crate) fn hydrate<D: ReadDoc, T: TryFrom<i64>>(
        doc: &D,
        obj: &ObjId,
        prop: Prop<'_>,
    ) -> Result<T, HydrateError> {
        const EXPECTED: &str = "a non-negative integer";
        let value = scalar(doc, obj, &prop, EXPECTED)?;
        let wide = match value.as_ref() {
            ScalarValue::Int(i) => Some(*i),
            ScalarValue::Uint(u) => i64::try_from(*u).ok(),
            ScalarValue::F64(f) => integral(*f),
            _ => None,
        };
        wide.and_then(|i| T::try_from(i).ok())
            .ok_or_else(|| HydrateError::unexpected(EXPECTED, format!("{value:?}")))
    }
}

/// Floats stored as Automerge `F64`, hydrated from `F64`, `Int` or `Uint`.
pub(crate) mod float {
    use super::*;

    pub(crate) fn reconcile<R: Reconciler>(value: &f64, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.f64(*value)
    }

    pub(crate) fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &ObjId,
        prop: Prop<'_>,
    ) -> Result<f64, HydrateError> {
        const EXPECTED: &str = "a number";
        let value = scalar(doc, obj, &prop, EXPECTED)?;
        // Precision loss past 2^53 is irrelevant for coordinates and accuracies.
        match value.as_ref() {
            ScalarValue::F64(f) if f.is_finite() => Ok(*f),
            ScalarValue::Int(i) => Ok(*i as f64),
            ScalarValue::Uint(u) => Ok(*u as f64),
            other => Err(HydrateError::unexpected(EXPECTED, format!("{other:?}"))),
        }
    }
}

/// A share of work done, 0 to 100 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Percent(u8);

impl Percent {
    /// `value` as a percentage, if it is at most 100.
    pub fn new(value: u8) -> Option<Self> {
        (value <= 100).then_some(Self(value))
    }

    /// The percentage, 0 to 100.
    pub fn get(self) -> u8 {
        self.0
    }

    fn from_wide(value: i64) -> Result<Self, HydrateError> {
        u8::try_from(value).ok().and_then(Self::new).ok_or_else(|| {
            HydrateError::unexpected("a percentage from 0 to 100", value.to_string())
        })
    }
}

impl Reconcile for Percent {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.i64(self.0.into())
    }
}

impl Hydrate for Percent {
    fn hydrate_int(value: i64) -> Result<Self, HydrateError> {
        Self::from_wide(value)
    }

    fn hydrate_uint(value: u64) -> Result<Self, HydrateError> {
        Self::from_wide(i64::try_from(value).unwrap_or(i64::MAX))
    }

    fn hydrate_f64(value: f64) -> Result<Self, HydrateError> {
        integral(value).map_or_else(
            || {
                Err(HydrateError::unexpected(
                    "a percentage from 0 to 100",
                    value.to_string(),
                ))
            },
            Self::from_wide,
        )
    }
}
