//! Writing a result document: as JSON, streamed target by target so that a scan of
//! thousands of websites never holds the whole document, or as the text report,
//! which groups findings across targets and so keeps them until the end. The
//! summary and the exit decision (`--fail-on`) are counted as targets pass through,
//! the same way for both formats.

use std::path::Path;

use crate::findings::{ResultDocument, Status, Summary, TargetResult};
use crate::i18n::Lang;
use crate::output::{Output, OutputError};
use crate::policy::Severity;
use crate::report::{self, Format};

/// What a finished result document held, for the exit code.
#[derive(Clone, Debug, Default)]
pub struct WriteOutcome {
    pub summary: Summary,
    /// A finding failed at or above the `fail_on` severity.
    pub failing: bool,
}

/// A result document being written.
pub struct ResultWriter {
    out: Output,
    format: Format,
    lang: Lang,
    header: ResultDocument,
    fail_on: Severity,
    outcome: WriteOutcome,
    /// Targets kept for the text report.
    kept: Vec<TargetResult>,
    first: bool,
}

impl ResultWriter {
    /// Opens `dest` (standard output when `None`) and writes what comes before the
    /// targets. `header` is the document without targets (see
    /// [`super::Engine::header`]).
    pub fn create(
        dest: Option<&Path>,
        format: Format,
        lang: Lang,
        header: ResultDocument,
        fail_on: Severity,
    ) -> Result<ResultWriter, OutputError> {
        let mut out = Output::open(dest)?;
        if format == Format::Json {
            // Everything but `targets` and `summary`, whose values come as targets do.
            let mut head = serde_json::to_value(&header).expect("result documents serialize");
            let obj = head.as_object_mut().expect("an object");
            obj.remove("targets");
            obj.remove("summary");
            let text = serde_json::to_string(&head).expect("serializes");
            out.write_str(&text[..text.len() - 1])?;
            out.write_str(",\"targets\":[\n")?;
        }
        Ok(ResultWriter {
            out,
            format,
            lang,
            header,
            fail_on,
            outcome: WriteOutcome::default(),
            kept: Vec::new(),
            first: true,
        })
    }

    /// Writes a whole document.
    pub fn write_document(
        dest: Option<&Path>,
        format: Format,
        lang: Lang,
        doc: ResultDocument,
        fail_on: Severity,
    ) -> Result<WriteOutcome, OutputError> {
        let mut header = doc;
        let targets = std::mem::take(&mut header.targets);
        let mut writer = ResultWriter::create(dest, format, lang, header, fail_on)?;
        for t in targets {
            writer.push(t)?;
        }
        writer.finish()
    }

    /// Adds one target's findings.
    pub fn push(&mut self, result: TargetResult) -> Result<(), OutputError> {
        self.outcome.failing |= result
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity >= self.fail_on);
        self.outcome.summary.add(&result);
        match self.format {
            Format::Json => {
                let mut text = String::new();
                if !self.first {
                    text.push_str(",\n");
                }
                self.first = false;
                text.push_str(&serde_json::to_string(&result).expect("serializes"));
                self.out.write_str(&text)
            }
            Format::Text => {
                self.kept.push(result);
                Ok(())
            }
        }
    }

    /// Writes what comes after the targets and puts the output in place.
    pub fn finish(mut self) -> Result<WriteOutcome, OutputError> {
        match self.format {
            Format::Json => {
                let s = serde_json::to_string(&self.outcome.summary).expect("serializes");
                self.out.write_str(&format!("\n],\"summary\":{s}}}\n"))?;
            }
            Format::Text => {
                let doc = ResultDocument {
                    summary: self.outcome.summary.clone(),
                    targets: std::mem::take(&mut self.kept),
                    ..self.header
                };
                self.out.write_str(&report::text::render(&doc, self.lang))?;
            }
        }
        self.out.finish()?;
        Ok(self.outcome)
    }
}
