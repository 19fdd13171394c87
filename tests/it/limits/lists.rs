//! Lists answer with a bounded number of items, whatever is stored: the newest flips of
//! a check, the first tags of a project's badges. (Pings are bounded by the retention
//! and healthchecks' cap of 1000, channels by the per-project cap, checks by the
//! account's check limit.)

use super::get;
use overdue::domain::check::{Flip, FlipReason, Status};
use overdue::store::checks::CheckConfig;
use overdue::store::flips;

on_both_backends! {
    async fn flips_list_the_newest_thousand(app) {
        // arrange: a flapping check with 1005 flips, one a minute.
        let (p, check) = app.one_check().await;
        let mut tx = app.db().begin_write().await.unwrap();
        for i in 0..1005 {
            let (old, new) = if i % 2 == 0 { (Status::Up, Status::Down) } else { (Status::Down, Status::Up) };
            let flip = Flip { at: app.now() + chrono::TimeDelta::minutes(i), old, new, reason: FlipReason::Fail };
            flips::record(&mut tx, check.id, &flip).await.unwrap();
        }
        tx.commit().await.unwrap();
        // act
        let (status, body) = get(&app, &p, &format!("/api/v3/checks/{}/flips/", check.uuid)).await;
        // assert
        assert_eq!(status, 200);
        let list = body["flips"].as_array().unwrap();
        assert_eq!(list.len(), 1000);
        let newest = (app.now() + chrono::TimeDelta::minutes(1004)).format("%Y-%m-%dT%H:%M:%S").to_string();
        assert!(list[0]["timestamp"].as_str().unwrap().starts_with(&newest), "newest first: {}", list[0]);
    }

    async fn badges_list_at_most_a_thousand_tags(app) {
        // arrange: 21 checks of 50 distinct tags each, 1050 tags in all.
        let p = app.project().await;
        for c in 0..21 {
            let tags: Vec<String> = (0..50).map(|t| format!("c{c:02}-t{t:02}")).collect();
            app.check(&p, CheckConfig { tags: tags.join(" "), ..CheckConfig::default() }).await;
        }
        // act
        let (status, body) = get(&app, &p, "/api/v3/badges/").await;
        // assert
        assert_eq!(status, 200);
        let badges = body["badges"].as_object().unwrap();
        assert_eq!(badges.len(), 1001, "the all-checks badge and the first 1000 tags");
        assert!(badges.contains_key("*") && badges.contains_key("c00-t00") && badges.contains_key("c19-t49"));
        assert!(!badges.contains_key("c20-t00"), "tags past the first 1000 in order are left out");
    }
}
