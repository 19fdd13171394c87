//! The templates, embedded in the binary so that `overdue` runs from any directory, and
//! parsed once at start: a template that does not parse stops the process with its
//! name and the parser's message rather than failing the first email hours later.

use anyhow::Context as _;
use tera::Tera;

/// Every template: its name and its text.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "email/alert.txt",
        include_str!("../templates/email/alert.txt"),
    ),
    (
        "email/alert.html",
        include_str!("../templates/email/alert.html"),
    ),
    (
        "email/channel_disabled.txt",
        include_str!("../templates/email/channel_disabled.txt"),
    ),
    (
        "email/channel_disabled.html",
        include_str!("../templates/email/channel_disabled.html"),
    ),
];

/// Parses every embedded template.
pub fn load() -> anyhow::Result<Tera> {
    let mut tera = Tera::default();
    tera.add_raw_templates(TEMPLATES.iter().copied())
        .context("the templates built into this binary do not parse")?;
    Ok(tera)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_parses_and_is_registered() {
        let tera = load().unwrap();
        for (name, _) in TEMPLATES {
            assert!(tera.get_template_names().any(|n| n == *name), "{name}");
        }
    }
}
