//! A document reader for autosurgeon that fetches each map or list in one pass.
//!
//! autosurgeon's derived `Hydrate` reads a struct one field at a time with `get`. In automerge
//! 0.12 every `get` seeks to the key through a dozen op columns, a few microseconds each, which
//! made a whole read of a 督办事项 cost 100 to 170 µs per progress entry. `Prefetched` answers
//! those `get`s from one `map_range` (or `list_range`) pass over the object, made the first time
//! one of its values is asked for. Everything else goes to the document unchanged.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::RangeBounds;
use std::rc::Rc;

use automerge::{self as am, Automerge, AutomergeError, ObjId, ObjType, Value};
use autosurgeon::ReadDoc;

type Entry = (Value<'static>, ObjId);

enum Fetched {
    Map(HashMap<String, Entry>),
    List(Vec<Entry>),
    /// Text, or an object that is not there: every `get` goes to the document.
    Neither,
}

/// `doc`, read for one hydration: answers from a pass over each object, so it must not outlive
/// a change to `doc` (it borrows `doc`, which prevents that).
pub(crate) struct Prefetched<'a> {
    doc: &'a Automerge,
    objects: RefCell<HashMap<ObjId, Rc<Fetched>>>,
}

impl<'a> Prefetched<'a> {
    pub(crate) fn new(doc: &'a Automerge) -> Self {
        Self {
            doc,
            objects: RefCell::new(HashMap::new()),
        }
    }

    fn fetched(&self, obj: &ObjId) -> Rc<Fetched> {
        if let Some(fetched) = self.objects.borrow().get(obj) {
            return fetched.clone();
        }
        let fetched = Rc::new(match ReadDoc::object_type(self.doc, obj) {
            Some(ObjType::Map | ObjType::Table) => Fetched::Map(
                am::ReadDoc::map_range(self.doc, obj, ..)
                    .map(|item| {
                        let id = item.id();
                        (item.key.into_owned(), (item.value.into_value(), id))
                    })
                    .collect(),
            ),
            Some(ObjType::List) => Fetched::List(
                am::ReadDoc::list_range(self.doc, obj, ..)
                    .map(|item| {
                        let id = item.id();
                        (item.value.into_value(), id)
                    })
                    .collect(),
            ),
            Some(ObjType::Text) | None => Fetched::Neither,
        });
        self.objects
            .borrow_mut()
            .insert(obj.clone(), fetched.clone());
        fetched
    }
}

impl ReadDoc for Prefetched<'_> {
    type Parents<'b>
        = am::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<am::ChangeHash> {
        ReadDoc::get_heads(self.doc)
    }

    fn get<P: Into<am::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        let prop = prop.into();
        match (&*self.fetched(obj), &prop) {
            (Fetched::Map(values), am::Prop::Map(key)) => Ok(values.get(key.as_str()).cloned()),
            (Fetched::List(values), am::Prop::Seq(index)) => Ok(values.get(*index).cloned()),
            // Text, or a property of the wrong kind: the document gives the answer or the error.
            _ => ReadDoc::get(self.doc, obj, prop),
        }
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
        ReadDoc::object_type(self.doc, obj)
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> am::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
        R: RangeBounds<String>,
    {
        ReadDoc::map_range(self.doc, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        ReadDoc::list_range(self.doc, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        match &*self.fetched(obj.as_ref()) {
            Fetched::List(values) => values.len(),
            _ => ReadDoc::length(self.doc, obj),
        }
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        ReadDoc::text(self.doc, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        ReadDoc::parents(self.doc, obj)
    }

    fn is_empty(&self) -> bool {
        ReadDoc::is_empty(self.doc)
    }
}
