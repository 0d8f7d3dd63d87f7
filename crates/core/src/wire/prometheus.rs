//! Prometheus HTTP API v1 answers: the envelope every endpoint shares (`status`, `data`,
//! `errorType`, `error`, `warnings`) and the query results (vector, matrix, scalar), so the
//! provider decodes them in one place and the tests check them against real answers.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The envelope of every API v1 answer, success or error.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Envelope<T> {
    pub status: String,
    pub data: Option<T>,
    #[serde(rename = "errorType", default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub infos: Vec<String>,
}

/// What `query` and `query_range` return.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum QueryData {
    Vector(Vec<InstantSample>),
    Matrix(Vec<RangeSeries>),
    Scalar(Point),
    String(Point),
}

/// One series' value at the query's instant.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstantSample {
    pub metric: BTreeMap<String, String>,
    /// Absent for a native histogram sample, which carries `histogram` instead.
    #[serde(default)]
    pub value: Option<Point>,
}

/// One series over the range.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RangeSeries {
    pub metric: BTreeMap<String, String>,
    #[serde(default)]
    pub values: Vec<Point>,
}

/// `[unix seconds, "value"]`: the value is a string so NaN and ±Inf survive JSON.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Point(pub f64, pub String);

impl Point {
    /// The value as a number; `NaN`, `+Inf` and `-Inf` parse as themselves, junk as NaN.
    pub fn value(&self) -> f64 {
        self.1.parse().unwrap_or(f64::NAN)
    }
}

/// One `rules` group; only what the alert detail and history need.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RuleGroups {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RuleGroup {
    pub name: String,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Rule {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub query: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub health: String,
}

/// An API error: its type (`bad_data`, `timeout`, …) and message, as Prometheus wrote them
/// (the caller sanitises before showing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: String,
    pub message: String,
}

/// Decodes an answer body: the data and the warnings, or the API's error.
pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(T, Vec<String>), ApiError> {
    let env: Envelope<T> = serde_json::from_slice(body).map_err(|e| ApiError {
        kind: "decode".into(),
        message: format!("not a Prometheus API answer ({e})"),
    })?;
    match (env.status.as_str(), env.data) {
        ("success", Some(data)) => Ok((data, env.warnings)),
        _ => Err(ApiError {
            kind: env.error_type.unwrap_or_else(|| "error".into()),
            message: env.error.unwrap_or_else(|| "no data in the answer".into()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_an_error_and_warnings_decode() {
        let body = br#"{"status":"success","warnings":["partial"],"data":{"resultType":"matrix","result":[{"metric":{"service":"a"},"values":[[1.5,"0.25"],[16.5,"NaN"]]}]}}"#;
        let (data, warnings) = decode::<QueryData>(body).expect("decodes");
        assert_eq!(warnings, ["partial"]);
        let QueryData::Matrix(series) = data else {
            panic!("a matrix")
        };
        assert_eq!(series[0].values[0].value(), 0.25);
        assert!(series[0].values[1].value().is_nan());
        let err = decode::<QueryData>(
            br#"{"status":"error","errorType":"timeout","error":"query timed out"}"#,
        )
        .expect_err("an error");
        assert_eq!(err.kind, "timeout");
    }
}
