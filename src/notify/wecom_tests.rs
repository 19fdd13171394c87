use super::*;
use crate::domain::check::Status;
use crate::notify::notice::sample;

fn config(mentions: &[&str]) -> WeComConfig {
    WeComConfig {
        url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k".into(),
        mentions: mentions.iter().map(|m| m.to_string()).collect(),
    }
}

#[test]
fn one_notice_is_a_markdown_message_with_details_and_body() {
    let m = message(&config(&[]), &[sample(Status::Down)]);
    assert_eq!(m["msgtype"], "markdown");
    let content = m["markdown"]["content"].as_str().unwrap();
    assert!(
        content.contains("<font color=\"warning\">**nightly db is DOWN"),
        "{content}"
    );
    assert!(
        content.contains("Project: <font color=\"comment\">Backups</font>"),
        "{content}"
    );
    assert!(content.contains("exit status 2"), "{content}");
    assert!(
        content.contains("pg_dump: error: connection refused"),
        "{content}"
    );
}

#[test]
fn several_notices_make_one_digest() {
    let m = message(
        &config(&[]),
        &[
            sample(Status::Down),
            sample(Status::Up),
            sample(Status::Down),
        ],
    );
    let content = m["markdown"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("**3 checks changed status**"),
        "{content}"
    );
    assert_eq!(content.matches("nightly db is").count(), 3);
}

#[test]
fn user_mentions_ride_in_markdown_on_down_only() {
    let down = message(&config(&["zhangsan"]), &[sample(Status::Down)]);
    assert!(
        down["markdown"]["content"]
            .as_str()
            .unwrap()
            .ends_with("<@zhangsan>")
    );
    let up = message(&config(&["zhangsan"]), &[sample(Status::Up)]);
    assert!(
        !up["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("<@zhangsan>")
    );
}

#[test]
fn at_all_and_phone_numbers_need_a_text_message() {
    let m = message(
        &config(&["@all", "13800001111", "lisi"]),
        &[sample(Status::Down)],
    );
    assert_eq!(m["msgtype"], "text");
    assert_eq!(
        m["text"]["mentioned_list"],
        serde_json::json!(["@all", "lisi"])
    );
    assert_eq!(
        m["text"]["mentioned_mobile_list"],
        serde_json::json!(["13800001111"])
    );
    assert!(
        m["text"]["content"]
            .as_str()
            .unwrap()
            .contains("nightly db is DOWN")
    );
}

#[test]
fn long_messages_are_cut_to_4096_bytes_on_a_character_boundary() {
    let mut n = sample(Status::Down);
    n.check.name = "数据库备份".repeat(400); // 15 bytes each repeat, well past the limit
    let m = message(&config(&[]), &[n]);
    let content = m["markdown"]["content"].as_str().unwrap();
    assert!(content.len() <= MARKDOWN_LIMIT, "{} bytes", content.len());
    assert!(content.ends_with("…(truncated)"));
    let text = message(&config(&["@all"]), &[sample(Status::Down)]);
    assert!(text["text"]["content"].as_str().unwrap().len() <= TEXT_LIMIT);
}

#[test]
fn errcodes_are_classified() {
    assert_eq!(classify(0, "ok"), Ok(()));
    assert!(matches!(
        classify(45009, "api freq out of limit"),
        Err(SendError::Transient {
            retry_after: Some(_),
            ..
        })
    ));
    assert_eq!(
        classify(
            93000,
            "invalid webhook url, hint: [123], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=93000"
        ),
        Err(SendError::Permanent(
            "WeCom errcode 93000: invalid webhook url".into()
        ))
    );
    assert!(matches!(
        classify(44004, "empty content"),
        Err(SendError::Final(_))
    ));
    assert!(matches!(
        classify(-1, "system busy"),
        Err(SendError::Transient { .. })
    ));
}

#[test]
fn user_text_cannot_inject_markdown_or_mentions() {
    let mut n = sample(Status::Down);
    n.check.name = "<@all> **x**".into();
    let content = message(&config(&[]), &[n])["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!content.contains("<@all>"), "{content}");
    assert!(content.contains("&lt;@all&gt;"), "{content}");
}

#[test]
fn a_digest_too_long_to_list_says_how_many_more_checks_changed() {
    let notices: Vec<Notice> = (0..300).map(|_| sample(Status::Down)).collect();
    let content = message(&config(&["zhangsan"]), &notices)["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.len() <= MARKDOWN_LIMIT);
    assert!(content.starts_with("**300 checks changed status**"));
    let listed = content.matches("nightly db is DOWN").count();
    assert!(listed > 10, "{listed} listed");
    assert!(
        content.contains(&format!("…and {} more", 300 - listed)),
        "{content}"
    );
    assert!(content.ends_with("<@zhangsan>"));
}
