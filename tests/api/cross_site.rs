//! Cross-site writes through the page session cookie: bodies must be JSON, and a write made with
//! the cookie must come from this service's own origin. Bearer requests are unaffected.

use crate::bookings::{booking, world};
use crate::both_backends;
use crate::helpers::*;
use crate::pages::{csrf_of, login};
use serde_json::json;

// A page on another origin can make a logged-in planner's browser post a `text/plain` (or form)
// body with the session cookie; such a body is refused with 415 whatever it holds, and nothing
// is created. Bearer requests are refused the same way, and JSON still goes through.
both_backends!(
    a_forged_text_plain_post_with_the_session_cookie_is_refused,
    |app: TestApp| async move {
        let planner = app.key("planner", None).await;
        let (status, _, set_cookie, _) = login(&app, &planner).await;
        assert_eq!(status, 303);
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let token = csrf_of(&app, &cookie).await;
        let body = r#"{"url": "https://attacker.example/hook", "events": ["*"]}"#;
        // Even from this service's own origin (a form of our own), only JSON is taken.
        let own = format!("http://{}", app.base.trim_start_matches("http://"));
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let r = app
                .http
                .post(format!("{}/v1/webhooks", app.base))
                .header("cookie", &cookie)
                .header("origin", &own)
                .header("x-csrf-token", &token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 415, "{content_type}");
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json"));
        }
        let r = app
            .http
            .post(format!("{}/v1/webhooks", app.base))
            .bearer_auth(&planner)
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 415);
        let listed = app.get("/v1/webhooks", &planner).await.expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
        app.post(
            "/v1/webhooks",
            &planner,
            json!({"url": "https://hooks.example.com/x", "events": ["*"]}),
        )
        .await
        .expect(201);
    }
);

// A forged page on another origin (another port of the same host: same site, so the browser
// sends the SameSite=Strict cookie) cannot make a logged-in planner cancel a booking with a
// bodiless POST: without `Sec-Fetch-Site: same-origin` or an Origin naming this service, a
// cookie-authenticated write is 403 and nothing changes. From our own origin it goes through,
// and bearer requests need neither.
both_backends!(
    a_cookie_write_from_another_origin_is_refused,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        let hold = app
            .post(
                "/v1/bookings",
                &w.planner_key,
                booking(&w, Some(1), "2030-03-01", "2030-03-05", "held"),
            )
            .await
            .expect(201);
        let cancel = format!(
            "{}/v1/bookings/{}/cancel",
            app.base,
            hold["id"].as_str().unwrap()
        );
        // The hold the forged requests try to cancel is still held after each of them.
        let still_held = || async {
            let path = format!("/v1/bookings/{}", hold["id"].as_str().unwrap());
            let still = app.get(&path, &w.planner_key).await.expect(200);
            assert_eq!(still["status"], "held", "{still}");
        };
        let (_, _, set_cookie, _) = login(&app, &w.planner_key).await;
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let host = app.base.trim_start_matches("http://").to_string();
        for (name, value) in [
            ("origin", "http://127.0.0.1:1"),
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "same-site"),
            ("sec-fetch-site", "cross-site"),
        ] {
            let r = app
                .http
                .post(&cancel)
                .header("cookie", &cookie)
                .header(name, value)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 403, "{name}: {value}");
        }
        // No Origin and no Sec-Fetch-Site at all: refused too.
        let r = app
            .http
            .post(&cancel)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        still_held().await;
        // Reads with the cookie need no Origin.
        let r = app
            .http
            .get(format!("{}/v1/bookings", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        // From this service's own origin it still needs the session's CSRF token: none, a wrong
        // one, or another session's are refused.
        let token = csrf_of(&app, &cookie).await;
        let other_cookie = login(&app, &w.planner_key).await.2;
        let other = csrf_of(&app, other_cookie.split(';').next().unwrap()).await;
        assert_ne!(token, other);
        for presented in [
            None,
            Some("00".repeat(32)),
            Some("not hex".into()),
            Some(other),
        ] {
            let mut req = app
                .http
                .post(&cancel)
                .header("cookie", &cookie)
                .header("origin", format!("http://{host}"));
            if let Some(p) = &presented {
                req = req.header("x-csrf-token", p);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status().as_u16(), 403, "{presented:?}");
            let problem: serde_json::Value = r.json().await.unwrap();
            assert!(
                problem["detail"].as_str().unwrap().contains("CSRF"),
                "{problem}"
            );
        }
        still_held().await;
        // With its token, from this service's own origin, the write goes through.
        let r = app
            .http
            .post(&cancel)
            .header("cookie", &cookie)
            .header("origin", format!("http://{host}"))
            .header("x-csrf-token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
);
