//! The collection hour: how it is written (`YYYY-MM-DDTHH`) and the folder it names.

use chrono::{NaiveDateTime, Timelike};

use super::{LANDED_FILE, LANDING_ROOT};

/// Text that is not an hour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an hour; write it as YYYY-MM-DDTHH, e.g. 2021-03-24T19")]
pub struct HourError(pub String);

/// An hour of collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hour(pub NaiveDateTime);

impl Hour {
    /// Parses `YYYY-MM-DDTHH`.
    pub fn parse(s: &str) -> Result<Hour, HourError> {
        NaiveDateTime::parse_from_str(&format!("{s}:00:00"), "%Y-%m-%dT%H:%M:%S")
            .map(Hour)
            .map_err(|_| HourError(s.to_string()))
    }

    /// The current hour of this machine's clock.
    pub fn now() -> Hour {
        let now = chrono::Local::now().naive_local();
        Hour(now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).expect("valid time"))
    }

    /// The hour after this one.
    pub fn next(self) -> Hour {
        Hour(self.0 + chrono::Duration::hours(1))
    }

    /// The landing folder of the hour: `/user/source_data/YYYY/MM/DD/HH`.
    pub fn folder(self) -> String {
        format!("{LANDING_ROOT}/{}", self.0.format("%Y/%m/%d/%H"))
    }

    /// The landed file of the hour.
    pub fn file(self) -> String {
        format!("{}/{LANDED_FILE}", self.folder())
    }
}

/// `YYYY-MM-DDTHH`, padded to the width the format asks for, if any.
impl std::fmt::Display for Hour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0.format("%Y-%m-%dT%H").to_string())
    }
}

/// As its text, `YYYY-MM-DDTHH`.
impl serde::Serialize for Hour {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_names_its_folder() {
        let h = Hour::parse("2021-03-24T19").unwrap();
        assert_eq!(h.file(), "/user/source_data/2021/03/24/19/gmarket.csv");
        assert_eq!(h.next().to_string(), "2021-03-24T20");
        assert_eq!(
            Hour::parse("2021-03-24 19").unwrap_err().to_string(),
            "\"2021-03-24 19\" is not an hour; write it as YYYY-MM-DDTHH, e.g. 2021-03-24T19"
        );
        assert_eq!(format!("{:<14}|", h), "2021-03-24T19 |");
    }
}
