//! How the OpenAPI document shows the values the domain parses and checks itself: named schemas
//! for strings with rules (names, tags, dates, months, notes) and for enumerations kept in
//! `solver_models` or as strings. Bodies and responses name them with
//! `#[schema(value_type = …)]`, so that the document states the same rules [`super::inputs`]
//! enforces; the tests at the bottom hold each to the code it describes.
//!
//! The rules are written as patterns over whole strings. What the server trims (names, tags and
//! closure reasons lose leading and trailing white space, as Rust's `char::is_whitespace` has
//! it) the patterns allow around the part that is checked.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// White space as `str::trim` removes it (Unicode `White_Space`).
const WS: &str =
    r"[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// A character that is neither white space nor a control character: what a trimmed text
/// begins and ends with.
const EDGE: &str =
    r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// Anything but a control character (Unicode `Cc`).
const NO_CONTROL: &str = r"[^\u0000-\u001F\u007F-\u009F]";
/// Anything but a control character other than tab and line feed.
const TEXT: &str = r"[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]";
/// A year from 0001 to 9999: RFC 3339 dates allow 0000, which the API refuses.
const YEAR: &str = r"([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})";

/// A string schema named by a Rust type, for `#[schema(value_type = …)]`.
macro_rules! string_schema {
    ($(#[$doc:meta])* $name:ident, $description:expr, |$b:ident| $build:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let $b = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description));
                $build.into()
            }
        }

        impl ToSchema for $name {}
    };
}

string_schema!(
    /// A name (of a site, suite, client, program or API key).
    Name,
    "1 to 200 characters once trimmed of white space; no control characters.",
    |b| b.pattern(Some(format!("^{WS}*{EDGE}({NO_CONTROL}{{0,198}}{EDGE})?{WS}*$")))
);

string_schema!(
    /// A capability tag.
    Tag,
    "1 to 64 of `A-Z a-z 0-9 _ -` once trimmed of white space.",
    |b| b.pattern(Some(format!("^{WS}*[A-Za-z0-9_-]{{1,64}}{WS}*$")))
);

string_schema!(
    /// Why a suite is closed.
    Reason,
    "At most 500 characters once trimmed of white space; tabs and line feeds are the only \
     control characters allowed.",
    |b| b.pattern(Some(format!("^{WS}*({EDGE}({TEXT}{{0,498}}{EDGE})?)?{WS}*$")))
);

string_schema!(
    /// A booking's note.
    Note,
    "At most 2000 characters; tabs and line feeds are the only control characters allowed.",
    |b| b.max_length(Some(2000)).pattern(Some(format!("^{TEXT}*$")))
);

string_schema!(
    /// A day.
    Day,
    "`YYYY-MM-DD`, from 0001-01-01 to 9999-12-31.",
    |b| b
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(format!("^{YEAR}-")))
);

string_schema!(
    /// The first day of a month.
    FirstOfMonth,
    "The first day of a month, `YYYY-MM-01`.",
    |b| b
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(format!("^{YEAR}-(0[1-9]|1[0-2])-01$")))
);

string_schema!(
    /// A calendar month.
    MonthName,
    "`YYYY-MM`, from 0001-01 to 9999-12.",
    |b| b.pattern(Some(format!("^{YEAR}-(0[1-9]|1[0-2])$")))
);

string_schema!(
    /// An instant.
    Instant,
    "RFC 3339, e.g. `2027-05-03T09:00:00Z`; years 0001 to 9999, in UTC too.",
    |b| b
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .pattern(Some(format!("^{YEAR}-")))
);

/// EU GMP grade; `A` is the cleanest.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum GradeName {
    A,
    B,
    C,
    D,
}

/// Clinical phase.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PhaseName {
    Preclinical,
    Phase1,
    Phase2,
    Phase3,
    Commercial,
}

/// Demand scenario (docs/planning-model.md).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ScenarioName {
    Committed,
    Expected,
    Maximum,
}

/// What a booking request may ask for: a hold, or (planners) a confirmed booking.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RequestedStatus {
    Held,
    Confirmed,
}

/// Product modality.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Modality {
    Autologous,
    Allogeneic,
    ViralVector,
    Other,
}

/// How the product is stored.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Storage {
    Fresh,
    Frozen,
}

/// An IANA time zone name, e.g. `Europe/Amsterdam`.
pub struct TimeZone;

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An IANA time zone name, e.g. `Europe/Amsterdam`."))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .into()
    }
}

impl ToSchema for TimeZone {}

/// A line of a suite, numbered from 1 (a suite has at most 1000).
pub struct LineNumber;

impl PartialSchema for LineNumber {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(1000))
            .into()
    }
}

impl ToSchema for LineNumber {}

/// A probability in [0, 1] with at most 4 decimals.
pub struct Probability;

impl PartialSchema for Probability {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some("A probability in [0, 1] with at most 4 decimals."))
            .minimum(Some(0))
            .maximum(Some(1))
            .multiple_of(Some(0.0001))
            .into()
    }
}

impl ToSchema for Probability {}

/// Per-program phase-transition probabilities; a key left out or null takes the configured
/// default (`phase_success.*`).
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PhaseSuccessInput {
    #[schema(value_type = Option<Probability>)]
    preclinical: Option<f64>,
    #[schema(value_type = Option<Probability>)]
    phase1: Option<f64>,
    #[schema(value_type = Option<Probability>)]
    phase2: Option<f64>,
    #[schema(value_type = Option<Probability>)]
    phase3: Option<f64>,
}
