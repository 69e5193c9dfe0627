//! Objects nested in request bodies are read from JSON objects only.
//!
//! serde's derived `Deserialize` also reads a struct from an array of its fields in order
//! (`"phase_success": [0.5, null]`), which the OpenAPI document does not allow and no client
//! means. These helpers read the value as a map and hand that to the struct's own
//! implementation, so that its rules (unknown fields, missing fields) and the path of any error
//! (`/entries/1/month`) stay as they were. Used as `#[serde(deserialize_with = …)]`.

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// `T` read from a JSON object, and from nothing else.
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        d.deserialize_map(ObjVisitor(PhantomData)).map(Obj)
    }
}

/// An object or null.
pub fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Obj<T>>::deserialize(d)?.map(|o| o.0))
}

/// An array of objects.
pub fn objects<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Vec::<Obj<T>>::deserialize(d)?
        .into_iter()
        .map(|o| o.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: i64,
        #[serde(default)]
        b: Option<i64>,
    }

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[serde(default, deserialize_with = "opt_object")]
        one: Option<Inner>,
        #[serde(default, deserialize_with = "objects")]
        many: Vec<Inner>,
    }

    fn read(v: serde_json::Value) -> Result<Outer, String> {
        serde_path_to_error::deserialize(v).map_err(|e| format!("{} {}", e.path(), e.inner()))
    }

    #[test]
    fn objects_are_read_and_arrays_are_not() {
        let ok = read(serde_json::json!({"one": {"a": 1}, "many": [{"a": 2, "b": 3}]})).unwrap();
        assert_eq!(ok.one, Some(Inner { a: 1, b: None }));
        assert_eq!(ok.many, vec![Inner { a: 2, b: Some(3) }]);
        assert!(read(serde_json::json!({"one": null}))
            .unwrap()
            .one
            .is_none());
        assert!(read(serde_json::json!({"one": [1, 2]})).is_err());
        assert!(read(serde_json::json!({"many": [[1, 2]]})).is_err());
    }

    #[test]
    fn errors_inside_keep_their_path() {
        let e = read(serde_json::json!({"many": [{"a": 1}, {"a": 1, "c": 0}]})).unwrap_err();
        assert!(e.starts_with("many[1].c "), "{e}");
        let e = read(serde_json::json!({"one": {"a": "x"}})).unwrap_err();
        assert!(e.starts_with("one.a "), "{e}");
    }
}
